"""A realistic Amazon RDS parameter-group emulator in front of moto, for tests and the demo.

Layout:
- `catalogue`: families and their parameters, read from the package data files ``data/*.csv``
  (written from the providers' documentation; sources in each file and in the loader);
- `wire`: the Query protocol (form fields in, XML shaped by botocore's model out, errors);
- `state`: parameter groups, pagination and RDS's validation, applied whole or not at all;
- `moto_bridge`: moto in process for instances, clusters, STS and the rest;
- `app`: the `LoopbackServer` App (operation names are the Query ``Action``; provider-shaped
  injected faults);
- `emulator`: `RealisticRds`, the server with its seeding helpers.

It imports nothing from the tool: only the standard library, botocore/boto3, moto, werkzeug and
other `cloudtimeouts.sandbox` modules.
"""

from cloudtimeouts.sandbox.rds.app import RdsApp
from cloudtimeouts.sandbox.rds.catalogue import (
    FAMILIES,
    CatalogueParameter,
    RdsFamily,
    family_catalogue,
)
from cloudtimeouts.sandbox.rds.emulator import RealisticRds
from cloudtimeouts.sandbox.rds.wire import RdsError

__all__ = [
    "FAMILIES",
    "CatalogueParameter",
    "RdsApp",
    "RdsError",
    "RdsFamily",
    "RealisticRds",
    "family_catalogue",
]
