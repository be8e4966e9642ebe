"""What a target manages, and what it holds now: the two facts both the diff and the verdict read.

Why apart: `plan` diffs a profile against a target and `verdict` judges the values in force;
both need the same answer to "which parameters does this target manage" (a server's catalog and
the parameters of the hops its server hosts, or the timeouts of the hop a target is) and "what
is this parameter's value on the target now" (its own, else the default its cloud, its
platform or the catalog says is in effect).
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudtimeouts.catalog import ParameterSpec, parameters
from cloudtimeouts.cloud import parameter_default
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import kinds
from cloudtimeouts.model import CurrentSource, ParameterState, TargetState
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.profile_path import HopEntry


def managed(
    profile: Profile, target: Target
) -> tuple[Mapping[str, ParameterSpec], dict[str, Duration]]:
    """What a target manages and the values the profile wants there.

    A database server (a parameter group, an instance): the engine's catalog and `server:`, plus
    the parameters of every hop its server hosts (`hosted_hops`). A target that is a hop (a
    managed proxy, `target.hop`): that hop's timeouts, as its kind's parameters.
    """
    own = hop_of(profile, target)
    if own is not None:
        return _written(own, {}, {})
    specs, desired = dict(parameters(profile.engine)), dict(profile.server)
    for hop in hosted_hops(profile, target):
        _written(hop, specs, desired)
    return specs, desired


def _written(
    hop: HopEntry, specs: dict[str, ParameterSpec], desired: dict[str, Duration]
) -> tuple[dict[str, ParameterSpec], dict[str, Duration]]:
    """Adds a written hop's parameters, and the values its profile entry gives them."""
    for field, spec in hop.spec.parameters.items():
        specs[spec.name] = spec
        value = hop.value(field)
        if value is not None:
            desired[spec.name] = value
    return specs, desired


def hop_of(profile: Profile, target: Target) -> HopEntry | None:
    """The path hop a target is (`target.hop`, a managed proxy), or None for a server."""
    if target.hop is None:
        return None
    return next(
        hop
        for hop in profile.path
        if hop.name == target.hop
        and kinds()[hop.kind].written_on == "target"
        and kinds()[hop.kind].cloud == target.provider
    )


def hosted_hops(profile: Profile, target: Target) -> list[HopEntry]:
    """The path's hops that a server of the target's cloud runs itself and configures through
    its own server parameters (a pooler built into the server: `HopKind.written_on`)."""
    if target.hop is not None:
        return []
    return [
        hop
        for hop in profile.path
        if hop.spec.written_on == "server" and hop.spec.cloud == target.provider
    ]


def current_value(
    spec: ParameterSpec, seen: ParameterState | None, provider: str, state: TargetState
) -> tuple[str, CurrentSource]:
    if seen is not None and seen.value not in (None, ""):
        return seen.value, "default" if seen.value_is_default else state.source  # type: ignore[return-value]
    if seen is not None and seen.default not in (None, ""):
        return seen.default, "default"  # type: ignore[return-value]
    return parameter_default(spec, provider, state.version).to_native(spec.unit), "default"
