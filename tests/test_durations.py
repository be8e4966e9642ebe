"""Durations: parsing, exact conversion to native units, and human spelling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudtimeouts.durations import (
    MAXIMUM,
    Duration,
    DurationError,
    DurationTooLongError,
    NativeUnit,
    format_native,
)
from cloudtimeouts.durations import shown as shown_in_messages

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
        ("(known after apply)", NativeUnit.MILLISECONDS, "(known after apply)"),
        ("(sensitive value)", NativeUnit.SECONDS, "(sensitive value)"),
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
    if number * scale > MAXIMUM.microseconds:
        with pytest.raises(DurationTooLongError, match="longer than the maximum of 2147483647 s"):
            Duration.parse(f"{number}{unit}")
    else:
        assert Duration.parse(f"{number}{unit}").microseconds == number * scale


@given(durations, durations)
def test_ordering_follows_microseconds(a: Duration, b: Duration) -> None:
    assert (a < b) == (a.microseconds < b.microseconds)
    assert (a + b).microseconds == a.microseconds + b.microseconds


def test_the_maximum_is_int_max_seconds() -> None:
    assert Duration.of_seconds(2_147_483_647) == MAXIMUM
    assert Duration.parse("24855d3h14min7s") == MAXIMUM
    assert Duration.parse(2_147_483_647) == MAXIMUM
    assert float(MAXIMUM.seconds) == 2_147_483_647  # exact as a float: Django adds it to a clock


@pytest.mark.parametrize(
    "raw",
    [
        2_147_483_648,
        "2147483648",
        "24855d3h14min8s",
        "2147483647.000001s",
        10**400,
        "1" + "0" * 400 + "s",
        "9" * 5000,
        "9" * 300 + "d" + "9" * 300 + "h",
        "1d" * 30_000,
        "0" * 5000 + "99999999999d",
    ],
    ids=lambda raw: shown_in_messages(raw, 16),
)
def test_longer_than_the_maximum_is_refused_with_the_maximum(raw: object) -> None:
    with pytest.raises(DurationTooLongError) as raised:
        Duration.parse(raw)
    message = str(raised.value)
    assert "is longer than the maximum of 2147483647 s (24855d3h14min7s, about 68 years)" in message
    assert len(message) < 200


@pytest.mark.parametrize(
    ("raw", "microseconds"),
    [
        ("0" * 5000 + "5s", 5 * S),  # leading zeros are not digits that count
        ("5." + "0" * 5000 + "s", 5 * S),  # nor are trailing zeros of a fraction
        ("12345678.123456s", 12_345_678_123_456),  # exact where a 28-digit Decimal rounds
        ("0.0000115740740740740740740740740740740741d", None),  # no rounding to 1 us either
    ],
)
def test_long_numbers_are_exact_or_refused(raw: str, microseconds: int | None) -> None:
    if microseconds is None:
        with pytest.raises(DurationError, match="finer than a microsecond"):
            Duration.parse(raw)
    else:
        assert Duration.parse(raw).microseconds == microseconds


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999999999", "1e31"])
def test_from_native_refuses_what_is_no_timeout(value: str) -> None:
    with pytest.raises(DurationError, match="is not a timeout"):
        Duration.from_native(value, NativeUnit.SECONDS)
    assert format_native(value, NativeUnit.SECONDS) == f"{value} s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("off", "'off'"),
        ("a" * 100, "'aaaaaaaaaaaaaaaaaaaa'… (100 characters)"),
        ("\x1b[31m", "'\\x1b[31m'"),  # an escape sequence never reaches the terminal
        (10**50, "100000000000…0000 (51 digits)"),
        (-(10**50), "-100000000000…0000 (51 digits)"),
        (10**5000, "a number of about 5001 digits"),
        (12345, "12345"),
        # YAML's words for what is not text or a number (`key:` with nothing after it is null)
        (None, "no value"),
        (True, "true"),
        (list(range(100)), "a list"),
        ({"a": 1}, "a mapping"),
    ],
    ids=lambda value: shown_in_messages(value, 16),
)
def test_input_is_shown_quoted_and_short(value: object, expected: str) -> None:
    assert shown_in_messages(value) == expected


@given(st.text(max_size=2000))
def test_any_text_parses_or_raises_a_duration_error(text: str) -> None:
    try:
        duration = Duration.parse(text)
    except DurationError as error:
        assert len(str(error)) < 300
    else:
        assert duration <= MAXIMUM


@given(st.integers())
def test_any_integer_parses_or_raises_a_duration_error(number: int) -> None:
    try:
        duration = Duration.parse(number)
    except DurationError as error:
        assert len(str(error)) < 300
    else:
        assert duration == Duration.of_seconds(number) <= MAXIMUM


@pytest.mark.parametrize(
    ("raw", "microseconds"),
    [(0.000001, 1), (0.00001, 10), (1e-4, 100), (1.5e3, 1_500_000_000)],
)
def test_a_yaml_float_parses_as_the_number_written_whatever_its_size(
    raw: float, microseconds: int
) -> None:
    # YAML gives 0.000001 as a float whose repr is '1e-06': the parser reads the number
    assert Duration.parse(raw) == Duration(microseconds)


def test_a_float_finer_than_a_microsecond_is_shown_as_written_not_in_exponent_notation() -> None:
    with pytest.raises(DurationError) as raised:
        Duration.parse(0.0000001)
    assert "'0.0000001'" in str(raised.value) and "e-" not in str(raised.value)
