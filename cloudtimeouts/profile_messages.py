"""A profile's validation errors as users read them: file:line and what is allowed, in words.

Pydantic's own messages name a regular expression (`String should match pattern '^[a-z]…'`) or a
model's internals; `describe` turns each error into one line: the dotted path (`targets.1.project`,
without the discriminated unions' tags), the value as written (quoted and shortened), and what the
key allows — a string field's rule in words (`matching`), the keys allowed where an unknown one
was found, the choices of an unknown provider, hop kind or engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import PydanticCustomError

from cloudtimeouts import yamlsource
from cloudtimeouts.durations import shown

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
PATTERN_WORDS: dict[str, str] = {}  # a string field's pattern -> what it allows, in words


def matching(pattern: str, words: str, **limits: int) -> Any:
    """A string's Field: it matches `pattern`; an error says `words` ("a name of …") instead."""
    PATTERN_WORDS[pattern] = words
    return Field(pattern=pattern, description=words[:1].upper() + words[1:], **limits)


def problem(
    kind: str, message: str, *, parameter: str | None = None, index: int | None = None
) -> PydanticCustomError:
    """An error of ours whose words stay as written; `parameter` (a key) or `index` (a list
    entry) names what it is about, so that `describe` gives that line, not its parent's."""
    context: dict[str, object] = {"message": message}
    if parameter is not None:
        context["parameter"] = parameter
    if index is not None:
        context["index"] = index
    return PydanticCustomError(kind, "{message}", context)


CONN_MAX_AGE_OFF = (  # "off" is replaced by the word the profile wrote ("disabled")
    "conn_max_age: off is ambiguous: write 0 (close the connection after each request) or "
    "unlimited (keep it open forever, Django's None)"
)


def conn_max_age_too_long(raw: object, maximum: int) -> str:
    return (
        f"{shown(raw)} is more than the maximum of {maximum} seconds (about 68 years): Django "
        "adds CONN_MAX_AGE to its clock; for a connection that is never closed by age, write "
        "unlimited"
    )


MAX_IDLE_IN_TRANSACTION_OFF = (  # as above
    "off is ambiguous: max_idle_in_transaction is not a timeout but the longest the application "
    "leaves a transaction idle (between two statements of one atomic() block); write that "
    "longest idle gap, e.g. 0 for none or 5s"
)

# psycopg_pool (psycopg_pool/base.py, BasePool._check_size): a max_size of None becomes min_size,
# and `if min_size == max_size == 0: raise ValueError("if min_size is 0 max_size must be greater
# or than 0")` (its words, typo included).
POOL_OF_ZERO = (
    "min_size 0 needs a max_size: without one psycopg_pool takes max_size = min_size = 0 and "
    'refuses the pool ("if min_size is 0 max_size must be greater or than 0"); add max_size, '
    "e.g. max_size: 10"
)


def tcp_not_custom(kind: str) -> str:
    return f"tcp is for custom hops; a {kind} passes TCP through by nature: remove the key"


def describe(
    item: Any,
    loaded: yamlsource.LoadedYaml,
    root: type[BaseModel],
    tags: Mapping[str, type[BaseModel]],
) -> tuple[int | None, str]:
    """One pydantic error of validating `root` as (line, message); `tags`: the discriminated
    unions' tags (providers, then hop kinds) and the model each one selects."""
    ctx = item.get("ctx") or {}
    loc = item["loc"]
    path = [  # without the discriminated unions' tags: targets.0.region, path.1.name
        part
        for index, part in enumerate(loc)
        if not (index and isinstance(loc[index - 1], int) and part in tags)
    ]
    if "parameter" in ctx:
        path.append(ctx["parameter"])
    if "index" in ctx:
        path.append(ctx["index"])
    dotted = ".".join(key(part) for part in path)
    kind = item["type"]
    if kind == "extra_forbidden":
        parent = _allowed_keys(item["loc"][:-1], root, tags)
        choices = f" (allowed: {', '.join(parent)})" if parent else ""
        message = f"unknown key {shown(path[-1])}{choices}"
    elif kind == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(ctx.get("pattern", ""), "what this key allows")
        message = f"{dotted}: {shown(item['input'])} is not {words}"
    elif kind == "string_too_short" and ctx.get("min_length") == 1:
        message = f"{dotted}: must not be empty"
    elif kind == "string_too_long":
        length = len(item["input"]) if isinstance(item["input"], str) else "more"
        message = f"{dotted}: has {length} characters; at most {ctx['max_length']} are allowed"
    elif kind == "missing":
        message = f"{dotted}: required key is missing"
    elif kind == "enum" and path == ["engine"]:
        message = (
            f"engine: {shown(item['input'])} is not an engine; "
            "choose one of: postgres, mysql, mariadb"
        )
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = str(ctx.get("discriminator", "")).strip("'") or "provider"
        # the targets' tags (providers) or the hops' (kinds): hop models are those with a kind
        options = [n for n, m in tags.items() if ("kind" in m.model_fields) == (tag == "kind")]
        choices = ", ".join(options)
        raw = item["input"].get(tag) if isinstance(item["input"], dict) else None
        if kind == "union_tag_invalid" and not isinstance(raw, str | int | float):
            message = f"{dotted}: {tag} must be one of: {choices}; got {shown(raw)}"
        else:
            what = (
                f"{tag} {shown(ctx.get('tag'))} is unknown"
                if kind == "union_tag_invalid"
                else (f"each entry needs a {tag}")
            )
            message = f"{dotted}: {what}; choose one of: {choices}"
    elif kind in _BOUNDS:
        words, bound = _BOUNDS[kind]
        message = f"{dotted}: must be {words} {ctx.get(bound)}, got {shown(item['input'])}"
    elif kind in ("literal_error", "enum"):
        choices = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        message = f"{dotted}: {shown(item['input'])} is not one of: {choices}"
    elif kind in _KINDS or str(item["msg"]).startswith("Input should be "):
        expected = _expected(kind, loc, root, tags) or str(item["msg"]).removeprefix(
            "Input should be "
        )
        message = f"{dotted}: expected {expected}, got {shown(item['input'])}"
    else:
        text = ctx.get("message", item["msg"])  # ours, unformatted: user text stays as written
        message = f"{dotted}: {text}" if dotted else text
    return loaded.line_of(tuple(path)), message


# pydantic's type errors: what the key takes, in YAML's words
_KINDS: dict[str, str] = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than_equal": ("at least", "ge"),
    "less_than_equal": ("at most", "le"),
    "greater_than": ("more than", "gt"),
    "less_than": ("less than", "lt"),
}


def _expected(
    kind: str,
    loc: tuple[str | int, ...],
    root: type[BaseModel],
    tags: Mapping[str, type[BaseModel]],
) -> str | None:
    """What the key at `loc` takes, for an error of type `kind` (None: pydantic's words)."""
    words = _KINDS.get(kind)
    if words == "a list" and loc == ("targets",):
        return "a list of targets (entries starting with '- provider:')"
    if words == "a list" and loc == ("path",):
        return "a list of hops (entries starting with '- kind:')"
    if words != "a mapping":
        return words
    if loc == ("server",):
        return "a mapping of parameter names to durations"
    if len(loc) == 2 and loc[0] == "targets" and isinstance(loc[1], int):
        return "a target: a mapping of provider and its keys"
    if len(loc) == 2 and loc[0] == "path" and isinstance(loc[1], int):
        return "a hop: a mapping of kind, name and its timeouts"
    keys = _allowed_keys(loc, root, tags)
    return f"a mapping of {', '.join(keys)}" if keys else words


def key(part: str | int) -> str:
    """A path part as messages show it: plain names as is, anything else quoted and short."""
    if isinstance(part, int) or _PLAIN_KEY.match(part):
        return str(part)
    return shown(part)


def _allowed_keys(
    loc: tuple[str | int, ...], root: type[BaseModel], tags: Mapping[str, type[BaseModel]]
) -> list[str]:
    """The keys allowed where an unknown one was found, for the error message."""
    model: type[BaseModel] | None = root
    for part in loc:
        if part in tags:
            model = tags[part]
            continue
        if isinstance(part, int):
            continue
        if model is None:
            return []
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if part in ("targets", "path"):  # lists of a discriminated union: the tag comes next
            model = root
            continue
        annotation = next(  # `PoolSettings | None`: the model inside the optional
            (a for a in getattr(annotation, "__args__", ()) if isinstance(a, type)), annotation
        )
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if is_model else None  # type: ignore[assignment]
    return list(model.model_fields) if model else []
