"""The provider packages, one per cloud, and their adapters, imported only when a target of that
cloud is read (start-up time).

Registering a cloud is one line: its package's name in `CLOUDS`. The package's `cloud.py` (no
SDK) describes it to the core (`cloudtimeouts.cloud`); its adapter is named there.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cloudtimeouts.errors import ProviderUnavailableError

if TYPE_CHECKING:
    from cloudtimeouts.cloud import Cloud
    from cloudtimeouts.providers.base import ProviderAdapter, ServerLogs

CLOUDS = ("aws", "gcp", "azure")


def load_adapter(provider: str) -> ProviderAdapter:
    """A new adapter for provider; a missing SDK becomes one actionable message."""
    described = _described(provider)
    adapter: ProviderAdapter = _loaded(described, described.adapter)()
    return adapter


def load_server_logs(provider: str) -> ServerLogs | None:
    """The cloud's server-log fetch (`Cloud.logs`), or None when its API offers none."""
    described = _described(provider)
    if described.logs is None:
        return None
    fetch: ServerLogs = _loaded(described, described.logs)
    return fetch


def _described(provider: str) -> Cloud:
    from cloudtimeouts.cloud import clouds  # the registry reads this module

    described = clouds().get(provider)
    if described is None:
        raise ProviderUnavailableError(
            f"the {provider} provider is not available in this version of cloudtimeouts"
        )
    return described


def _loaded(described: Cloud, dotted: str) -> Any:
    """The object `module:name` names in a provider package; a missing SDK becomes one message."""
    module_name, _, name = dotted.partition(":")
    try:
        # The package faces import their SDK when the adapter is first asked for (their `cloud`
        # and `target` import none): a missing SDK fails in the import or in the lookup.
        return getattr(import_module(module_name), name)
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in described.sdk_roots:
            raise
        raise ProviderUnavailableError(
            f"the {described.name} provider needs a package that is not installed ({error.name})",
            hint=f"pip install 'cloudtimeouts[{described.name}]'",
        ) from None
