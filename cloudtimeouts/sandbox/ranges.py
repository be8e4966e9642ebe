"""Allowed-value checks shared by the sandbox emulators.

The clouds describe what a parameter accepts with one small language:

- AWS RDS ``AllowedValues``: ``"0-2147483647"``, ``"-1-10000"``, ``"0,1"``, ``"on,off"``
  (DescribeDBParameters, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Parameter.html);
- Azure ``allowedValues``: ``"0-2147483647"``, ``"ON,OFF"``, ``"1-5,10"``
  (https://learn.microsoft.com/rest/api/postgresql/flexibleserver/configurations/get);
- Cloud SQL carries ``minValue``/``maxValue`` and ``allowedStringValues`` separately; callers can
  join them into the same text (``f"{min}-{max}"``).

A comma-separated list of choices, each either a number range ``low-high`` (either bound may be
negative) or a literal. Literals compare case-insensitively (Azure lists ``on,off`` and reports
``ON``). This module is the one parser of that language in the sandbox; its API is stable:
``parse_range(text)`` and ``value_allowed(value, data_type, allowed)``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["NUMERIC_TYPES", "SET_TYPES", "parse_range", "split_choices", "value_allowed"]

_BOUND = r"(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"  # RDS writes "0-1.79769e+308"
_RANGE = re.compile(rf"^\s*{_BOUND}\s*-\s*{_BOUND}\s*$")
_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")

#: Data type names (lower-cased) whose values are numbers: RDS ``integer``/``float``, Azure
#: ``Integer``/``Numeric``, Cloud SQL ``INTEGER``/``FLOAT``.
NUMERIC_TYPES = frozenset({"integer", "int", "float", "double", "numeric", "decimal"})
_INTEGER_TYPES = frozenset({"integer", "int"})
#: Data type names whose values are comma-separated sets of choices: RDS ``list``, Azure ``Set``.
SET_TYPES = frozenset({"list", "set"})


def parse_range(text: str) -> tuple[Decimal, Decimal] | None:
    """``"low-high"`` as two Decimals (``"-1-10000"`` -> (-1, 10000)); None if it is not a range."""
    match = _RANGE.match(text)
    if match is None:
        return None
    return Decimal(match.group(1)), Decimal(match.group(2))


def split_choices(allowed: str | None) -> list[str]:
    """The comma-separated choices of an allowed-values text, stripped, empty ones dropped."""
    if not allowed:
        return []
    return [choice.strip() for choice in allowed.split(",") if choice.strip()]


def value_allowed(value: str, data_type: str, allowed: str | None) -> bool:
    """Whether ``value`` is of ``data_type`` and one of the ``allowed`` choices or ranges.

    ``allowed`` empty or None means any value of the type. Numeric types take integers (for
    integer types) or decimals, compared to each range and to each numeric literal; set types
    (``list``/``set``) take a comma-separated subset of the choices; other types one choice,
    case-insensitively.
    """
    kind = data_type.strip().lower()
    text = value.strip()
    choices = split_choices(allowed)
    if kind in NUMERIC_TYPES:
        pattern = _INTEGER if kind in _INTEGER_TYPES else _DECIMAL
        if not pattern.match(text):
            return False
        number = Decimal(text)
        if not choices:
            return True
        for choice in choices:
            bounds = parse_range(choice)
            if bounds is not None:
                if bounds[0] <= number <= bounds[1]:
                    return True
                continue
            try:
                if Decimal(choice) == number:
                    return True
            except InvalidOperation:
                if choice.lower() == text.lower():
                    return True
        return False
    if not choices:
        return True
    lowered = {choice.lower() for choice in choices}
    if kind in SET_TYPES:
        return all(item.strip().lower() in lowered for item in text.split(",") if item.strip())
    return text.lower() in lowered
