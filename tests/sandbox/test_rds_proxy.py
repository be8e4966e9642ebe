"""RDS Proxy on the emulator: moto's CreateDBProxy and DescribeDBProxies, our ModifyDBProxy."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import vendor

from cloudtimeouts.sandbox.rds import RealisticRds


def create_proxy(rds: RealisticRds, name: str = "orders-proxy") -> Any:
    rds.create_proxy(name)
    return rds.client()


def test_modify_db_proxy_sets_idle_client_timeout(aws: RealisticRds) -> None:
    client = create_proxy(aws)
    (proxy,) = client.describe_db_proxies(DBProxyName="orders-proxy")["DBProxies"]
    assert proxy["IdleClientTimeout"] == 1800  # the documented default
    answer = client.modify_db_proxy(DBProxyName="orders-proxy", IdleClientTimeout=900)
    assert answer["DBProxy"]["IdleClientTimeout"] == 900
    (proxy,) = client.describe_db_proxies(DBProxyName="orders-proxy")["DBProxies"]
    assert proxy["IdleClientTimeout"] == 900


@pytest.mark.parametrize(("name", "value", "code"), [
    ("orders-proxy", 0, "InvalidParameterValue"),
    ("orders-proxy", 28_801, "InvalidParameterValue"),
    ("no-such-proxy", 900, "DBProxyNotFoundFault"),
])  # fmt: skip
def test_the_rds_emulator_refuses_these_proxy_modifications(
    aws: RealisticRds, name: str, value: int, code: str
) -> None:
    # botocore's model names the missing proxy's error; the 1..28800 range is the emulator's
    # (the RDS Proxy documentation), which the model does not state.
    assert "DBProxyNotFoundFault" in vendor.rds_errors("ModifyDBProxy")
    client = create_proxy(aws)
    with pytest.raises(ClientError) as refused:
        client.modify_db_proxy(DBProxyName=name, IdleClientTimeout=value)
    assert refused.value.response["Error"]["Code"] == code
    (proxy,) = client.describe_db_proxies(DBProxyName="orders-proxy")["DBProxies"]
    assert proxy["IdleClientTimeout"] == 1800
