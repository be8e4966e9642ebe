"""AWS RDS and Aurora, through boto3: the package's face (the adapter is in `adapter`)."""

from __future__ import annotations

# The SDK first: importing this package fails when the SDK is missing even if a submodule is still
# loaded from an earlier import (`load_adapter` turns that failure into "pip install ...").
import boto3  # noqa: F401
import botocore  # noqa: F401

from cloudtimeouts.providers.aws.adapter import MAX_PARAMETERS_PER_MODIFY, AwsAdapter
from cloudtimeouts.providers.aws.clients import POOL_CONNECTIONS, read_timeout
from cloudtimeouts.providers.aws.groups import DEFAULT_SOURCES, PAGE_SIZE, engine_of_family

__all__ = [
    "DEFAULT_SOURCES",
    "MAX_PARAMETERS_PER_MODIFY",
    "PAGE_SIZE",
    "POOL_CONNECTIONS",
    "AwsAdapter",
    "engine_of_family",
    "read_timeout",
]
