"""Configuration updates are long-running operations: started, waited for, and accounted for.

Configurations - Update (and MySQL's Batch Update) answer 202 with Azure-AsyncOperation /
Location and Retry-After; the change is applied when the operation completes (Azure REST API
reference, "Track asynchronous Azure operations"). azure-mgmt-core's ARMPolling follows it and
honours Retry-After; without one it polls every `OPERATIONS.poll_s` (the SDK's own default is
30 s). A non-dynamic parameter takes effect only after a server restart, which cloudtimeouts never
performs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from cloudtimeouts.errors import CloudtimeoutsError, ProviderAPIError, WriteError
from cloudtimeouts.providers.azure.errors import translated
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.budget import OperationBudget

# A configuration update normally takes seconds; the poll interval is used only when the service
# sends no Retry-After.
OPERATIONS = OperationBudget(timeout_s=15 * 60.0, poll_s=5.0, poll_max_s=5.0)


def run_operation(
    target: AzureTarget,
    doing: str,
    start: Callable[[], Any],
    *,
    written: Sequence[str],
    sent: Sequence[str],
) -> None:
    """Start a long-running operation and wait for it; a failure becomes a WriteError.

    Nothing of `sent` was applied when the request never left (no connection) or was refused
    (4xx, throttling included): they are then neither written nor unknown. Otherwise it may have
    been accepted, and an operation not known to have ended may still apply it (ARM answers 202
    and applies the change when the operation completes): unknown, in flight.
    """
    applied_nothing = False
    poller = None
    try:
        with translated(target, doing):
            try:
                poller = start()
            except (ServiceRequestError, ClientAuthenticationError):
                applied_nothing = True  # never sent (the token comes first)
                raise
            except HttpResponseError as error:
                applied_nothing = error.status_code is not None and 400 <= error.status_code < 500
                raise
            wait(poller, target, doing)
    except CloudtimeoutsError as error:
        if applied_nothing:
            raise WriteError(error.message, written, (), error.hint) from None
        ended = poller is not None and str(poller.status()).lower() in ("failed", "canceled")
        raise WriteError(error.message, written, sent, error.hint, in_flight=not ended) from None


def wait(poller: Any, target: AzureTarget, what: str) -> None:
    """Wait for a long-running operation, bounded; the poller honours Retry-After."""
    poller.result(timeout=OPERATIONS.timeout_s)
    if not poller.done():
        raise ProviderAPIError(
            "azure",
            "wait",
            "Timeout",
            f"{target.id}: {what}: the operation is still running after "
            f"{int(OPERATIONS.timeout_s // 60)} min",
            hint="check the server's activity log in the Azure portal, then plan again",
        )
