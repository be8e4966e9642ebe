"""ARM's error answer, shared by the state (which decides) and the wire (which sends it).

Shape: ``{"error": {"code": ..., "message": ...}}`` with the status code, as every ARM resource
provider answers (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors);
azure-core's ``ARMErrorFormat`` reads ``error.code`` and ``error.message`` from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ArmError"]


class ArmError(Exception):
    """An ARM error answer: status code, ``error.code``, ``error.message`` and extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}
