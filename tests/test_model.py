"""model: the shared values' small conversions."""

from __future__ import annotations

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.model import Change, Finding, ParameterState, TargetState


def change(**fields: object) -> Change:
    base = dict(
        parameter="idle_session_timeout",
        current="0",
        current_source="default",
        desired="600000",
        unit=NativeUnit.MILLISECONDS,
        apply="immediate",
        reason="profile orders sets 10min",
    )
    return Change(**(base | fields))  # type: ignore[arg-type]


def test_a_change_in_json_names_the_unit_by_its_symbol_and_shows_reset_only_when_set() -> None:
    shown = change().to_json()
    assert shown["unit"] == "ms" and "reset" not in shown
    assert change(reset=True).to_json()["reset"] is True


def test_the_fingerprint_is_the_values_read_in_name_order() -> None:
    state = TargetState(
        "t",
        Engine.POSTGRES,
        {
            "b": ParameterState("b", "2", default="9"),
            "a": ParameterState("a", None),
        },
    )
    assert list(state.fingerprint().items()) == [("a", None), ("b", "2")]


def test_a_finding_is_parameter_and_message() -> None:
    assert Finding("wait_timeout", "too low").to_json() == {
        "parameter": "wait_timeout",
        "message": "too low",
    }
