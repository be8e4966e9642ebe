"""The profile's duration fields: one parser and one JSON Schema for every duration a profile
holds (server parameters, hop timeouts, Django's budgets, `guard.margin`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from cloudtimeouts.durations import Duration, DurationError

DURATION_PATTERN = r"^(\d+(\.\d+)?|(\d+(\.\d+)?\s*(us|ms|s|min|h|d)\s*)+|off|disabled)$"


def _parse_duration(raw: object) -> Duration:
    try:
        return Duration.parse(raw)
    except DurationError as error:
        raise PydanticCustomError("duration", str(error)) from None


DurationField = Annotated[
    Duration,
    BeforeValidator(_parse_duration),
    PlainSerializer(lambda value: value.human(), return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "description": "seconds"},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": "250ms, 30s, 10min, 2h, a bare number of seconds, or 0/off (disabled)",
        }
    ),
]
