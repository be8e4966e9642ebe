"""The provider packages, one per cloud, and their adapters, imported only when a target of that
cloud is read (start-up time).

Registering a cloud is one line: its package's name in `CLOUDS`. The package's `cloud.py` (no
SDK) describes it to the core (`cloudtimeouts.cloud`); its adapter is named there.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from cloudtimeouts.errors import ProviderUnavailableError

if TYPE_CHECKING:
    from cloudtimeouts.providers.base import ProviderAdapter

CLOUDS = ("aws", "gcp", "azure")


def load_adapter(provider: str) -> ProviderAdapter:
    """A new adapter for provider; a missing SDK becomes one actionable message."""
    from cloudtimeouts.cloud import clouds  # the registry reads this module

    described = clouds().get(provider)
    if described is None:
        raise ProviderUnavailableError(
            f"the {provider} provider is not available in this version of cloudtimeouts"
        )
    module_name, _, class_name = described.adapter.partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in described.sdk_roots:
            raise
        raise ProviderUnavailableError(
            f"the {provider} provider needs a package that is not installed ({error.name})",
            hint=f"pip install 'cloudtimeouts[{provider}]'",
        ) from None
    adapter: ProviderAdapter = getattr(module, class_name)()
    return adapter
