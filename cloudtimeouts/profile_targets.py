"""What every `targets:` entry of a profile is, whatever its cloud.

Each cloud's own model (how it names a target, its id, the scope its API rate limit is spent
in, the key by which the cloud compares names) is in its provider package (`target.py`) and
registered through `cloud.Cloud.target`; the profile makes its `targets:` union from them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Every profile model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CloudTarget(Strict):
    """The face of a target the core reads. A cloud's model has `provider: Literal[its name]`
    and overrides the properties; the defaults are those of a plain database server."""

    provider: str

    @property
    def id(self) -> str:  # shown to users: "<provider>:<where>:<kind>/<name>"
        raise NotImplementedError

    @property
    def key(self) -> str:
        """The id as the cloud compares names (its case rules): two targets are one when their
        keys are equal."""
        return self.id

    @property
    def scope(self) -> str:
        """Whose API rate limit a call spends (an account and region, a project, ...)."""
        return self.provider

    @property
    def hop(self) -> str | None:
        """The name of the path hop this target is (a managed proxy: the timeouts written are
        that hop's, `hops.HopKind.written_on == "target"`), or None for a database server."""
        return None

    def platforms_possible(self) -> tuple[str, ...]:
        """The platforms (`cloud.Platform.prefix`) this target may be on when no read says
        (validate): the guard then judges it with their defaults and rules too."""
        return ()


# A profile's `targets:` entry: one of the registered clouds' models (profile.Target is the
# discriminated union, made from the registry).
Target = CloudTarget
