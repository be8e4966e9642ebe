"""One request in flight per key: the callers that ask while it runs wait for it and share it.

A plan reads up to 16 targets of one subscription or project at once, and each target's first call
needs the same access token. Left alone, every one of them asks the token endpoint: azure-core's
BearerTokenCredentialPolicy takes no lock around `get_token` (it fetches whenever the token it
holds is missing or due, `azure.core.pipeline.policies._authentication`), and azure-identity's
credentials none around their cache (`GetTokenMixin._get_token_base`), so 16 concurrent first
calls were 16 sign-ins. Azure's .NET SDK gates the same policy for the same reason
(Azure/azure-sdk-for-net#13610, fixed in Azure.Core 1.4.1).

`Flights.run(key, fetch)`: the first caller runs `fetch`; the callers that ask for the same key
while it runs wait and get its result, or its exception (each caller then says it in its own
words: one clear error per target). A failure is not kept: the next caller after it asks again,
so a transient failure costs the callers that were waiting for it, not the whole run. Nothing
here knows a cloud.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class _Flight(Generic[V]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None


class Flights(Generic[V]):
    """Thread-safe; one per credential (or whatever the key's calls share)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flying: dict[Hashable, _Flight[V]] = {}

    def run(self, key: Hashable, fetch: Callable[[], V]) -> V:
        with self._lock:
            flight = self._flying.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flying[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]
        try:
            flight.value = fetch()
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                del self._flying[key]
            flight.done.set()
        return flight.value
