"""What one adapter shares between the reads of a fleet (issue #10); no I/O here.

- `expect()` announces the targets a plan reads. A batch (the families of many groups from one
  listing; the Aurora clusters and members of a region) serves only the FIRST read of an
  announced target: apply's re-read before writing and its confirming re-read always ask the API
  for that target.
- The Aurora clusters of a region and their members' DB parameter groups are one lookup for every
  announced target of those credentials and region, cluster groups and members' DB groups alike.
- Engine defaults belong to a family, not to a group: they are read once a second group of the
  family is read with the same credentials and region, and kept for the adapter's life (a family's
  defaults do not change while a plan runs).
- A shared read that fails is no target's error: the targets fall back to the calls each would
  make alone, and what those raise is that target's own error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from cloudtimeouts.providers.aws.target import AwsTarget

T = TypeVar("T")
ClientKey = tuple[str, str | None, str | None]  # region, aws_profile, role_arn: one client each


def client_key(target: AwsTarget) -> ClientKey:
    return (target.region, target.aws_profile, target.role_arn)


def is_cluster(target: AwsTarget) -> bool:
    return target.cluster_parameter_group is not None


class Once(Generic[T]):
    """A value computed by the first caller while the others wait for it.

    An exception is not kept: it reaches the caller that computed, and the next caller tries
    again (so one target's failure never becomes another's).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None

    @property
    def done(self) -> bool:
        return self._done

    def peek(self) -> T | None:
        """The value if it was computed, else None; never waits."""
        return self._value if self._done else None

    def get(self, compute: Callable[[], T]) -> T:
        with self._lock:
            if not self._done:
                self._value = compute()
                self._done = True
            return self._value  # type: ignore[return-value]


class Fleet:
    """The announced targets and the shared reads of one adapter; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._announced: dict[tuple[ClientKey, bool], set[str]] = {}
        self._unread: set[str] = set()  # keys of announced targets not read yet
        self._shared: dict[tuple[Hashable, ...], Once[Any]] = {}
        self._read: dict[tuple[ClientKey, bool, str], set[str]] = {}  # groups read per family

    def expect(self, targets: Iterable[AwsTarget]) -> None:
        with self._lock:
            for target in targets:
                if getattr(target, "rds_proxy", None):  # a proxy has no parameter group
                    continue
                scope = (client_key(target), is_cluster(target))
                self._announced.setdefault(scope, set()).add(target.group_name.lower())
                self._unread.add(target.key)

    def first_read(self, target: AwsTarget) -> bool:
        """True once per announced target: the one read that a batch may serve."""
        with self._lock:
            if target.key in self._unread:
                self._unread.discard(target.key)
                return True
            return False

    def announced(self, target: AwsTarget, cluster: bool | None = None) -> frozenset[str]:
        """The groups (lower case) of the target's kind (or, with `cluster`, of that kind)
        announced with its credentials."""
        kind = is_cluster(target) if cluster is None else cluster
        with self._lock:
            return frozenset(self._announced.get((client_key(target), kind), ()))

    def shared(self, *key: Hashable) -> Once[Any]:
        with self._lock:
            return self._shared.setdefault(key, Once())

    def groups_of_family(self, target: AwsTarget, family: str, known: Mapping[str, str]) -> int:
        """How many groups of `family` this adapter reads with the target's credentials: the
        ones read so far (this one included) and the announced ones a listing showed of it."""
        key = (client_key(target), is_cluster(target), family)
        with self._lock:
            read = self._read.setdefault(key, set())
            read.add(target.group_name.lower())
            return len(read | {name for name, of in known.items() if of == family})
