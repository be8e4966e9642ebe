"""A profile's errors in words: what is allowed, never a regular expression; every unknown key
lists the keys allowed where it was found."""

from __future__ import annotations

from typing import Any

import pytest

from cloudtimeouts.errors import ProfileError
from cloudtimeouts.profile import parse_profile, profile_json_schema
from cloudtimeouts.profile_fields import DURATION_PATTERN as _DURATION_PATTERN
from cloudtimeouts.profile_messages import PATTERN_WORDS

BASE = "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 5min\n"
AWS = "  - provider: aws\n    region: eu-west-1\n    parameter_group: orders-pg16\n"
GCP = "  - provider: gcp\n    project: acme-prod\n    instance: orders-db\n"
AZURE = (
    "  - provider: azure\n    subscription_id: 00000000-0000-0000-0000-000000000000\n"
    "    resource_group: prod\n    server: orders-pg\n"
)
HOPS = "path:\n  - kind: pgbouncer\n    name: pgb\n  - kind: nat\n    name: egress\n"
WHOLE = BASE + HOPS + "targets:\n" + AWS + GCP + AZURE


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ProfileError) as raised:
        parse_profile(text, "p.yaml")
    return raised.value.problems


def one_problem(text: str) -> tuple[int | None, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def with_line(text: str, old: str, new: str) -> tuple[str, int]:
    """text with `old` (a whole line, once) replaced; the 1-based line of the replacement."""
    assert text.count(old) == 1, old
    before = text[: text.index(old)]
    return text.replace(old, new), before.count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "name: orders",
            "name: Orders_1",
            "name: 'Orders_1' is not a name of lowercase letters, digits and '-'",
        ),
        (
            "    region: eu-west-1",
            "    region: Europe",
            "targets.0.region: 'Europe' is not an AWS region: lowercase words joined by '-', "
            "ending in a number (e.g. eu-west-1)",
        ),
        (
            "    parameter_group: orders-pg16",
            "    parameter_group: -pg",
            "targets.0.parameter_group: '-pg' is not a name of letters, digits, '.', '_', ':', "
            "'/' and '-', starting with a letter or digit",
        ),
        (
            "    parameter_group: orders-pg16",
            "    parameter_group: orders-pg16\n    role_arn: arn:aws:iam::42:role/deploy",
            "targets.0.role_arn: 'arn:aws:iam::42:role/deploy' is not an IAM role ARN: "
            "arn:aws:iam::ACCOUNT:role/NAME, ACCOUNT being 12 digits",
        ),
        (
            "    project: acme-prod",
            "    project: Acme_Prod",
            "targets.1.project: 'Acme_Prod' is not a Google Cloud project id: 6 to 30 "
            "characters, lowercase letters, digits and '-', starting with a letter and not ending "
            "with '-' (e.g. acme-prod; a domain-scoped project: example.com:acme-prod)",
        ),
        (  # Google's minimum length: the message states it (issue 20)
            "    project: acme-prod",
            "    project: p",
            "targets.1.project: 'p' is not a Google Cloud project id: 6 to 30 characters, "
            "lowercase letters, digits and '-', starting with a letter and not ending with '-' "
            "(e.g. acme-prod; a domain-scoped project: example.com:acme-prod)",
        ),
        (
            "    instance: orders-db",
            "    instance: 1orders",
            "targets.1.instance: '1orders' is not an instance name of lowercase letters, digits "
            "and '-', starting with a letter",
        ),
        (
            "    subscription_id: 00000000-0000-0000-0000-000000000000",
            "    subscription_id: my-subscription",
            "targets.2.subscription_id: 'my-subscription' is not a subscription id of 36 "
            "characters, hexadecimal digits and '-' (e.g. 00000000-0000-0000-0000-000000000000)",
        ),
        (
            "    resource_group: prod",
            "    resource_group: prod/eu",
            "targets.2.resource_group: 'prod/eu' is not a resource group name of letters, "
            "digits, '_', '.', '-', '(' and ')'",
        ),
        (
            "    server: orders-pg",
            "    server: Orders.PG",
            "targets.2.server: 'Orders.PG' is not a server name of lowercase letters, digits "
            "and '-', starting with a letter or digit",
        ),
        (
            "    name: pgb",
            "    name: _pgb",
            "path.0.name: '_pgb' is not a name of letters, digits, '.', '_' and '-', starting "
            "with a letter or digit",
        ),
        ("    name: egress", "    name: ''", "path.1.name: must not be empty"),
        (
            "    resource_group: prod",
            "    resource_group: ''",
            "targets.2.resource_group: must not be empty",
        ),
        (
            "name: orders",
            "name: " + "o" * 64,
            "name: has 64 characters; at most 63 are allowed",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_said_in_words(old: str, new: str, message: str) -> None:
    text, line = with_line(WHOLE, old + "\n", new + "\n")
    assert line >= 1
    found_line, found = one_problem(text)
    assert (found_line, found) == (line + new.count("\n"), message)
    assert "pattern" not in found and "^" not in found


def test_every_pattern_a_profile_is_validated_with_has_words() -> None:
    def patterns(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["pattern"]] if "pattern" in node else []
            return found + [p for value in node.values() for p in patterns(value)]
        if isinstance(node, list):
            return [p for value in node for p in patterns(value)]
        return []

    schema_only = {_DURATION_PATTERN, _DURATION_PATTERN.replace("|off|disabled", "")}
    missing = set(patterns(profile_json_schema())) - set(PATTERN_WORDS) - schema_only
    assert not missing, missing


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (
            "name: orders",
            "name: orders\nnmae: orders",
            "name, engine, django, guard, server, path, targets, workers",
        ),
        (
            "  conn_max_age: 5min",
            "  conn_max_age: 5min\n  health_checks: true",
            "conn_max_age, conn_health_checks, pool, max_idle_in_transaction, "
            "interactive_client, keepalives_idle",
        ),
        (
            "  conn_max_age: 5min",
            "  conn_max_age: 0\n  pool:\n    max_connections: 4",
            "min_size, max_size, max_idle, max_lifetime, timeout",
        ),
        ("  conn_max_age: 5min", "  conn_max_age: 5min\nguard:\n  margn: 5s", "margin"),
        (
            "    parameter_group: orders-pg16",
            "    parameter_group: orders-pg16\n    profile: prod",
            "provider, region, parameter_group, cluster_parameter_group, rds_proxy, "
            "aws_profile, role_arn",
        ),
        (
            "    instance: orders-db",
            "    instance: orders-db\n    region: europe-west1",
            "provider, project, instance",
        ),
        (
            "    server: orders-pg",
            "    server: orders-pg\n    location: westeurope",
            "provider, subscription_id, resource_group, server",
        ),
        (
            "    name: pgb",
            "    name: pgb\n    idle_timeout: 5min",
            "kind, name, client_idle_timeout, idle_transaction_timeout, server_idle_timeout, "
            "server_lifetime",
        ),
        (
            "  - kind: pgbouncer",
            "  - kind: azure-pgbouncer",  # the same keys as pgbouncer: the line below is fine
            None,
        ),
        (
            "    name: egress",
            "    name: egress\n    timeout: 5min",
            "kind, name, provider, idle_timeout, tcp",
        ),
    ],
)
def test_an_unknown_key_lists_the_allowed_ones(old: str, new: str, allowed: str | None) -> None:
    text, line = with_line(WHOLE, old + "\n", new + "\n")
    if allowed is None:
        parse_profile(text, "p.yaml")
        return
    unknown = new.splitlines()[-1].strip().split(":")[0]
    assert one_problem(text) == (
        line + new.count("\n"),
        f"unknown key '{unknown}' (allowed: {allowed})",
    )


@pytest.mark.parametrize(
    ("hop", "allowed"),
    [
        ("{kind: rds-proxy, name: p, idle_timeout: 5min}", "kind, name, idle_client_timeout"),
        ("{kind: load-balancer, name: lb, idle: 5min}", "kind, name, provider, idle_timeout, tcp"),
        (
            "{kind: custom, name: c, idle_timeout: 1h, idle: 5min}",
            "kind, name, provider, idle_timeout, tcp",
        ),
        (
            "{kind: azure-pgbouncer, name: b, server_idle: 5min}",
            "kind, name, client_idle_timeout, idle_transaction_timeout, server_idle_timeout, "
            "server_lifetime",
        ),
    ],
)
def test_an_unknown_key_of_each_hop_kind_lists_that_kinds_keys(hop: str, allowed: str) -> None:
    line, message = one_problem(BASE + "path:\n  - " + hop + "\n")
    assert line == 6 and message.endswith(f"(allowed: {allowed})"), message


def test_an_unknown_server_parameter_lists_the_engines_parameters() -> None:
    line, message = one_problem(BASE + "server:\n  idle_timeout: 10min\n")
    assert line == 6
    assert message.startswith(
        "server.idle_timeout: idle_timeout is not a parameter cloudtimeouts manages for "
        "postgres; choose one of: idle_session_timeout, idle_in_transaction_session_timeout"
    )


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        (BASE + "targets:\n  - {provider: oracle}\n", "choose one of: aws, gcp, azure"),
        (
            BASE + "path:\n  - {kind: haproxy, name: h}\n",
            "choose one of: pgbouncer, load-balancer, nat, custom, rds-proxy, azure-pgbouncer",
        ),
        (BASE.replace("postgres", "oracle"), "choose one of: postgres, mysql, mariadb"),
    ],
)
def test_an_unknown_choice_lists_the_choices(text: str, choices: str) -> None:
    _, message = one_problem(text)
    assert message.endswith(choices), message


# -- a value of the wrong kind (text, number, list, mapping, true/false) ----------------------
# Pydantic says "Input should be a valid dictionary or instance of DjangoSettings"; users wrote
# YAML, so they read what the key takes and what they wrote, in YAML's words.

AWS_ONLY = BASE + "targets:\n" + AWS


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BASE.replace("name: orders", "name: 42"), 1, "name: expected text, got 42"),
        (BASE.replace("name: orders", "name: [a, b]"), 1, "name: expected text, got a list"),
        (BASE.replace("name: orders", "name:"), 1, "name: expected text, got no value"),
        (BASE.replace("name: orders", "name: true"), 1, "name: expected text, got true"),
        (
            "name: orders\nengine: postgres\ndjango: [1]\n",
            3,
            "django: expected a mapping of conn_max_age, conn_health_checks, pool, "
            "max_idle_in_transaction, interactive_client, keepalives_idle, got a list",
        ),
        (
            "name: orders\nengine: postgres\ndjango: hello\n",
            3,
            "django: expected a mapping of conn_max_age, conn_health_checks, pool, "
            "max_idle_in_transaction, interactive_client, keepalives_idle, got 'hello'",
        ),
        (BASE + "guard: [1]\n", 5, "guard: expected a mapping of margin, got a list"),
        (BASE + "guard:\n", 5, "guard: expected a mapping of margin, got no value"),
        (
            BASE + "  conn_health_checks: maybe\n",
            5,
            "django.conn_health_checks: expected true or false, got 'maybe'",
        ),
        (
            BASE + "  conn_health_checks: 2\n",
            5,
            "django.conn_health_checks: expected true or false, got 2",
        ),
        (
            BASE.replace("5min", "0") + "  pool:\n    max_size: many\n",
            6,
            "django.pool.max_size: expected a whole number, got 'many'",
        ),
        (
            BASE.replace("5min", "0") + "  pool:\n    min_size: 1.5\n",
            6,
            "django.pool.min_size: expected a whole number, got 1.5",
        ),
        (
            BASE.replace("5min", "0") + "  pool:\n    max_size: -5\n",
            6,
            "django.pool.max_size: must be at least 1, got -5",
        ),
        (
            BASE.replace("5min", "0") + "  pool:\n    min_size: 20000\n",
            6,
            "django.pool.min_size: must be at most 10000, got 20000",
        ),
        (
            BASE.replace("5min", "0") + "  pool: [1]\n",
            5,
            "django.pool: expected a mapping of min_size, max_size, max_idle, max_lifetime, "
            "timeout, got a list",
        ),
        (
            BASE + "server: [a]\n",
            5,
            "server: expected a mapping of parameter names to durations, got a list",
        ),
        (
            BASE + "server:\n",
            5,
            "server: expected a mapping of parameter names to durations, got no value",
        ),
        (
            BASE + "targets:\n  provider: aws\n",
            5,
            "targets: expected a list of targets (entries starting with '- provider:'), "
            "got a mapping",
        ),
        (
            BASE + "targets:\n",
            5,
            "targets: expected a list of targets (entries starting with '- provider:'), "
            "got no value",
        ),
        (
            BASE + "targets:\n  - aws\n",
            6,
            "targets.0: expected a target: a mapping of provider and its keys, got 'aws'",
        ),
        (
            BASE + "targets:\n  -\n",
            6,
            "targets.0: expected a target: a mapping of provider and its keys, got no value",
        ),
        (
            BASE + "path: x\n",
            5,
            "path: expected a list of hops (entries starting with '- kind:'), got 'x'",
        ),
        (
            BASE + "path:\n  - 5\n",
            6,
            "path.0: expected a hop: a mapping of kind, name and its timeouts, got 5",
        ),
        (
            BASE + "path:\n  - kind: nat\n    name: [n]\n",
            7,
            "path.0.name: expected text, got a list",
        ),
        (
            BASE + "path:\n  - kind: nat\n    name: n\n    provider: oracle\n",
            8,
            "path.0.provider: 'oracle' is not one of: aws, gcp, azure",
        ),
        (
            BASE + "path:\n  - kind: [nat]\n    name: n\n",
            6,
            "path.0: kind must be one of: pgbouncer, load-balancer, nat, custom, rds-proxy, "
            "azure-pgbouncer; got a list",
        ),
        (
            BASE + "targets:\n  - provider: [aws]\n",
            6,
            "targets.0: provider must be one of: aws, gcp, azure; got a list",
        ),
        (
            AWS_ONLY.replace("eu-west-1", "5"),
            7,
            "targets.0.region: expected text, got 5",
        ),
        (
            AWS_ONLY + "    aws_profile: [x]\n",
            9,
            "targets.0.aws_profile: expected text, got a list",
        ),
        (
            BASE.replace("5min", "{a: 1}"),
            4,
            "django.conn_max_age: expected a duration such as 30s or 10min, got a mapping",
        ),
        (
            BASE.replace("5min", "true"),
            4,
            "django.conn_max_age: expected a duration such as 30s or 10min, got true",
        ),
        (
            BASE + "server:\n  idle_session_timeout:\n",
            6,
            "server.idle_session_timeout: expected a duration such as 30s or 10min, got no value",
        ),
    ],
)
def test_a_value_of_the_wrong_kind_is_said_in_yamls_words(
    text: str, line: int, message: str
) -> None:
    assert one_problem(text) == (line, message)


def test_an_rds_proxy_target_without_its_hop_names_the_targets_line_and_the_hop_to_add() -> None:
    proxy = "  - provider: aws\n    region: eu-west-1\n    rds_proxy: p\n"
    text = BASE + "targets:\n" + AWS + proxy
    assert one_problem(text) == (
        9,
        "targets.1: target aws:eu-west-1:rds-proxy/p is an RDS Proxy: add it to path as "
        "{kind: rds-proxy, name: p} (its idle_client_timeout is set from there)",
    )
