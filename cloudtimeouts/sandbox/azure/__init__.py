"""HTTPS emulator of Azure Resource Manager for flexible-server parameters, with Entra ID.

The real SDK clients (``azure-mgmt-postgresqlflexibleservers``,
``azure-mgmt-mysqlflexibleservers``) and a real ``azure-identity`` credential talk to it
unchanged, on one HTTPS port served by the shared
:class:`~cloudtimeouts.sandbox.loopback.LoopbackServer` (TLS from
:mod:`cloudtimeouts.sandbox.tls`: clients trust :attr:`FakeAzure.ca_bundle`, see
:meth:`FakeAzure.env`).

Layout:
- ``catalogue.py`` + ``data/*.csv``: the server parameters per engine and version, from
  Microsoft's documentation (sources in the files' headers);
- ``state.py``: servers, configurations, long-running operations;
- ``logs.py``: the servers' log files, their listing and the blob they are read from;
- ``shapes.py``: the JSON bodies; ``arm.py``: the ARM wire (paths, LROs, errors, fault shapes);
  ``access.py``: bearer token and api-version checks; ``errors.py``: ARM's error answer;
- ``entra.py``: the Entra ID discovery and token endpoints, standing apart;
- ``fake.py``: :class:`FakeAzure`, lifecycle, credentials and seeding.

Operation names (``request.operation``; targets for ``fake.faults.add(..., operation=...)``),
after the REST API's own operation ids:

- ``token``: ``POST /{tenant}/oauth2/v2.0/token`` (Entra ID);
- ``openid-configuration``: ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (Entra ID);
- ``servers.get``: ``GET .../flexibleServers/{server}``;
- ``servers.restart``: ``POST .../flexibleServers/{server}/restart``;
- ``configurations.listByServer``: ``GET .../flexibleServers/{server}/configurations``;
- ``configurations.get``: ``GET .../configurations/{name}``;
- ``configurations.update``: ``PATCH .../configurations/{name}``;
- ``configurations.put``: ``PUT .../configurations/{name}`` on PostgreSQL (Configurations_Put);
- ``configurations.createOrUpdate``: the same PUT on MySQL (Configurations_CreateOrUpdate);
- ``logFiles.listByServer``: ``GET .../flexibleServers/{server}/logFiles`` (both engines);
- ``logFiles.download``: ``GET /{container}/serverlogs/{name}?{SAS}``, the blob a listed file's
  ``url`` names (``logs.py``);
- ``configurations.batchUpdate``: ``POST .../flexibleServers/{server}/updateConfigurations``
  (MySQL);
- ``operations.get``: ``GET /subscriptions/{sub}/providers/{ns}/locations/{loc}/``
  ``azureAsyncOperation/{id}`` (the Azure-AsyncOperation status monitor);
- ``operationResults.get``: ``GET .../locations/{loc}/operationResults/{id}`` (the Location
  monitor);
- ``unknown``: anything else (answered with ARM's 404/405).

Fault shapes (``fault_response``): ``throttle`` = 429 with ``Retry-After``
(:attr:`FakeAzure.throttle_retry_after`), ``x-ms-ratelimit-remaining-subscription-reads|writes: 0``
and ``{"error": {"code": "TooManyRequests", ...}}``; ``server-error`` = 500 ``InternalServerError``;
``lost-response`` = the request is carried out, then 503 ``ServiceUnavailable``. On the blob
(``logFiles.download``) they answer as Azure Storage: ``throttle`` and ``lost-response`` = 503
``ServerBusy``, ``server-error`` = 500 ``InternalError``. On the token
endpoints the same faults answer Entra's OAuth2 error body (``temporarily_unavailable``). ``reset``,
``malformed`` and ``black-hole`` are the loopback server's own.
"""

from cloudtimeouts.sandbox.azure.errors import ArmError
from cloudtimeouts.sandbox.azure.fake import FakeAzure

__all__ = ["ArmError", "FakeAzure"]
