"""Durations: one exact representation for values that each engine stores in its own unit.

Everything is kept as an integer number of microseconds so that conversions (ms for PostgreSQL,
s for MySQL, fractional seconds for MariaDB's max_statement_time) are exact, and a value that is
not a whole number of the target unit is an error rather than a silent rounding.

Parsing is done with integer arithmetic on the digits as written (never `Decimal`'s 28-digit
context, which would round a long number silently), and it is bounded: a duration longer than
`MAXIMUM` (2147483647 s, INT_MAX seconds, about 68 years) is refused before any large number is
built, because no engine accepts a longer timeout (PostgreSQL's largest is INT_MAX seconds,
MySQL's a year) and Django's CONN_MAX_AGE has the same limit (see `cloudtimeouts.profile`).
"""

from __future__ import annotations

import decimal
import math
import re
import reprlib
from collections.abc import Iterator, Mapping
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
MAX_SECONDS = 2_147_483_647  # INT_MAX: PostgreSQL's largest timeout in seconds, ~68 years
# Digits that can matter: MAXIMUM is 2.1e15 us (16 digits), so a whole part longer than this is
# too long whatever its unit; and 1 us is 1/(2**13 * 3**3 * 5**8) of the largest unit (d), so
# a fraction with more significant decimals than this is finer than a microsecond in every unit.
_MAX_WHOLE_DIGITS = 17
_MAX_FRACTION_DIGITS = 20
_BARE = re.compile(r"^\d+(?:\.\d+)?$")
# One part of `1h 30min`, matched part by part: a single `(?:…)+` pattern over the whole text
# would keep a backtracking record per part, hundreds of MB for a megabyte of `1s1s1s…`.
_PART = re.compile(r"(\d+)(?:\.(\d+))?\s*([a-z]+)\s*")
DISABLED_WORDS = frozenset({"off", "disabled"})
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlevel = 2
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = 4


class DurationError(ValueError):
    """A duration that cannot be parsed or converted; the message is meant for users."""


class DurationTooLongError(DurationError):
    """Longer than `MAXIMUM`: a separate class so that callers can name their own maximum."""


def shown(value: object, limit: int = 40) -> str:
    """`value` as an error message may echo it: quoted, escaped and short.

    User input goes into messages printed on terminals and CI logs, so it is always repr-quoted
    (a control character or an escape sequence cannot reach the terminal) and cut to `limit`
    characters with its full length noted; an integer of thousands of digits is never turned
    into a string whole (Python refuses beyond 4300 digits, and nobody reads them).
    """
    if value is None:  # what a YAML author wrote, in YAML's words: `key:` with nothing after it
        return "no value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list"
    if isinstance(value, int):
        if value.bit_length() <= 3 * limit:  # at most ~0.9 * limit digits
            return str(value)
        sign = "-" if value < 0 else ""
        if value.bit_length() > 14_000:  # beyond what str() converts; count without converting
            return f"{sign}a number of about {int(math.log10(abs(value))) + 1} digits"
        digits = str(abs(value))
        return f"{sign}{digits[:12]}…{digits[-4:]} ({len(digits)} digits)"
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[: limit // 2]!r}… ({len(value)} characters)"
    return _SHORT.repr(value)


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
        """Parse `250ms`, `30s`, `10min`, `2h`, a bare number of seconds, or `0`/`off`.

        Raises DurationTooLongError beyond `MAXIMUM`, DurationError for anything else wrong; the
        work done is linear in the length of the text whatever it holds.
        """
        if isinstance(raw, Duration):
            return raw
        if isinstance(raw, bool):
            raise DurationError(f"expected a duration such as 30s or 10min, got {shown(raw)}")
        if isinstance(raw, int):
            if raw < 0:
                raise DurationError(f"a duration cannot be negative, got {shown(raw)}")
            if raw > MAX_SECONDS:
                raise _too_long(raw)
            return cls.of_seconds(raw)
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise DurationError(f"expected a duration such as 30s or 10min, got {raw!r}")
            raw = format(Decimal(repr(raw)), "f")  # as written: 0.000001, not repr's '1e-06'
        if not isinstance(raw, str):
            raise DurationError(f"expected a duration such as 30s or 10min, got {shown(raw)}")
        text = raw.strip().lower()
        if text in DISABLED_WORDS:
            return cls(0)
        if _BARE.match(text):
            text += "s"
        elif not text or any(part is None for part in _parts(text)):
            raise DurationError(
                f"{shown(raw)} is not a duration: use a number with a unit "
                "(250ms, 30s, 10min, 2h, 1h30min), a bare number of seconds, or off"
            )
        total = 0
        for part in _parts(text):
            assert part is not None  # checked above
            whole, fraction, unit = part.group(1), part.group(2) or "", part.group(3)
            per = _US_PER.get(unit)
            if per is None:
                raise DurationError(
                    f"{shown(raw)} has an unknown unit {shown(unit)}: use one of ms, s, min, h, d"
                )
            total += _microseconds(raw, whole, fraction, per)
            if total > MAXIMUM.microseconds:
                raise _too_long(raw)
        return cls(total)

    @classmethod
    def from_native(cls, value: str, unit: NativeUnit) -> Duration:
        """Read a value as a cloud API shows it (a string in the parameter's native unit).

        Sub-microsecond digits are rounded (APIs print what the engine stores); a value that is
        not a finite number, or too large to be any timeout (over 10**30 units), is an error
        rather than an OverflowError or a number of a million digits.
        """
        try:
            number = Decimal(value.strip())
        except (InvalidOperation, AttributeError):
            raise DurationError(f"{shown(value)} is not a number of {unit.symbol}") from None
        if not number.is_finite() or number.adjusted() > 30:
            raise DurationError(f"{shown(value)} is not a timeout in {unit.symbol}")
        if number < 0:
            raise DurationError(f"{shown(value)} is negative")
        per = _US_PER["ms"] if unit is NativeUnit.MILLISECONDS else _US_PER["s"]
        with decimal.localcontext(prec=64):
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


MAXIMUM = Duration.of_seconds(MAX_SECONDS)
"""The longest duration a profile may hold: 2147483647 s (24855d3h14min7s, about 68 years)."""


def _parts(text: str) -> Iterator[re.Match[str] | None]:
    """The `number unit` parts of text, in order; None (and the end) where text is not one."""
    position = 0
    while position < len(text):
        part = _PART.match(text, position)
        yield part
        if part is None:
            return
        position = part.end()


def _microseconds(raw: str, whole: str, fraction: str, per: int) -> int:
    """`whole.fraction` units in microseconds, exactly, after bounding the digits to convert."""
    whole = whole.lstrip("0")
    fraction = fraction.rstrip("0")
    if len(whole) > _MAX_WHOLE_DIGITS:
        raise _too_long(raw)
    if len(fraction) > _MAX_FRACTION_DIGITS:
        raise DurationError(f"{shown(raw)} is finer than a microsecond")
    scale = 10 ** len(fraction)
    units, rest = divmod(int(whole or "0") * scale * per + int(fraction or "0") * per, scale)
    if rest:
        raise DurationError(f"{shown(raw)} is finer than a microsecond")
    return units


def _too_long(raw: object) -> DurationTooLongError:
    return DurationTooLongError(
        f"{shown(raw)} is longer than the maximum of {MAX_SECONDS} s "
        f"({MAXIMUM.human()}, about 68 years): no engine accepts a longer timeout"
    )


def format_native(value: str, unit: NativeUnit) -> str:
    """`600000 ms (10min)`: the API's value and what it means, for people reading a plan.

    A placeholder in parentheses (`(known after apply)`, `(sensitive value)`) is no value, so
    it gets no unit either.
    """
    try:
        human = Duration.from_native(value, unit).human()
    except DurationError:
        return value if value.startswith("(") else f"{value} {unit.symbol}"
    if human == "off":
        return f"{value} {unit.symbol} (off)"
    shown_here = f"{value}{unit.symbol}"
    return f"{value} {unit.symbol}" if human == shown_here else f"{value} {unit.symbol} ({human})"
