"""What a cloud's package tells the Terraform room: its `TerraformMapping`, found by the registry.

Why a Protocol: the reader, the judge and the exporter here are the same for every cloud
(`terraform show -json`, module instances, references, unknown and sensitive values, the guard
through `make_plan`); which resource types hold a target's values, how their attributes become
parameters and a target, and which HCL holds a profile's values are each cloud's knowledge, with
the sources that support it. Each provider package names its mapping in its `Cloud` description
(`Cloud.terraform`, "module:attribute"); it is imported the first time a plan or an export needs
it, so that a cloud is one package and one registry line, and this room names none.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from cloudtimeouts.cloud import clouds
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.model import Finding, MemberState

if TYPE_CHECKING:
    from cloudtimeouts.catalog import Engine
    from cloudtimeouts.profile import Profile, Target
    from cloudtimeouts.terraform.configuration import Configuration
    from cloudtimeouts.terraform.hcl import Hcl, Setting
    from cloudtimeouts.terraform.planfile import Resource, TerraformPlan
    from cloudtimeouts.terraform.values import Unknown, Values


@dataclass(frozen=True, slots=True)
class Members:
    """What the plan says of the instances a target's values reach through other resources of
    the plan (the other groups of an instance's chain: `model.MemberState`), and what it cannot
    say."""

    states: tuple[MemberState, ...] = ()
    notes: tuple[Finding, ...] = ()  # instances whose other groups are not judged, and why
    groups: frozenset[str] = frozenset()  # addresses of the other groups judged
    sensitive: Mapping[str, str] = field(default_factory=dict)  # name -> its raw value


class TerraformMapping(Protocol):
    """One cloud's Terraform resources, as the reader (`planfile`), the judge (`judge`) and the
    exporter (`export`) need them. A mapping is called only with its own cloud's targets and
    resources of its own `types`."""

    # The resource types whose instances hold a target's values: only these are read.
    types: frozenset[str]
    # Each parameter is a resource of its own: a target may be held by many resources, a
    # parameter the plan does not hold keeps a value the plan cannot show, and destroying one
    # resets its parameter to the default. Otherwise one resource holds the target's values.
    per_parameter: bool
    # The cloud compares parameter names without regard to case.
    case_blind: bool

    def resource(
        self, address: str, kind: str, values: Values, configuration: Configuration
    ) -> Resource:
        """The record of one resource instance (`values`: its `after`, or what a destroyed one
        held); `values.Malformed` for a value of a type the provider's schema never gives."""
        ...

    def related(self, configuration: Configuration) -> tuple[Any, ...]:
        """What else of the plan `members` needs, read once per plan (`TerraformPlan.related`,
        under the cloud's name); () when nothing."""
        ...

    def key(self, resource: Resource) -> str | None:
        """The name (lower case) a target finds the resource by; None when the plan knows it
        only after apply."""
        ...

    def target_key(self, target: Target) -> str:
        """The name (lower case) the target's resources are found by (see `key`)."""
        ...

    def matches(self, resource: Resource, target: Target, engine: Engine) -> bool:
        """Whether a resource of the same key holds this target's values, by the cloud's own
        name rules."""
        ...

    def described(self, target: Target) -> str:
        """The target as the plan would hold it, for "the Terraform plan holds no ..."."""
        ...

    def engine(self, resource: Resource) -> str | None:
        """The engine the resource says it is for (an `Engine` value, or another engine's name),
        None when it does not say."""
        ...

    def unmatched(self, resource: Resource) -> str | None:
        """Why a resource whose name is known cannot be matched to any target, when the reason
        is the cloud's (a server known only after apply); None: no target names it."""
        ...

    def members(self, plan: TerraformPlan, target: Target, names: Collection[str]) -> Members:
        """The instances the target's values reach, each with the other groups of its chain as
        the plan leaves them (`names`: the parameters judged)."""
        ...

    def export(
        self, out: Hcl, profile: Profile, target: Target, settings: Sequence[Setting]
    ) -> None:
        """Write the resources that hold the target's values (`settings`, sorted by name)."""
        ...


def agrees(said: str | Unknown | None, ours: str) -> bool:
    """Where the plan says where a resource lives: it agrees with a target when it does not say
    (absent, or known only after apply), or says the same, compared case-blind."""
    return not isinstance(said, str) or said.lower() == ours.lower()


@cache
def mappings() -> Mapping[str, TerraformMapping]:
    """Every registered cloud's mapping, by cloud name, imported on first use."""
    found = {}
    for name, described in clouds().items():
        if described.terraform:
            module, _, attribute = described.terraform.partition(":")
            found[name] = getattr(import_module(module), attribute)
    return found


@cache
def _by_type() -> Mapping[str, TerraformMapping]:
    return {kind: mapping for mapping in mappings().values() for kind in mapping.types}


def judged_types() -> Collection[str]:
    """Every resource type some cloud's mapping reads."""
    return _by_type().keys()


def of_type(kind: str) -> TerraformMapping:
    """The mapping that reads resources of this type (one of `judged_types`)."""
    return _by_type()[kind]


def of(target: Target) -> TerraformMapping:
    """The mapping of the target's cloud."""
    found = mappings().get(target.provider)
    if found is None:
        raise CloudtimeoutsError(f"cloudtimeouts has no Terraform mapping for {target.provider}")
    return found
