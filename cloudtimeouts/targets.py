"""What a target manages, and what it holds now: the two facts both the diff and the verdict read.

Why apart: `plan` diffs a profile against a target and `verdict` judges the values in force;
both need the same answer to "which parameters does this target manage" (a parameter group's
catalog, an RDS Proxy's IdleClientTimeout, an Azure server's PgBouncer parameters) and "what is
this parameter's value on the target now" (its own, else the default the provider or the catalog
says is in effect).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudtimeouts.catalog import (
    PGBOUNCER_SERVER_PARAMETERS,
    RDS_PROXY_IDLE_CLIENT_TIMEOUT,
    ParameterSpec,
    Provider,
    parameters,
)
from cloudtimeouts.durations import Duration
from cloudtimeouts.model import CurrentSource, ParameterState, TargetState
from cloudtimeouts.profile import Profile, Target


def managed(
    profile: Profile, target: Target
) -> tuple[Mapping[str, ParameterSpec], dict[str, Duration]]:
    """What a target manages and the values the profile wants there.

    A parameter group, instance or server: the engine's catalog and `server:`. An RDS Proxy
    (`rds_proxy:`): its IdleClientTimeout, from the path's rds-proxy hop of the same name.
    """
    proxy = getattr(target, "rds_proxy", None)
    if proxy is None:
        specs, desired = dict(parameters(profile.engine)), dict(profile.server)
        for hop in azure_pgbouncers(profile, target):
            for name, spec in PGBOUNCER_SERVER_PARAMETERS.items():
                specs[name] = spec
                value = getattr(hop, name.removeprefix("pgbouncer."))
                if value is not None:
                    desired[name] = value
        return specs, desired
    spec = RDS_PROXY_IDLE_CLIENT_TIMEOUT
    hop = next(h for h in profile.path if h.kind == "rds-proxy" and h.name == proxy)
    value = getattr(hop, "idle_client_timeout", None)
    return {spec.name: spec}, ({spec.name: value} if value is not None else {})


def azure_pgbouncers(profile: Profile, target: Target) -> list[Any]:
    """Azure's built-in PgBouncer is configured by `pgbouncer.*` server parameters of the server
    (learn.microsoft.com/azure/postgresql/flexible-server/concepts-pgbouncer)."""
    if target.provider != "azure":
        return []
    return [hop for hop in profile.path if hop.kind == "azure-pgbouncer"]


def current_value(
    spec: ParameterSpec, seen: ParameterState | None, provider: Provider, state: TargetState
) -> tuple[str, CurrentSource]:
    if seen is not None and seen.value not in (None, ""):
        return seen.value, "default" if seen.value_is_default else state.source  # type: ignore[return-value]
    if seen is not None and seen.default not in (None, ""):
        return seen.default, "default"  # type: ignore[return-value]
    return spec.default_for(provider, state.version).to_native(spec.unit), "default"
