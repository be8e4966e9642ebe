"""Profiles: YAML loading with file:line errors, and the model's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudtimeouts.errors import ProfileError
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.profile import (
    CONN_MAX_AGE_MAX,
    MAX_PROBLEMS,
    MAX_PROFILE_BYTES,
    load_profile,
    parse_profile,
    profile_json_schema,
)

REPO = Path(__file__).resolve().parent.parent
BASE = "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 5min\n"


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ProfileError) as raised:
        parse_profile(text, "p.yaml")
    return raised.value.problems


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("- a\n- b\n", 1, "top level must be a mapping"),
        (BASE + "name: again\n", 5, "duplicate key 'name' (first set on line 1)"),
        (BASE + "x: !!python/object/apply:os.system [ls]\n", 5, "is not allowed"),
        (BASE + "---\nname: two\n", 5, "one YAML document"),
        (BASE + "<<: {engine: mysql}\n", 5, "no merge keys"),
        (BASE + "server:\n  statement_timeout: 30s\n  statement_timeout: 1s\n", 7, "duplicate"),
    ],
)
def test_yaml_problems_name_the_line(text: str, line: int | None, fragment: str) -> None:
    ((found_line, message),) = problems(text)
    assert found_line == line and fragment in message


def test_alias_bombs_are_bounded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [{', '.join(['*' + previous] * 10)}]\n"
    ((_, message),) = problems(bomb)
    assert "too many values" in message


def test_the_conn_max_age_maximum_is_what_django_can_add_to_its_clock() -> None:
    assert CONN_MAX_AGE_MAX == 2**31 - 1
    assert float(CONN_MAX_AGE_MAX) == CONN_MAX_AGE_MAX  # exact as a float


def test_text_larger_than_a_profile_is_refused_unparsed() -> None:
    ((line, message),) = problems("#" * (MAX_PROFILE_BYTES + 1))
    assert line is None and "is larger than 1 MiB" in message


def test_problems_are_capped() -> None:
    found = problems(BASE + "targets:\n" + "  - {provider: aws}\n" * 50)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1] == (None, f"… and {50 - MAX_PROBLEMS} more problem(s)")


def test_load_profile_names_the_line_of_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(BASE.encode() + b"x: \xff\n")
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert raised.value.problems == [
        (5, "the file is not UTF-8 text (byte 0xff); a profile is YAML text")
    ]


def test_yaml_1_1_words_stay_strings() -> None:
    loaded = parse_profile(BASE + "server:\n  statement_timeout: off\n", "p.yaml")
    assert loaded.server["statement_timeout"].disabled


def test_every_problem_is_reported_with_its_own_line() -> None:
    text = BASE + "server:\n  statement_timeout: 30x\ncolour: red\nguard: {margin: 1x}\n"
    found = problems(text)
    assert [line for line, _ in found] == [8, 6, 7]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("300", 300),
        ("5min", 300),
        ("unlimited", None),
        ("1h30min", 5400),
        ("2147483647", CONN_MAX_AGE_MAX),
    ],
)
def test_conn_max_age(value: str, expected: int | None) -> None:
    text = BASE.replace("5min", value)
    assert parse_profile(text, "p.yaml").django.conn_max_age == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("off", "off is ambiguous: write 0"),
        ("1500ms", "whole seconds"),
        ("~", "needs a value"),
        ("-1", "cannot be negative"),
        ("2147483648", "more than the maximum of 2147483647 seconds (about 68 years)"),
        ("24855d3h14min8s", "more than the maximum of 2147483647 seconds"),
        ("9" * 400, "999999999999…9999 (400 digits) is more than the maximum of 2147483647"),
    ],
)
def test_conn_max_age_rejects(value: str, fragment: str) -> None:
    ((line, message),) = problems(BASE.replace("5min", value))
    assert line == 4 and fragment in message


@pytest.mark.parametrize(
    ("targets", "fragment"),
    [
        ("  - {provider: aws, region: eu-west-1}\n", "exactly one of parameter_group"),
        (
            "  - {provider: aws, region: eu-west-1, parameter_group: a, "
            "cluster_parameter_group: b}\n",
            "exactly one of parameter_group",
        ),
        ("  - {provider: ibm}\n", "provider 'ibm' is unknown; choose one of: aws, gcp, azure"),
        (
            "  - {provider: aws, region: eu-west-1, parameter_group: a}\n" * 2,
            "is listed twice",
        ),
        ("  - {provider: aws, region: Europe, parameter_group: a}\n", "targets.0.region"),
    ],
)
def test_target_rules(targets: str, fragment: str) -> None:
    found = problems(BASE + "targets:\n" + targets)
    assert any(fragment in message for _, message in found), found


def test_a_provider_without_the_engine_is_refused() -> None:
    text = BASE.replace("postgres", "mariadb") + (
        "targets:\n  - {provider: gcp, project: acme-prod, instance: orders}\n"
    )
    ((line, message),) = problems(text)
    assert line == 6 and "gcp does not offer mariadb (it offers: mysql, postgres)" in message


def test_unknown_keys_list_the_allowed_ones() -> None:
    ((line, message),) = problems(BASE + "  conn_max_agee: 5\n")
    assert line == 5
    assert message == (
        "unknown key 'conn_max_agee' (allowed: conn_max_age, conn_health_checks, pool, "
        "max_idle_in_transaction, interactive_client, keepalives_idle)"
    )


@pytest.mark.parametrize("path", sorted((REPO / "profiles").glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_profile_is_valid_and_safe(path: Path) -> None:
    loaded = load_profile(path)
    assert loaded.targets, "examples show at least one target"
    assert judge_offline(loaded).refusals == ()


def test_the_committed_json_schema_is_current() -> None:
    committed = json.loads((REPO / "schema" / "profile.schema.json").read_text())
    assert committed == profile_json_schema(), "regenerate: cloudtimeouts schema > schema/..."


@pytest.mark.parametrize("value", ["off", "disabled", "OFF"])
def test_max_idle_in_transaction_off_is_ambiguous(value: str) -> None:
    ((line, message),) = problems(BASE + f"  max_idle_in_transaction: {value}\n")
    assert line == 5
    assert message.startswith(f"django.max_idle_in_transaction: {value} is ambiguous")
    assert "e.g. 0 for none" in message


def test_max_idle_in_transaction_zero_is_a_budget_of_none() -> None:
    profile = parse_profile(BASE + "  max_idle_in_transaction: 0\n", "p.yaml")
    assert profile.django.max_idle_in_transaction is not None
    assert profile.django.max_idle_in_transaction.disabled


POOL = "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 0\n  pool:\n"


def test_a_pool_of_min_size_0_without_max_size_is_what_psycopg_pool_refuses() -> None:
    # psycopg_pool: max_size None becomes min_size, and min_size == max_size == 0 is a ValueError
    ((line, message),) = problems(POOL + "    min_size: 0\n")
    assert line == 6
    assert message.startswith("django.pool.min_size: min_size 0 needs a max_size")
    assert '"if min_size is 0 max_size must be greater or than 0"' in message


def test_a_pool_of_min_size_0_with_a_max_size_is_valid() -> None:
    profile = parse_profile(POOL + "    min_size: 0\n    max_size: 4\n", "p.yaml")
    assert profile.django.pool is not None and profile.django.pool.max_size == 4


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("client_idle_timeout", "0 (disabled)"),
        ("idle_transaction_timeout", "0 (disabled)"),
        ("server_lifetime", "3600 s"),
    ],
)
def test_azure_pgbouncer_refuses_a_timeout_the_catalog_says_azure_does_not_expose(
    name: str, kept: str
) -> None:
    text = BASE + f"path:\n  - kind: azure-pgbouncer\n    name: builtin\n    {name}: 1h\n"
    ((line, message),) = problems(text)
    assert line == 8
    assert message.startswith(
        f"path.0.{name}: Azure's built-in PgBouncer does not expose {name} "
        f"(there is no pgbouncer.{name} server parameter)"
    )
    assert f"it keeps PgBouncer's own default, {kept}" in message


def test_azure_pgbouncer_accepts_server_idle_timeout_and_pgbouncer_all_four() -> None:
    azure = parse_profile(
        BASE + "path:\n  - {kind: azure-pgbouncer, name: builtin, server_idle_timeout: 5min}\n"
    )
    assert azure.path[0].server_idle_timeout is not None
    own = parse_profile(
        BASE + "path:\n  - {kind: pgbouncer, name: pgb, client_idle_timeout: 1h, "
        "idle_transaction_timeout: 1h, server_lifetime: 0}\n"
    )
    assert own.path[0].server_lifetime is not None and own.path[0].server_lifetime.disabled


@pytest.mark.parametrize("kind", ["load-balancer", "nat"])
def test_tcp_is_refused_on_hops_that_pass_tcp_by_nature(kind: str) -> None:
    text = BASE + f"path:\n  - kind: {kind}\n    name: edge\n    tcp: passthrough\n"
    ((line, message),) = problems(text)
    assert line == 8
    assert message == (
        f"path.0.tcp: tcp is for custom hops; a {kind} passes TCP through by nature: remove the key"
    )


@pytest.mark.parametrize(
    ("tcp", "expected"),
    [("", None), ("tcp: terminates", "terminates"), ("tcp: passthrough", "passthrough")],
)
def test_a_custom_hop_says_whether_it_passes_tcp(tcp: str, expected: str | None) -> None:
    text = BASE + f"path:\n  - {{kind: custom, name: haproxy, idle_timeout: 1h, {tcp}}}\n"
    assert parse_profile(text.replace(", }", "}")).path[0].tcp == expected


def test_a_custom_hop_tcp_takes_two_words() -> None:
    ((line, message),) = problems(
        BASE + "path:\n  - {kind: custom, name: haproxy, idle_timeout: 1h, tcp: proxy}\n"
    )
    assert line == 6
    assert message == "path.0.tcp: 'proxy' is not one of: passthrough, terminates"
