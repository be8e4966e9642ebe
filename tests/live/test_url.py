"""live.url: database URLs as dj-database-url reads them, endpoints, and redaction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudtimeouts.catalog import Engine
from cloudtimeouts.live.url import (
    DatabaseUrlError,
    Endpoint,
    family_of,
    family_of_name,
    parse_database_url,
    redact,
)

SECRET = "s3cr3t/p@ss:word"
QUOTED_SECRET = "s3cr3t%2Fp%40ss%3Aword"


@pytest.mark.parametrize(
    ("url", "family", "host", "port", "database", "user"),
    [
        (
            "postgres://app:pw@db.example.com/orders",
            "postgres",
            "db.example.com",
            5432,
            "orders",
            "app",
        ),
        ("postgresql://app@10.0.0.5:6543/orders", "postgres", "10.0.0.5", 6543, "orders", "app"),
        ("pgsql://[::1]:5433/x", "postgres", "::1", 5433, "x", None),
        (
            "postgres://%2Fvar%2Frun%2Fpostgresql/orders",
            "postgres",
            "/var/run/postgresql",
            5432,
            "orders",
            None,
        ),
        ("mysql://app:pw@db:3307/shop", "mysql", "db", 3307, "shop", "app"),
        ("mariadb://app:pw@db/shop", "mysql", "db", 3306, "shop", "app"),
    ],
)
def test_database_urls_are_parsed_like_dj_database_url(
    url: str, family: str, host: str, port: int, database: str, user: str | None
) -> None:
    endpoint = parse_database_url(url)
    assert (endpoint.family, endpoint.host, endpoint.port, endpoint.database, endpoint.user) == (
        family,
        host,
        port,
        database,
        user,
    )


def test_the_password_is_decoded_and_kept_out_of_repr_and_descriptions() -> None:
    endpoint = parse_database_url(f"postgres://app:{QUOTED_SECRET}@db:5432/orders?sslmode=require")
    assert endpoint.password == SECRET
    assert endpoint.options == {"sslmode": "require"}
    assert SECRET not in repr(endpoint)
    assert QUOTED_SECRET not in repr(endpoint)
    assert endpoint.describe() == "app@db:5432/orders"


def test_query_options_are_left_to_the_driver_to_judge() -> None:
    # live.connect refuses what the driver does not take, naming the endpoint (test_connect.py)
    endpoint = parse_database_url("mysql://app@db/x?sslmode=require&charset=latin1")
    assert endpoint.options == {"sslmode": "require", "charset": "latin1"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"sqlite://app:{QUOTED_SECRET}@x/db", "scheme 'sqlite' is not supported"),
        (f"postgres://app:{QUOTED_SECRET}@db:5432", "names no database"),
        (f"postgres://app:{QUOTED_SECRET}@db:notaport/x", "cannot be parsed"),
    ],
)
def test_bad_urls_are_refused_without_repeating_them(url: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError) as raised:
        parse_database_url(url)
    assert message in raised.value.message
    assert SECRET not in raised.value.message
    assert QUOTED_SECRET not in raised.value.message


def test_an_endpoint_from_separate_settings_gets_the_family_port() -> None:
    # what the Django check builds from HOST, PORT, NAME, USER, PASSWORD
    endpoint = Endpoint.build("mysql", host="", port=None, database="shop", user="", password="x")
    assert (endpoint.host, endpoint.port, endpoint.user) == (None, 3306, None)
    assert endpoint.describe() == "localhost:3306/shop"
    assert Endpoint.build("postgres", host="/run/pg", database="x").describe() == "/run/pg/x"


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("postgres", "postgres"),
        ("PostgreSQL", "postgres"),  # also Django's connection.vendor
        ("pgsql", "postgres"),
        ("mysql", "mysql"),  # Django's vendor for MySQL and MariaDB
        ("mariadb", "mysql"),
        ("sqlite", None),
        ("oracle", None),
    ],
)
def test_schemes_and_django_vendors_map_to_one_family(name: str, family: str | None) -> None:
    assert family_of_name(name) == family


def test_every_engine_has_a_family() -> None:
    assert [family_of(engine) for engine in Engine] == ["postgres", "mysql", "mysql"]


# ---------------------------------------------------------------------------------------------
# Redaction


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        ("password 'hunter22' refused", "hunter22", "password '***' refused"),
        ("saw 'unter' then", "hunter22", "saw '***' then"),  # a part of it
        ("no  such\n\tthing", "hunter22", "no such thing"),  # whitespace is collapsed
        ("can't encode '\\u20ac9x' at 3", "ab\u20ac9x", "can't encode '***' at 3"),  # repr form
        ("a*b hun* x", "hun*", "a*b ### x"),  # the mask is of characters the secret lacks
        ("user ab is ab", "ab", "user *** is ***"),  # short secrets: masked whole
        ("nothing to hide", None, "nothing to hide"),
        ("password=hunte failed", "hunter22", "password=*** failed"),  # a part, cut short
        ("a xhunter22y b", "hunter22", "a x***y b"),  # the whole secret, wherever it stands
    ],
)
def test_redact_removes_the_secret_and_every_part_of_it(
    text: str, secret: str | None, expected: str
) -> None:
    assert redact(text, secret) == expected


@pytest.mark.parametrize(
    "secret", ["s3cr3t-ass", "Passw0rd!", "xyassword", "swordfish", "authentic8"]
)
def test_redaction_never_masks_a_piece_of_a_word_the_secret_happens_to_share(secret: str) -> None:
    """Issue 20: a secret with "ass" in it turned the word "password" into "p***ord". Three
    letters of the secret inside one of the driver's own words are a coincidence, not an echo:
    the message keeps its words; the secret, quoted, is still masked."""
    said = f"FATAL: password authentication failed for user \"app\"; it was '{secret}'"
    redacted = redact(said, secret)
    assert redacted.startswith('FATAL: password authentication failed for user "app"; it was ')
    assert secret not in redacted and "***" in redacted


@given(text=st.text(max_size=80), secret=st.text(min_size=1, max_size=24))
def test_the_whole_secret_never_survives(text: str, secret: str) -> None:
    assert secret not in redact(text + secret + text[::-1] + secret, secret)


@given(
    text=st.text(alphabet=st.characters(categories=["L", "Nd", "Zs", "P"]), max_size=60),
    secret=st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=5, max_size=24),
)
def test_no_part_of_the_secret_that_stands_as_a_word_survives(text: str, secret: str) -> None:
    """A part of three characters or more that a driver quotes (bounded by what is not a letter
    or a digit) is masked: a value cut short, or its middle."""
    for part in (secret[1:-1], secret[:3], secret[-3:]):
        redacted = redact(f"{text} '{part}' {text}", secret)
        assert f"'{part}'" not in redacted, (part, redacted)
