"""The AWS Query protocol as RDS and STS speak it: form parsing in, XML out.

Requests are ``application/x-www-form-urlencoded`` POSTs with ``Action=...&Version=...``; list
members are flattened as ``Parameters.Parameter.N.Field`` (botocore's query serializer). Answers
are ``<{Action}Response><{Action}Result>...</{Action}Result><ResponseMetadata>`` documents whose
member and list-item names come from botocore's own service model, so the shapes are the ones the
client parses. Errors are ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>``.
Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html and
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/Welcome.html (Query requests).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "API_VERSION",
    "NAMESPACE",
    "RdsError",
    "encode_error",
    "encode_response",
    "parameters_in",
    "parse_form",
    "required",
    "signing_region",
    "signing_service",
]

API_VERSION = "2014-10-31"
NAMESPACE = f"http://rds.amazonaws.com/doc/{API_VERSION}/"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
DEFAULT_REGION = "us-east-1"
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")

ET.register_namespace("", NAMESPACE)  # re-serialised moto answers keep RDS's default namespace


class RdsError(Exception):
    """An RDS error answer: code, message, HTTP status (400 unless the model says otherwise)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def parse_form(body: bytes) -> dict[str, str]:
    """The form fields of a Query request body (the last value of a repeated field wins)."""
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def parameters_in(form: Mapping[str, str]) -> list[dict[str, str]]:
    """Parameters.Parameter.N.Field (botocore's query serialisation of ParametersList), in order."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        parts = key.split(".")
        if len(parts) == 4 and parts[:2] == ["Parameters", "Parameter"] and parts[2].isdigit():
            rows.setdefault(int(parts[2]), {})[parts[3]] = value
    return [rows[index] for index in sorted(rows)]


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:  # wording from hashicorp/terraform#13279 (a real RDS answer)
        raise RdsError(
            "InvalidParameterValue", f"The parameter {name} must be provided and must not be blank."
        )
    return value


def signing_service(headers: Mapping[str, str]) -> str:
    """The service of the SigV4 credential scope (``rds``, ``sts``), "" when unsigned."""
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    return match[2] if match else ""


def signing_region(headers: Mapping[str, str]) -> str:
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    return match[1] if match else DEFAULT_REGION


@cache
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _append(parent: ET.Element, tag: str, shape: Any, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if isinstance(value, Mapping) and value.get(name) is not None:
                _append(element, member.serialization.get("name", name), member, value[name])
    elif kind == "list":
        item_tag = shape.member.serialization.get("name", "member")
        for item in value:
            _append(element, item_tag, shape.member, item)
    elif kind == "boolean":
        element.text = "true" if value else "false"
    elif kind == "timestamp" and isinstance(value, datetime):
        element.text = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        element.text = str(value)


def encode_response(action: str, result: Mapping[str, Any] | None, request_id: str) -> bytes:
    """A Query-protocol success answer, shaped by botocore's model of the RDS action's output."""
    root = ET.Element(f"{action}Response", xmlns=NAMESPACE)
    output = _service_model("rds").operation_model(action).output_shape
    if output is not None:
        wrapper = ET.SubElement(root, output.serialization.get("resultWrapper", f"{action}Result"))
        for name, member in output.members.items():
            if result and result.get(name) is not None:
                _append(wrapper, member.serialization.get("name", name), member, result[name])
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def encode_error(
    code: str, message: str, status: int, request_id: str, namespace: str = NAMESPACE
) -> bytes:
    """The Query error document. Type is Sender for 4xx, Receiver for 5xx (CommonErrors)."""
    root = ET.Element("ErrorResponse", xmlns=namespace)
    body = ET.SubElement(root, "Error")
    ET.SubElement(body, "Type").text = "Sender" if status < 500 else "Receiver"
    ET.SubElement(body, "Code").text = code
    ET.SubElement(body, "Message").text = message
    ET.SubElement(root, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8")
