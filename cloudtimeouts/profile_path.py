"""A profile's `path:` entries, made from the hop kinds' table (`hops.kinds()`).

One model per kind, so that each kind accepts exactly its own timeouts, the JSON Schema lists
them, and the guard reads a hop's value by the same name the table gives it (`Hop.value`): no
second list of a kind's keys to drift from the first.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Annotated, Any, Literal, cast

from pydantic import Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from cloudtimeouts.cloud import clouds
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import HopKind, kinds
from cloudtimeouts.profile_fields import DurationField
from cloudtimeouts.profile_messages import matching, problem, tcp_not_custom
from cloudtimeouts.profile_targets import Strict

HopName = Annotated[
    str,
    matching(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        "a name of letters, digits, '.', '_' and '-', starting with a letter or digit",
        min_length=1,
        max_length=63,
    ),
]


class HopEntry(Strict):
    """What every hop model has; its timeouts are fields named as in its kind's table row."""

    kind: str
    name: HopName

    @property
    def spec(self) -> HopKind:
        return kinds()[self.kind]

    def value(self, timeout: str) -> Duration | None:
        """The declared value of one of the kind's timeouts; a name the kind lacks is a bug, and
        fails loudly rather than reading as "not declared"."""
        self.spec.timeout(timeout)  # StopIteration: not a timeout of this kind
        return cast(Duration | None, getattr(self, timeout))

    @model_validator(mode="after")
    def _as_the_table_says(self) -> HopEntry:
        spec = self.spec
        for timeout in spec.timeouts:
            declared = getattr(self, timeout.name)
            if spec.written_on and declared is not None and timeout.name not in spec.parameters:
                seconds = int(timeout.default.seconds) if timeout.default is not None else 0
                default = f"{seconds} s" if seconds else "0 (disabled)"
                message = spec.lacks.format(name=timeout.name, default=default)
                raise problem(spec.kind.replace("-", "_"), message, parameter=timeout.name)
        if spec.network and getattr(self, "tcp", None) is not None and spec.tcp != "declared":
            raise problem("hop", tcp_not_custom(self.kind), parameter="tcp")
        if spec.network and spec.tcp == "declared" and getattr(self, spec.timeouts[0].name) is None:
            raise PydanticCustomError("hop", f"{spec.title} needs its {spec.timeouts[0].name}")
        return self


def _model(spec: HopKind) -> type[HopEntry]:
    fields: dict[str, Any] = {"kind": (Literal[spec.kind], ...)}  # type: ignore[valid-type]
    if spec.network:
        # picks the documented default when the timeout is absent (hops.default)
        fields["provider"] = (Literal[tuple(clouds())] | None, None)  # type: ignore[valid-type]
    fields.update((timeout.name, (DurationField | None, None)) for timeout in spec.timeouts)
    if spec.network:
        # custom only: it forwards Django's TCP connection as it is, or ends it and opens its
        # own (e.g. HAProxy). Absent: terminates, the conservative answer (hops.passes_tcp).
        fields["tcp"] = (Literal["passthrough", "terminates"] | None, None)
    title = "".join(part.title() for part in spec.kind.split("-")) + "Hop"
    model = create_model(title, __base__=HopEntry, __doc__=f"A path entry: {spec.title}.", **fields)
    return cast(type[HopEntry], model)


MODELS: dict[str, type[HopEntry]] = {kind: _model(spec) for kind, spec in kinds().items()}

Hop = Annotated[reduce(or_, MODELS.values()), Field(discriminator="kind")]  # type: ignore[valid-type]
