"""What a plan's `configuration` says about where a resource lives, when its values do not.

Why: what locates a judged resource is often missing from its own `after`:
- a resource that names another resource created by the same plan (whose id is known only after
  apply): the configuration's expression for that argument names the other resource through
  `references` (`referenced`);
- an argument a resource takes from its provider block when it does not set it (a provider
  alias with its own settings): the resource's `provider_config_key` names that block in
  `configuration.provider_config` (`provider_argument`).
Which arguments those are for a resource type is its cloud's mapping's knowledge (`mapping`).

From the JSON Output Format ("Configuration Representation", "Expression Representation"):
references are relative to the module the expression is in, "unwrapped and duplicated for each
significant traversal step" (`t_x.y.id`, `t_x.y`, and for a keyed instance also the resource
without its key); a module call's arguments are expressions in the calling module, the module's
`var.NAME`. A plan's addresses carry the instance keys of modules and resources
(`module.db["eu"].t_x.y[0]`); the configuration's do not. A reference that leads to more
than one object (an index that is not a constant, `count.index`) is not guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# An instance key: a quoted string (which may hold dots, brackets and escaped quotes) or a number.
_KEY = r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\]'
_SEGMENT = re.compile(rf"[^.\[]+(?:{_KEY})?")
_MAX_DEPTH = 16  # module nesting followed through variables and outputs


def without_indexes(address: str) -> str:
    """`module.db[0].t_x.y["a"]` -> `module.db.t_x.y`: how configuration names a resource."""
    return re.sub(_KEY, "", address)


def segments(address: str) -> list[str]:
    """`module.db["a.b"].t_x.y[0]` -> ['module', 'db["a.b"]', 't_x', 'y[0]']."""
    return _SEGMENT.findall(address)


def module_instance(address: str) -> str:
    """The module instance prefix of a managed resource address, with its trailing dot."""
    parts = segments(address)[:-2]
    return ".".join(parts) + "." if parts else ""


class Configuration:
    """A plan's configuration, variables and resource instances, for lookups by address."""

    def __init__(self, document: Mapping[str, Any], afters: Mapping[str, Any]) -> None:
        configuration = document.get("configuration")
        configuration = configuration if isinstance(configuration, dict) else {}
        self.providers = _dict(configuration.get("provider_config"))
        self.variables = _dict(document.get("variables"))
        self.modules = dict(_modules(configuration.get("root_module"), ""))
        self.blocks = {  # 'module.db.t_x.y' -> its configuration block
            path + str(resource.get("address")): resource
            for path, module in self.modules.items()
            for resource in module.get("resources") or []
            if isinstance(resource, dict)
        }
        self.afters = afters  # address -> after, every instance of the plan
        self.instances: dict[str, list[str]] = {}  # address without its own key -> addresses
        self.calls: dict[str, set[str]] = {}  # module path -> its instances ('module.a["x"].')
        for address in afters:
            parts = segments(address)
            if parts:
                base = ".".join([*parts[:-1], without_indexes(parts[-1])])
                self.instances.setdefault(base, []).append(address)
            for depth in range(2, len(parts) - 1, 2):  # module.a["x"] . module.b . type.name
                instance = ".".join(parts[:depth]) + "."
                self.calls.setdefault(without_indexes(instance), set()).add(instance)

    def resource(self, address: str) -> dict[str, Any]:
        """The configuration block of a resource instance ({} when the plan does not hold it)."""
        return self.blocks.get(without_indexes(address), {})

    def provider_argument(self, address: str, argument: str) -> str | None:
        """An argument of the provider block a resource uses, when it is a constant string or a
        root variable's value; None when the configuration does not say."""
        key = self.resource(address).get("provider_config_key")
        provider = self.providers.get(key) if isinstance(key, str) else None
        expression = _dict(_dict(provider).get("expressions")).get(argument)
        if not isinstance(expression, dict):
            return None
        if isinstance(expression.get("constant_value"), str):
            return str(expression["constant_value"])
        if _dict(provider).get("module_address"):
            return None  # a provider block inside a module: its variables are the module's
        names = {r.split(".")[1] for r in expression.get("references") or [] if r[:4] == "var."}
        values = [_dict(self.variables.get(name)).get("value") for name in names]
        return values[0] if len(values) == 1 and isinstance(values[0], str) else None

    def referenced(self, address: str, attribute: str, kind: str) -> list[Mapping[str, Any]]:
        """The `after` of every resource instance of type `kind` that an attribute of this
        resource refers to, following module variables and outputs."""
        references = _dict(self.resource(address).get("expressions")).get(attribute)
        refs = _dict(references).get("references") or []
        found = self._follow(module_instance(address), refs, kind, _MAX_DEPTH)
        return [self.afters[a] for a in dict.fromkeys(found) if isinstance(self.afters[a], dict)]

    def _follow(self, prefix: str, refs: list[str], kind: str, depth: int) -> list[str]:
        """Addresses of `kind` the references lead to, from the module instance `prefix`.

        A resource is listed both with its key and without (`x.y["a"].id`, `x.y["a"]`, `x.y`):
        the keyed form, when there is one, is the instance; the plain one stands for every
        instance of the resource (one when it has neither count nor for_each).
        """
        keyed: dict[str, list[str]] = {}
        every: dict[str, list[str]] = {}
        found: list[str] = []
        for ref in refs if depth > 0 else ():
            parts = segments(ref)
            if parts[:1] == ["var"] and len(parts) > 1:
                found += self._through_variable(prefix, parts[1], kind, depth)
            elif parts[:1] == ["module"] and len(parts) > 2:
                found += self._through_output(prefix, parts[1], parts[2], kind, depth)
            elif len(parts) >= 2 and parts[0] == kind:
                base = f"{prefix}{kind}.{without_indexes(parts[1])}"
                if parts[1] != without_indexes(parts[1]):
                    exact = f"{prefix}{kind}.{parts[1]}"
                    keyed.setdefault(base, []).extend([exact] if exact in self.afters else [])
                else:
                    every[base] = self.instances.get(base, [])
        for addresses in (every | keyed).values():
            found += addresses
        return found

    def _through_variable(self, prefix: str, name: str, kind: str, depth: int) -> list[str]:
        parts = segments(prefix.rstrip("."))
        if len(parts) < 2:
            return []  # a root variable holds a value, not a resource
        parent = ".".join(parts[:-2]) + "." if len(parts) > 2 else ""
        call = _dict(self.modules.get(without_indexes(parent), {}).get("module_calls")).get(
            without_indexes(parts[-1])
        )
        argument = _dict(_dict(_dict(call).get("expressions")).get(name))
        return self._follow(parent, argument.get("references") or [], kind, depth - 1)

    def _through_output(
        self, prefix: str, call: str, output: str, kind: str, depth: int
    ) -> list[str]:
        """`module.NAME.OUTPUT`: the output's references, inside the one instance of NAME."""
        if output.startswith("["):
            return []
        path = f"{without_indexes(prefix)}module.{without_indexes(call)}."
        outputs = _dict(self.modules.get(path, {}).get("outputs"))
        expression = _dict(_dict(outputs.get(output)).get("expression"))
        if call != without_indexes(call):  # module.NAME[KEY].OUTPUT: that one instance
            exact = f"{prefix}module.{call}."
            children = {exact} if exact in self.calls.get(path, ()) else set()
        else:
            children = {c for c in self.calls.get(path, ()) if c.startswith(prefix)}
        if len(children) != 1:
            return []
        return self._follow(children.pop(), expression.get("references") or [], kind, depth - 1)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _modules(module: Any, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path with trailing dot, module) for the root module and every module call below it."""
    if not isinstance(module, dict):
        return
    yield prefix, module
    for name, call in _dict(module.get("module_calls")).items():
        yield from _modules(_dict(call).get("module"), f"{prefix}module.{name}.")
