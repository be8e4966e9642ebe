"""Durations: one exact representation for values that each engine stores in its own unit.

Everything is kept as an integer number of microseconds so that conversions (ms for PostgreSQL,
s for MySQL, fractional seconds for MariaDB's max_statement_time) are exact, and a value that is
not a whole number of the target unit is an error rather than a silent rounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

_US_PER = {
    "us": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "min": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}
_BARE = re.compile(r"^\d+(?:\.\d+)?$")
_PARTS = re.compile(r"^(?:\d+(?:\.\d+)?\s*[a-z]+\s*)+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
DISABLED_WORDS = frozenset({"off", "disabled"})


class DurationError(ValueError):
    """A duration that cannot be parsed or converted; the message is meant for users."""


class NativeUnit(StrEnum):
    """How an engine parameter stores a duration."""

    MILLISECONDS = "ms"
    SECONDS = "s"
    FRACTIONAL_SECONDS = "s (fractional)"

    @property
    def symbol(self) -> str:
        return "s" if self is NativeUnit.FRACTIONAL_SECONDS else self.value


@dataclass(frozen=True, order=True, slots=True)
class Duration:
    """A non-negative duration; zero means "disabled" for every timeout the tool manages."""

    microseconds: int

    def __post_init__(self) -> None:
        if self.microseconds < 0:
            raise DurationError("a duration cannot be negative")

    @property
    def disabled(self) -> bool:
        return self.microseconds == 0

    @property
    def seconds(self) -> Decimal:
        return Decimal(self.microseconds) / _US_PER["s"]

    @classmethod
    def of_seconds(cls, seconds: int) -> Duration:
        return cls(seconds * _US_PER["s"])

    @classmethod
    def parse(cls, raw: object) -> Duration:
        """Parse `250ms`, `30s`, `10min`, `2h`, a bare number of seconds, or `0`/`off`."""
        if isinstance(raw, Duration):
            return raw
        if isinstance(raw, bool):
            raise DurationError(f"expected a duration such as 30s or 10min, got {raw!r}")
        if isinstance(raw, int):
            if raw < 0:
                raise DurationError(f"a duration cannot be negative, got {raw}")
            return cls.of_seconds(raw)
        if isinstance(raw, float):
            raw = repr(raw)
        if not isinstance(raw, str):
            raise DurationError(f"expected a duration such as 30s or 10min, got {raw!r}")
        text = raw.strip().lower()
        if text in DISABLED_WORDS:
            return cls(0)
        if _BARE.match(text):
            parts = [(text, "s")]
        elif _PARTS.match(text):
            parts = _PART.findall(text)
        else:
            raise DurationError(
                f"{raw!r} is not a duration: use a number with a unit "
                "(250ms, 30s, 10min, 2h, 1h30min), a bare number of seconds, or off"
            )
        total = Decimal(0)
        for number, unit in parts:
            if unit not in _US_PER:
                raise DurationError(
                    f"{raw!r} has an unknown unit {unit!r}: use one of ms, s, min, h, d"
                )
            total += Decimal(number) * _US_PER[unit]
        if total != total.to_integral_value():
            raise DurationError(f"{raw!r} is finer than a microsecond")
        return cls(int(total))

    @classmethod
    def from_native(cls, value: str, unit: NativeUnit) -> Duration:
        """Read a value as a cloud API shows it (a string in the parameter's native unit)."""
        try:
            number = Decimal(value.strip())
        except (InvalidOperation, AttributeError):
            raise DurationError(f"{value!r} is not a number of {unit.symbol}") from None
        if number < 0:
            raise DurationError(f"{value!r} is negative")
        per = _US_PER["ms"] if unit is NativeUnit.MILLISECONDS else _US_PER["s"]
        return cls(int((number * per).to_integral_value()))

    def to_native(self, unit: NativeUnit) -> str:
        """The value as the engine stores it; raises if it is not a whole number of that unit."""
        if unit is NativeUnit.FRACTIONAL_SECONDS:
            return format(self.seconds.normalize(), "f")
        per = _US_PER[unit.value]
        whole, rest = divmod(self.microseconds, per)
        if rest:
            raise DurationError(
                f"{self.human()} is not a whole number of {unit.symbol} "
                f"(the parameter's native unit)"
            )
        return str(whole)

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.microseconds + other.microseconds)

    def human(self) -> str:
        """The shortest exact spelling: 600000 ms reads 10min, 330 s reads 5min30s."""
        if self.disabled:
            return "off"
        parts = []
        rest = self.microseconds
        for unit in ("d", "h", "min", "s", "ms", "us"):
            whole, rest = divmod(rest, _US_PER[unit])
            if whole:
                parts.append(f"{whole}{unit}")
        return "".join(parts)

    def __str__(self) -> str:
        return self.human()


def format_native(value: str, unit: NativeUnit) -> str:
    """`600000 ms (10min)`: the API's value and what it means, for people reading a plan."""
    try:
        human = Duration.from_native(value, unit).human()
    except DurationError:
        return f"{value} {unit.symbol}"
    if human == "off":
        return f"{value} {unit.symbol} (off)"
    shown = f"{value}{unit.symbol}"
    return f"{value} {unit.symbol}" if human == shown else f"{value} {unit.symbol} ({human})"
