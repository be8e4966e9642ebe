"""The RDS emulator's Aurora PostgreSQL 14 catalogue against what AWS really lists.

tests/data/aws/aurora-postgresql14-cluster-parameters.json is AWS's own answer for an Aurora
PostgreSQL 14 DB cluster parameter group (see its README). For every parameter cloudtimeouts
manages, the emulator must agree with it: present or absent, value, allowed values, apply type,
data type, modifiable and source. The emulator's data comes from AWS, never from the tool's
catalog; the catalog only names which parameters matter here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.sandbox.rds.catalogue import FAMILIES, family_catalogue

RECORDING = Path(__file__).resolve().parent.parent / "data" / "aws"
RECORDED = {
    row["ParameterName"]: row
    for row in json.loads((RECORDING / "aurora-postgresql14-cluster-parameters.json").read_text())[
        "Parameters"
    ]
}


def _facts(row: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("ParameterValue", "AllowedValues", "ApplyType", "DataType", "IsModifiable", "Source")
    return tuple(row.get(key) for key in keys)


def test_the_recording_is_the_one_described() -> None:
    sources = [row["Source"] for row in RECORDED.values()]
    assert (len(sources), sources.count("engine-default"), sources.count("system")) == (
        375,
        309,
        66,
    )


@pytest.mark.parametrize("name", sorted(parameters(Engine.POSTGRES)))
def test_the_emulator_lists_each_managed_parameter_as_aws_does(name: str) -> None:
    family = FAMILIES["aurora-postgresql14"]
    listed = {
        row["ParameterName"]: row
        for row in (p.row(family) for p in family_catalogue(family.name).values())
    }
    assert (name in listed) == (name in RECORDED), "present in one listing and not the other"
    if name in RECORDED:
        assert _facts(listed[name]) == _facts(RECORDED[name])


def test_lock_timeout_is_not_an_aurora_postgresql_14_cluster_parameter() -> None:
    assert "lock_timeout" not in RECORDED
    assert "lock_timeout" not in family_catalogue("aurora-postgresql14")
