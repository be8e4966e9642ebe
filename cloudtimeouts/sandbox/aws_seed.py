"""Seed moto with parameter groups that carry the metadata real RDS returns.

moto stores only the parameters written to it, and echoes back whatever fields a modify sent.
Real RDS lists every parameter of the family with Source, ApplyType, AllowedValues, IsModifiable
and DataType (Amazon RDS API Reference, DescribeDBParameters / Parameter data type). Seeding those
fields through ModifyDBParameterGroup lets tests and the demo see AWS-shaped answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudtimeouts.catalog import ApplyType, Engine, Provider, parameters
from cloudtimeouts.providers.aws import MAX_PARAMETERS_PER_MODIFY

# Parameters the tool does not manage, so tests can prove they are left alone. Static ones need a
# reboot on RDS (RDS UserGuide, "Working with parameter groups": static vs dynamic).
UNRELATED: Mapping[Engine, Mapping[str, tuple[str, ApplyType, str]]] = {
    Engine.POSTGRES: {
        "max_connections": ("200", ApplyType.STATIC, "6-8388607"),
        "shared_buffers": ("16384", ApplyType.STATIC, "16-1073741823"),
        "log_min_duration_statement": ("1000", ApplyType.DYNAMIC, "-1-2147483647"),
        "work_mem": ("4096", ApplyType.DYNAMIC, "64-2147483647"),
    },
    Engine.MYSQL: {
        "max_connections": ("300", ApplyType.DYNAMIC, "1-100000"),
        "innodb_buffer_pool_size": ("134217728", ApplyType.STATIC, "5242880-9223372036854775807"),
        "long_query_time": ("2", ApplyType.DYNAMIC, "0-31536000"),
    },
    Engine.MARIADB: {
        "max_connections": ("300", ApplyType.DYNAMIC, "1-100000"),
        "innodb_buffer_pool_size": ("134217728", ApplyType.STATIC, "5242880-9223372036854775807"),
        "long_query_time": ("2", ApplyType.DYNAMIC, "0-31536000"),
    },
}


def catalog_parameters(
    engine: Engine, values: Mapping[str, str] | None = None, static: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Every catalog parameter of engine, AWS-shaped; `values` marks user-set ones."""
    values = values or {}
    result = []
    for spec in parameters(engine).values():
        user_set = spec.name in values
        low, high = spec.minimum.to_native(spec.unit), spec.maximum.to_native(spec.unit)
        result.append(
            {
                "ParameterName": spec.name,
                "ParameterValue": values.get(
                    spec.name, spec.default_for(Provider.AWS).to_native(spec.unit)
                ),
                "Source": "user" if user_set else "engine-default",
                "ApplyType": "static" if spec.name in static else "dynamic",
                "DataType": "float" if "." in low + high else "integer",
                "AllowedValues": f"{low}-{high}",
                "IsModifiable": True,
                "ApplyMethod": "pending-reboot" if spec.name in static else "immediate",
            }
        )
    return result


def unrelated_parameters(engine: Engine) -> list[dict[str, Any]]:
    return [
        {
            "ParameterName": name,
            "ParameterValue": value,
            "Source": "user",
            "ApplyType": apply_type.value,
            "DataType": "integer",
            "AllowedValues": allowed,
            "IsModifiable": True,
            "ApplyMethod": "pending-reboot" if apply_type is ApplyType.STATIC else "immediate",
        }
        for name, (value, apply_type, allowed) in UNRELATED[engine].items()
    ]


def seed_group(
    rds: Any,
    name: str,
    family: str,
    engine: Engine,
    values: Mapping[str, str] | None = None,
    *,
    cluster: bool = False,
    static: frozenset[str] = frozenset(),
    extra: list[dict[str, Any]] | None = None,
) -> None:
    """Create a DB (or cluster) parameter group with AWS-shaped metadata for every parameter."""
    description = f"{engine} timeouts managed by cloudtimeouts"
    if cluster:
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=name, DBParameterGroupFamily=family, Description=description
        )
    else:
        rds.create_db_parameter_group(
            DBParameterGroupName=name, DBParameterGroupFamily=family, Description=description
        )
    seeded = catalog_parameters(engine, values, static) + unrelated_parameters(engine)
    seeded += extra or []
    for start in range(0, len(seeded), MAX_PARAMETERS_PER_MODIFY):
        batch = seeded[start : start + MAX_PARAMETERS_PER_MODIFY]
        if cluster:
            rds.modify_db_cluster_parameter_group(
                DBClusterParameterGroupName=name, Parameters=batch
            )
        else:
            rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=batch)
