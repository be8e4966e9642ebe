"""The clouds as the core sees them: what each provider package says about its cloud.

The core names no cloud. Each package under `cloudtimeouts/providers/` describes its cloud in one
`Cloud` value, in its `cloud.py`, which imports no SDK: the model of a profile's `targets:` entry,
the engines it offers, the parameter defaults it sets where they differ from the engine's, its
platforms (an engine it runs with other defaults or rules), what its load balancers and NATs do,
the hop kinds only it has, and where its adapter, its Terraform mapping and its import options
live. `cloudtimeouts/providers/__init__.py` names the packages (`CLOUDS`); the core reads them
here, once, the first time it needs one.

Why a registry rather than imports: the guard, the profile and the plan must hold for any cloud
the same way, and a new provider must be one package and one line, not edits through the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

from cloudtimeouts.catalog import Engine, ParameterSpec
from cloudtimeouts.durations import Duration

if TYPE_CHECKING:
    from cloudtimeouts.hops import HopKind

# What a hop answers to a packet on a flow it has dropped: a TCP reset (the sender fails fast),
# or nothing (the sender waits for its own timeout: a health check hangs).
Expiry = Literal["reset", "silent"]

_REGISTRY = "cloudtimeouts.providers"


@dataclass(frozen=True, slots=True)
class Platform:
    """An engine as one cloud runs it with defaults or rules of its own (a managed fork).

    `prefix` is how an adapter reports it: the start of an instance's version (its parameter
    group family, say). `defaults` win over the cloud's and the engine's. `interactive_closes`:
    the platform closes every idle session at the smaller of `wait_timeout` and
    `interactive_timeout`, whatever the client declares (guard.not_judged_because).
    `server_marker`: a lowercase word the server's own VERSION() carries there (verify). Which
    targets may be on it when no read says (validate, offline): `Target.platforms_possible`."""

    prefix: str
    engine: Engine
    title: str
    source: str  # where the platform's own rules are documented
    defaults: Mapping[str, Duration] = field(default_factory=dict)
    interactive_closes: bool = False
    server_marker: str = ""


@dataclass(frozen=True, slots=True)
class Network:
    """What one kind of this cloud's network hops does: its documented idle timeout when the
    profile gives none, and what it answers on a flow it has forgotten (`Expiry`); the sources
    are cited where each cloud defines it."""

    idle_default: Duration
    expiry: Expiry = "silent"


@dataclass(frozen=True, slots=True)
class LogPrefix:
    """How one cloud's PostgreSQL begins a server log line (its `log_line_prefix`), read by
    `diagnose`: a regular expression for what stands between the line's time (`%t` or `%m`) and
    its severity, with those of these named groups it has: `remote` (PostgreSQL's `%r`,
    `host(port)`), `user`, `db`, `pid`, `pidhex` (the pid inside `%c`, in hex). `name` is the
    format's name in the evidence (`Evidence.format`)."""

    name: str
    between: str


@dataclass(frozen=True, slots=True)
class LogExport:
    """One cloud's log export, one JSON entry a line (or one field a line, pretty-printed):
    the server's line is its `text` field, the entry's time its `time` field. `name` is the
    format's name in the evidence."""

    name: str
    text: str
    time: str


@dataclass(frozen=True, slots=True)
class Cloud:
    """One cloud, as its provider package describes it (see the module docstring)."""

    name: str  # as a profile spells `provider:`
    target: type[Any]  # the model of a `targets:` entry; its `provider` field is Literal[name]
    engines: frozenset[Engine]
    adapter: str  # "module:Class", imported on the first read of one of its targets
    defaults: Mapping[str, Duration] = field(default_factory=dict)
    platforms: tuple[Platform, ...] = ()
    network: Mapping[str, Network] = field(default_factory=dict)  # by hop kind
    hop_kinds: tuple[HopKind, ...] = ()
    sdk_roots: frozenset[str] = frozenset()  # a missing one of these: "pip install ...[name]"
    # "module:attribute" of its Terraform resource mapping (`terraform.mapping.TerraformMapping`),
    # imported by `plan --terraform-plan` and `export` only; "" for none
    terraform: str = ""
    # "module:attribute" of the options that name its targets on `cloudtimeouts import`
    # (`importer.ImportOptions`), imported by `import` only; "" for none
    imports: str = ""
    # "module:function" of its server-log fetch (`providers.base.ServerLogs`), imported by the
    # commands that read server logs only; None when the cloud offers none through its API
    logs: str | None = None
    # how its databases' server logs look, for `diagnose` (its prefixes, its log export)
    log_prefixes: tuple[LogPrefix, ...] = ()
    log_exports: tuple[LogExport, ...] = ()


@cache
def clouds() -> Mapping[str, Cloud]:
    """Every registered cloud, by name, in registration order."""
    names: tuple[str, ...] = import_module(_REGISTRY).CLOUDS
    found = {}
    for name in names:
        described: Cloud = import_module(f"{_REGISTRY}.{name}.cloud").CLOUD
        found[described.name] = described
    return found


def cloud(name: str) -> Cloud:
    return clouds()[name]


def platform_of(version: str) -> Platform | None:
    """The platform whose rules apply to an instance reported with this version, if any."""
    for described in clouds().values():
        for candidate in described.platforms:
            if version.startswith(candidate.prefix):
                return candidate
    return None


def platforms(engine: Engine) -> tuple[Platform, ...]:
    return tuple(
        candidate
        for described in clouds().values()
        for candidate in described.platforms
        if candidate.engine is engine
    )


def parameter_default(spec: ParameterSpec, provider: str | None, version: str = "") -> Duration:
    """The value a parameter has where nothing sets it: the platform's (by the instance's
    version), else the cloud's, else the engine's (catalog)."""
    found = platform_of(version) if version else None
    if found is not None and spec.name in found.defaults:
        return found.defaults[spec.name]
    if provider is not None and provider in clouds():
        return cloud(provider).defaults.get(spec.name, spec.default)
    return spec.default
