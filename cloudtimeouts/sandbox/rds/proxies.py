"""ModifyDBProxy, which moto lacks: RDS Proxy's IdleClientTimeout (and friends) changed in place.

Amazon RDS API Reference, ModifyDBProxy: DBProxyName (required), IdleClientTimeout ("the number
of seconds that a connection to the proxy can be inactive before the proxy disconnects it"),
RequireTLS, DebugLogging; answers the DBProxy; DBProxyNotFoundFault (404) for an unknown proxy.
The RDS User Guide ("RDS Proxy connection considerations") gives the default, 1,800 s; the
console accepts 1 second to 8 hours, the range moto's CreateDBProxy also clamps to: 1..28800.
UNVERIFIED: the wording of the out-of-range error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from cloudtimeouts.sandbox.rds.moto_bridge import MotoBridge
from cloudtimeouts.sandbox.rds.wire import NAMESPACE, RdsError

IDLE_CLIENT_TIMEOUT = (1, 28_800)
ACCOUNT_ID = "123456789012"  # moto's default account


def modify_db_proxy(moto: MotoBridge, region: str, form: Mapping[str, str], rid: str) -> bytes:
    """Change the proxy in moto's backend, then answer with the DBProxy as moto describes it."""
    name = form.get("DBProxyName", "")
    if not name:
        raise RdsError("InvalidParameterValue", "DBProxyName is required", 400)
    proxy = _proxy(region, name)
    if "IdleClientTimeout" in form:
        raw = form["IdleClientTimeout"]
        low, high = IDLE_CLIENT_TIMEOUT
        if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
            raise RdsError(
                "InvalidParameterValue",
                f"IdleClientTimeout must be between {low} and {high} seconds: {raw}",
                400,
            )
        proxy.idle_client_timeout = int(raw)
    for key, attribute in (("RequireTLS", "require_tls"), ("DebugLogging", "debug_logging")):
        if key in form:
            setattr(proxy, attribute, form[key].lower() == "true")
    described = moto.internal(region, "DescribeDBProxies", {"DBProxyName": name})
    member = described.find(f".//{{{NAMESPACE}}}DBProxies/{{{NAMESPACE}}}member")
    if member is None:
        member = described.find(".//DBProxies/member")
    root = ET.Element("ModifyDBProxyResponse", xmlns=NAMESPACE)
    result = ET.SubElement(root, "ModifyDBProxyResult")
    proxy_element = ET.SubElement(result, "DBProxy")
    for child in list(member) if member is not None else []:
        child.tag = child.tag.split("}")[-1]
        for inner in child.iter():
            inner.tag = inner.tag.split("}")[-1]
        proxy_element.append(child)
    ET.SubElement(ET.SubElement(root, "ResponseMetadata"), "RequestId").text = rid
    return ET.tostring(root, encoding="utf-8")


def _proxy(region: str, name: str) -> Any:
    from moto.rds.models import rds_backends

    proxies = rds_backends[ACCOUNT_ID][region].db_proxies
    if name not in proxies:
        raise RdsError(
            "DBProxyNotFoundFault", f"The specified proxy name {name} doesn't exist.", 404
        )
    return proxies[name]
