"""What the vendors publish, read offline: the facts a test may hold an emulator or the tool to.

- Amazon RDS: botocore's service model (`botocore/data/rds/2014-10-31/service-2.json`, installed
  with the `aws` extra): operations, their documented constraints, error shapes (code and HTTP
  status), enums.
- Amazon RDS, recorded: `tests/data/aws/` (a copy of `shared/data/aws/`): an Aurora PostgreSQL 14
  cluster parameter listing as AWS returned it.
- Google Cloud SQL: the `google-cloud-sql` client library (generated from the sqladmin API's own
  definition): its enums. No installed package ships the sqladmin v1beta4 discovery document
  (googleapiclient's `discovery_cache` is not a dependency), so nothing here reads it.

Tests whose names state a cloud fact check it here, or say "emulator" in their name.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"


@functools.cache
def rds() -> Any:
    """botocore's RDS service model (a `botocore.model.ServiceModel`)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("rds")


def rds_error(shape: str) -> tuple[str, int]:
    """The error code and HTTP status an RDS error shape documents."""
    error = rds().shape_for(shape).metadata["error"]
    return error["code"], error["httpStatusCode"]


def rds_errors(operation: str) -> set[str]:
    """The error codes the model lists for an operation."""
    return {rds_error(shape.name)[0] for shape in rds().operation_model(operation).error_shapes}


def text(html: str) -> str:
    """A documentation string without its markup, on one line."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rds_doc(shape: str, member: str | None = None) -> str:
    """The documentation of an RDS shape (or of one of its members), as text."""
    found = rds().shape_for(shape)
    if member is not None:
        found = found.members[member]
    return text(found.documentation)


def rds_operation_doc(operation: str) -> str:
    return text(rds().operation_model(operation).documentation)


@functools.cache
def recorded_aurora_postgresql14() -> dict[str, dict[str, Any]]:
    """The recorded Aurora PostgreSQL 14 cluster parameter listing, by parameter name."""
    listing = json.loads((DATA / "aws" / "aurora-postgresql14-cluster-parameters.json").read_text())
    return {parameter["ParameterName"]: parameter for parameter in listing["Parameters"]}
