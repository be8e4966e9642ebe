"""Provider adapters, imported only when a target of that provider is read (startup time)."""

from __future__ import annotations

from importlib import import_module

from cloudtimeouts.catalog import Provider
from cloudtimeouts.errors import ProviderUnavailableError
from cloudtimeouts.providers.base import ProviderAdapter

REGISTRY: dict[Provider, str] = {
    Provider.AWS: "cloudtimeouts.providers.aws:AwsAdapter",
    Provider.GCP: "cloudtimeouts.providers.gcp:GcpAdapter",
    Provider.AZURE: "cloudtimeouts.providers.azure:AzureAdapter",
}

_SDK_ROOTS = frozenset({"boto3", "botocore", "google", "grpc", "azure", "msal"})


def load_adapter(provider: Provider) -> ProviderAdapter:
    """A new adapter for provider; a missing SDK becomes one actionable message."""
    location = REGISTRY.get(provider)
    if location is None:
        raise ProviderUnavailableError(
            f"the {provider.value} provider is not available in this version of cloudtimeouts"
        )
    module_name, _, class_name = location.partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _SDK_ROOTS:
            raise
        raise ProviderUnavailableError(
            f"the {provider.value} provider needs a package that is not installed ({error.name})",
            hint=f"pip install 'cloudtimeouts[{provider.value}]'",
        ) from None
    adapter: ProviderAdapter = getattr(module, class_name)()
    return adapter
