"""RDS Proxy targets: a proxy's IdleClientTimeout, read with DescribeDBProxies and set with
ModifyDBProxy (Amazon RDS API Reference). The proxy closes client connections idle that long
(RDS User Guide, "RDS Proxy connection considerations"); the plan guards it like a timeout.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import CloudtimeoutsError, TargetNotAllowedError, WriteError
from cloudtimeouts.model import Change, ParameterState, TargetState, WriteOutcome
from cloudtimeouts.providers.aws.calls import translated
from cloudtimeouts.providers.aws.cloud import IDLE_CLIENT_TIMEOUT
from cloudtimeouts.providers.aws.target import AwsTarget

# DBProxy.EngineFamily -> the engines a profile may have behind it
_FAMILIES = {
    "POSTGRESQL": frozenset({Engine.POSTGRES}),
    "MYSQL": frozenset({Engine.MYSQL, Engine.MARIADB}),
}


def describe(rds: Any, target: AwsTarget) -> dict[str, Any]:
    with translated(target, "DescribeDBProxies"):
        (proxy,) = rds.describe_db_proxies(DBProxyName=target.group_name)["DBProxies"]
    return dict(proxy)


def engine(rds: Any, target: AwsTarget) -> Engine:
    family = str(describe(rds, target).get("EngineFamily", ""))
    engines = _FAMILIES.get(family)
    if not engines:
        raise TargetNotAllowedError(
            f"{target.id}: engine family {family} is not one cloudtimeouts knows"
        )
    return min(engines)  # MYSQL: mysql (a MariaDB fleet says so in its profile)


def read(rds: Any, target: AwsTarget, wanted_engine: Engine) -> TargetState:
    proxy = describe(rds, target)
    family = str(proxy.get("EngineFamily", ""))
    if wanted_engine not in _FAMILIES.get(family, frozenset()):
        raise TargetNotAllowedError(
            f"{target.id}: the proxy's engine family is {family}, but the profile's engine is "
            f"{wanted_engine}",
            hint="point the target at a proxy of the profile's engine",
        )
    spec = IDLE_CLIENT_TIMEOUT
    low, high = (spec.minimum.to_native(spec.unit), spec.maximum.to_native(spec.unit))
    value = proxy.get("IdleClientTimeout")
    state = ParameterState(
        spec.name,
        value=None if value is None else str(value),
        default=spec.default.to_native(spec.unit),
        allowed=(Decimal(low), Decimal(high)),
        apply_type=ApplyType.DYNAMIC,
    )
    return TargetState(
        target.id, wanted_engine, {spec.name: state}, version=f"RDS Proxy ({family})"
    )


def write(rds: Any, target: AwsTarget, changes: list[Change]) -> WriteOutcome:
    (change,) = changes  # a proxy manages one value
    try:
        with translated(target, "ModifyDBProxy"):
            rds.modify_db_proxy(
                DBProxyName=target.group_name, IdleClientTimeout=int(change.desired)
            )
    except CloudtimeoutsError as error:  # idempotent, but the answer may have been lost
        raise WriteError(error.message, (), [change.parameter], error.hint) from None
    return WriteOutcome(written=(change.parameter,))
