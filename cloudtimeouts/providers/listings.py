"""A plan's first reads served by one listing per group instead of one call per target.

Where a cloud lists a whole group in one call what it otherwise answers one target at a time
(Cloud SQL's instances.list per project, Azure's Servers - List By Resource Group), an adapter
lists the group once for a plan. The rules, shared by those adapters, so that a listing saves
calls and changes nothing else:

- A group is listed only when `ProviderAdapter.expect` announced two or more of its targets (for
  one, a get is one call too, and the listing may hold many resources the plan does not read).
- A listed resource serves ONE read: the first read of a target `expect` announced. Every other
  read (apply's re-read before its write, the confirming re-read, a read nobody announced) asks
  the API for that target alone, so that what a write relies on is fresh.
- A target the listing does not hold is read by itself: its "not found" is its own error (and a
  listing the cloud says may be incomplete cannot hide a target).
- A listing that failed in a way a get may not (`set_aside`: refused for a permission of its own,
  garbled) is set aside and each target is read by itself. Any other failure (throttled or
  unavailable after the retries, unreachable, silent) is raised again to each target that was
  waiting for it, inside that target's own error translation: one more call per target would only
  wait again.

No cloud SDK here: the adapters pass their own listing call and their own judgement of failures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any

SetAside = Callable[[Exception], bool]


class Listing:
    """One group's listing: fetched once, at the first read that needs it; each item handed out
    once."""

    def __init__(self, set_aside: SetAside) -> None:
        self._set_aside = set_aside
        self._lock = threading.Lock()
        self._items: dict[str, Any] | None = None
        self._failure: Exception | None = None
        self._aside = False

    def take(self, name: str, fetch: Callable[[], Iterable[tuple[str, Any]]]) -> Any | None:
        """The item called `name` (listing the group now if need be), or None: read it by itself.

        Call it inside the caller's error translation: a failed listing is raised again there.
        """
        with self._lock:
            if self._items is None and self._failure is None:
                try:
                    self._items = dict(fetch())
                except Exception as error:
                    self._failure, self._aside = error, self._set_aside(error)
            if self._items is not None:
                return self._items.pop(name, None)
            if self._aside:
                return None
            failure = self._failure
        assert failure is not None
        raise failure


class Listings:
    """The listings of one plan: which reads they serve (`expect` starts a new plan)."""

    def __init__(self, set_aside: SetAside) -> None:
        self._set_aside = set_aside
        self._lock = threading.Lock()
        self._pending: dict[Hashable, set[str]] = {}  # group -> announced names not read yet
        self._listings: dict[Hashable, Listing] = {}

    def expect(self, members: Iterable[tuple[Hashable, str]]) -> None:
        """Every (group, name) the plan is about to read; groups of two or more are listed."""
        groups: dict[Hashable, set[str]] = {}
        for group, name in members:
            groups.setdefault(group, set()).add(name)
        with self._lock:
            self._pending = {group: names for group, names in groups.items() if len(names) > 1}
            self._listings = {}

    def claim(self, group: Hashable, name: str, key: Hashable | None = None) -> Listing | None:
        """The listing that serves this read of `name`, or None: read it by itself. A name is
        claimed once. `key` names the listing when one group has several (one per engine)."""
        with self._lock:
            pending = self._pending.get(group)
            if pending is None or name not in pending:
                return None
            pending.discard(name)
            return self._listings.setdefault(
                group if key is None else key, Listing(self._set_aside)
            )
