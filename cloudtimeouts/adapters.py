"""The adapters of one run: loaded from the providers' registry on first use, one per provider.

Why a module of its own: reading (`planning`) and writing (`applying`) reach the clouds through
the same adapters and say a target's failure in the same words. Loading an adapter imports its
SDK, so it happens once per provider per run and only for a provider the run has a target of;
a provider whose packages are missing is remembered as that error, which each of its targets
then reports (the other providers' targets go on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from cloudtimeouts.errors import CloudtimeoutsError, ProviderUnavailableError
from cloudtimeouts.providers import load_adapter
from cloudtimeouts.targets import managed

if TYPE_CHECKING:
    from cloudtimeouts.model import TargetState
    from cloudtimeouts.profile import Profile, Target
    from cloudtimeouts.providers.base import ProviderAdapter

AdapterLoader = Callable[[str], "ProviderAdapter"]  # a provider's name -> its adapter


class Adapters:
    """One adapter per provider per run, loaded on first use (and its SDK with it)."""

    def __init__(self, loader: AdapterLoader = load_adapter) -> None:
        self._loader = loader
        self._loaded: dict[str, ProviderAdapter | ProviderUnavailableError] = {}
        self._lock = threading.Lock()

    def get(self, provider: str) -> ProviderAdapter:
        with self._lock:
            if provider not in self._loaded:
                self._load(provider)
        adapter = self._loaded[provider]
        if isinstance(adapter, ProviderUnavailableError):
            raise adapter
        return adapter

    def expect(self, targets: Iterable[Target]) -> None:
        """Tell each provider's adapter which of its targets this plan reads (for batching)."""
        by_provider: dict[str, list[Target]] = {}
        for target in targets:
            by_provider.setdefault(target.provider, []).append(target)
        for provider, group in by_provider.items():
            try:
                self.get(provider).expect(group)
            except CloudtimeoutsError:
                continue  # a missing SDK: each target's read reports it

    def endpoint(self, target: Target) -> str:
        try:
            return self.get(target.provider).endpoint(target)
        except Exception:
            return f"the {target.provider} API"

    def _load(self, provider: str) -> None:
        try:
            self._loaded[provider] = self._loader(provider)
        except ProviderUnavailableError as error:
            self._loaded[provider] = error


def read_target(adapters: Adapters, profile: Profile, target: Target) -> TargetState:
    """What the target holds of every parameter the profile manages there."""
    adapter = adapters.get(target.provider)
    return adapter.read(target, profile.engine, tuple(managed(profile, target)[0]))


def with_hint(error: CloudtimeoutsError) -> str:
    """An error and its hint in one line: a target's result holds one message."""
    return f"{error.message} (hint: {error.hint})" if error.hint else error.message


def unexpected(error: BaseException) -> str:
    """A failure outside the mapped errors, in one line (never a traceback)."""
    if isinstance(error, CloudtimeoutsError):
        return with_hint(error)
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"unexpected {type(error).__name__}" + (f": {text}" if text else "")
