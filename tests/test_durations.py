"""Durations: parsing, exact conversion to native units, and human spelling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudtimeouts.durations import Duration, DurationError, NativeUnit, format_native

US = 1
MS = 1_000
S = 1_000_000


@pytest.mark.parametrize(
    ("raw", "microseconds"),
    [
        ("250ms", 250 * MS),
        ("30s", 30 * S),
        ("10min", 600 * S),
        ("2h", 7200 * S),
        ("1d", 86400 * S),
        ("1.5s", 1500 * MS),
        (" 45 s ", 45 * S),
        ("90", 90 * S),
        (90, 90 * S),
        (0, 0),
        ("0", 0),
        ("off", 0),
        ("OFF", 0),
        ("disabled", 0),
        ("0.000001s", 1 * US),
    ],
)
def test_parse(raw: object, microseconds: int) -> None:
    assert Duration.parse(raw).microseconds == microseconds


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("10 minutes", "unknown unit 'minutes'"),
        ("10m", "unknown unit 'm'"),
        ("-5s", "is not a duration"),
        (-5, "cannot be negative"),
        ("", "is not a duration"),
        ("1.0000001s", "finer than a microsecond"),
        (True, "expected a duration"),
        (None, "expected a duration"),
        ([1], "expected a duration"),
    ],
)
def test_parse_rejects(raw: object, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        Duration.parse(raw)


@pytest.mark.parametrize(
    ("duration", "unit", "native"),
    [
        ("10min", NativeUnit.MILLISECONDS, "600000"),
        ("10min", NativeUnit.SECONDS, "600"),
        ("250ms", NativeUnit.FRACTIONAL_SECONDS, "0.25"),
        ("30s", NativeUnit.FRACTIONAL_SECONDS, "30"),
        ("off", NativeUnit.MILLISECONDS, "0"),
    ],
)
def test_to_native(duration: str, unit: NativeUnit, native: str) -> None:
    assert Duration.parse(duration).to_native(unit) == native


@pytest.mark.parametrize(
    ("duration", "unit"),
    [("1500ms", NativeUnit.SECONDS), ("250us", NativeUnit.MILLISECONDS)],
)
def test_to_native_refuses_to_round(duration: str, unit: NativeUnit) -> None:
    with pytest.raises(DurationError, match="not a whole number"):
        Duration.parse(duration).to_native(unit)


@pytest.mark.parametrize(
    ("native", "unit", "shown"),
    [
        ("600000", NativeUnit.MILLISECONDS, "600000 ms (10min)"),
        ("0", NativeUnit.MILLISECONDS, "0 ms (off)"),
        ("30", NativeUnit.SECONDS, "30 s"),
        ("330", NativeUnit.SECONDS, "330 s (5min30s)"),
        ("0.25", NativeUnit.FRACTIONAL_SECONDS, "0.25 s (250ms)"),
        (
            "{DBInstanceClassMemory/9531392}",
            NativeUnit.SECONDS,
            "{DBInstanceClassMemory/9531392} s",
        ),
    ],
)
def test_format_native(native: str, unit: NativeUnit, shown: str) -> None:
    assert format_native(native, unit) == shown


durations = st.integers(min_value=0, max_value=10**13).map(Duration)
units = st.sampled_from(list(NativeUnit))


@given(durations)
def test_human_spelling_parses_back_to_the_same_duration(duration: Duration) -> None:
    assert Duration.parse(duration.human()) == duration


@given(durations, units)
def test_native_round_trip_is_exact_or_refused(duration: Duration, unit: NativeUnit) -> None:
    try:
        native = duration.to_native(unit)
    except DurationError:
        per = MS if unit is NativeUnit.MILLISECONDS else S
        assert duration.microseconds % per != 0
        return
    assert Duration.from_native(native, unit) == duration


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["ms", "s", "min", "h"]))
def test_units_scale_as_written(number: int, unit: str) -> None:
    scale = {"ms": MS, "s": S, "min": 60 * S, "h": 3600 * S}[unit]
    assert Duration.parse(f"{number}{unit}").microseconds == number * scale


@given(durations, durations)
def test_ordering_follows_microseconds(a: Duration, b: Duration) -> None:
    assert (a < b) == (a.microseconds < b.microseconds)
    assert (a + b).microseconds == a.microseconds + b.microseconds
