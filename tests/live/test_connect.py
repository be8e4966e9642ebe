"""live.connect: every way a connection fails is one message, with no trace of the password.

Each failure runs through the real CLI against the real PostgreSQL and MariaDB servers that
tests/dbservers.py starts: exit 1, one `Error: cannot connect to user@host:port/database: …`,
no traceback, and neither the password nor any 3-character piece of it on stdout or stderr.
"""

from __future__ import annotations

import socket
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from dbservers import DatabaseServer
from support.profiles import write_profile

from cloudtimeouts.live.connect import (
    CONNECT_HINT,
    DatabaseConnectError,
    DriverUnavailableError,
    connect_error,
    connected,
)
from cloudtimeouts.live.url import Endpoint, parse_database_url
from cloudtimeouts.profile import parse_profile

# A wrong password with a character Latin-1 lacks (PyMySQL used to raise UnicodeEncodeError
# quoting it and its position), a slash, and nothing a driver's message would say by chance.
WRONG = "Zq€9xK/w!Lm7;Vb"
SECRET = "s3cr3t/p@ss:word"
QUOTED_SECRET = "s3cr3t%2Fp%40ss%3Aword"


def pieces(secret: str) -> set[str]:
    """The secret, its URL spelling, and every piece of it of 3 characters or more."""
    found = {secret, quote(secret, safe="", errors="surrogatepass"), ascii(secret)[1:-1]}
    for start in range(len(secret)):
        found.update(secret[start:end] for end in range(start + 3, len(secret) + 1))
    return found


def assert_no_trace(text: str, secret: str) -> None:
    leaked = sorted(piece for piece in pieces(secret) if piece in text)
    assert not leaked, f"{leaked} in {text!r}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


def profile_for(tmp_path: Path, engine: str) -> Path:
    return write_profile(tmp_path, name="proof", engine=engine, conn_max_age="3")


@pytest.fixture(params=["postgres", "mariadb"])
def server(request: pytest.FixtureRequest) -> DatabaseServer:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


def test_a_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    from cloudtimeouts.live import verify

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    profile = parse_profile("name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n")
    with pytest.raises(DriverUnavailableError) as raised:
        verify(profile, "postgres://app:pw@127.0.0.1:1/x")
    assert raised.value.hint == "pip install 'cloudtimeouts[verify]'"
    path = profile_for(tmp_path, "postgres")
    result = cli("verify", path, "--database-url", "postgres://app:pw@127.0.0.1:1/x")
    assert result.exit_code == 1
    assert "Hint: pip install 'cloudtimeouts[verify]'" in result.stderr


def test_cannot_connect_names_host_and_port_never_the_password(  # type: ignore[no-untyped-def]
    server: DatabaseServer, tmp_path: Path, cli
) -> None:
    path = profile_for(tmp_path, server.engine)
    closed = closed_port()
    outputs = []
    for url, where in (
        (server.url(port=closed), f"app@127.0.0.1:{closed}/app"),
        (server.url(password=SECRET), f"app@127.0.0.1:{server.port}/app"),  # wrong password
        (server.url(port=closed, password=SECRET), f"app@127.0.0.1:{closed}/app"),
    ):
        result = cli("verify", path, "--database-url", url)
        assert result.exit_code == 1
        assert f"Error: cannot connect to {where}: " in result.stderr
        assert "Hint: check the host, port, database name and credentials" in result.stderr
        outputs.append(result.stdout + result.stderr)
    everything = "\n".join(outputs)
    for secret in (SECRET, QUOTED_SECRET, server.password):
        assert secret not in everything


# Each: the URL's query per engine ("*": both), the password, and words the message must hold.
FAILURES: dict[str, tuple[dict[str, str], str, dict[str, str]]] = {
    "a non-Latin-1 password": (
        {"*": ""},
        WRONG,
        {"postgres": "password authentication failed", "mariadb": "Access denied"},
    ),
    # a lone surrogate: what os.environ makes of a DATABASE_URL that is not valid UTF-8
    "a password Python cannot encode": ({"*": ""}, "Zq\udcff9xKwLm7", {"*": "cannot be encoded"}),
    "a missing TLS file": (
        {
            "postgres": "?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
            "mariadb": "?ssl_ca=/nonexistent/ca.pem",
        },
        WRONG,
        {
            "postgres": "SSL",
            "mariadb": "No such file or directory "
            "(TLS files in the URL: ssl_ca=/nonexistent/ca.pem)",
        },
    ),
    "a TLS file that is not a certificate": (
        {"postgres": "?sslmode=require&sslcert=/etc/hostname", "mariadb": "?ssl_ca=/etc/hostname"},
        WRONG,
        {"postgres": "SSL", "mariadb": "(TLS files in the URL: ssl_ca=/etc/hostname)"},
    ),
    "an unknown character set": (
        {"postgres": "?client_encoding=bogus", "mariadb": "?charset=bogus"},
        WRONG,
        {
            "postgres": "password authentication failed",  # libpq judges it after logging in
            "mariadb": "charset='bogus' is not a character set PyMySQL knows",
        },
    ),
    "an unknown option": (
        {"*": "?bogus=1"},
        WRONG,
        {"postgres": 'invalid connection option "bogus"', "mariadb": "option 'bogus'"},
    ),
    "a bad option value": (
        {"postgres": "?sslmode=bogus", "mariadb": "?ssl_disabled=maybe"},
        WRONG,
        {"postgres": 'invalid sslmode value: "bogus"', "mariadb": "ssl_disabled='maybe'"},
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_every_connection_failure_is_one_message_without_the_password(  # type: ignore[no-untyped-def]
    server: DatabaseServer, tmp_path: Path, cli, case: str
) -> None:
    suffixes, password, words = FAILURES[case]
    suffix = suffixes.get(server.engine, suffixes.get("*", ""))
    if case == "a TLS file that is not a certificate" and not Path("/etc/hostname").is_file():
        pytest.skip("no /etc/hostname on this machine")
    path = profile_for(tmp_path, server.engine)
    # a surrogate cannot be percent-encoded: it stays in the URL, as os.environ leaves it
    spelled = password if "\udcff" in password else quote(password, safe="")
    url = server.url(password="PASSWORD").replace("PASSWORD", spelled) + suffix
    result = cli("verify", path, "--database-url", url)
    output = result.stdout + result.stderr
    assert result.exit_code == 1, output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Error: cannot connect to app@127.0.0.1:{server.port}/app: ")
    assert len(lines) == 2 and lines[1].startswith("Hint: "), output  # one message, one hint
    assert words.get(server.engine, words.get("*", "")) in lines[0]
    assert "Traceback" not in output and "unexpected error" not in output
    assert "position" not in output  # an encoding error's position in the password
    assert result.stdout == ""
    assert_no_trace(output, password)
    assert server.password not in output


@pytest.fixture
def utf8_user(server: DatabaseServer) -> Iterator[str]:
    """A second application user whose password has characters Latin-1 lacks."""
    password = "Pä€ss-wørd-ĳ"
    if server.engine == "postgres":
        server.execute(f"CREATE ROLE utf8user LOGIN PASSWORD '{password}'")
        yield password  # PUBLIC may connect to a new database
        server.execute("DROP ROLE utf8user")
    else:
        server.execute(f"CREATE USER 'utf8user'@'%' IDENTIFIED BY '{password}'")
        server.execute("GRANT SELECT ON app.* TO 'utf8user'@'%'")
        yield password
        server.execute("DROP USER 'utf8user'@'%'")


def test_a_non_latin1_password_connects_as_django_would(  # type: ignore[no-untyped-def]
    server: DatabaseServer, utf8_user: str, tmp_path: Path, cli
) -> None:
    # mysqlclient (Django's MySQL driver) and libpq send the password as UTF-8; so does verify
    scheme = "postgres" if server.engine == "postgres" else "mysql"
    url = f"{scheme}://utf8user:{quote(utf8_user, safe='')}@127.0.0.1:{server.port}/app"
    result = cli("verify", profile_for(tmp_path, server.engine), "--database-url", url)
    assert result.exit_code == 0, result.stderr
    assert f"# utf8user@127.0.0.1:{server.port}/app" in result.stdout


# ---------------------------------------------------------------------------------------------
# The mapping itself, for exceptions a test cannot easily provoke from a server


def _endpoint(**options: str) -> Endpoint:
    return Endpoint.build(
        "mysql", host="db", database="shop", user="app", password=WRONG, options=options
    )


def test_an_encoding_error_names_the_setting_not_the_character_or_its_position() -> None:
    try:
        WRONG.encode("latin-1")
    except UnicodeEncodeError as error:
        mapped = connect_error(_endpoint(), error)
    assert mapped.message == (
        "cannot connect to app@db:3306/shop: the password has a character that cannot be "
        "encoded as latin-1"
    )
    assert mapped.hint == CONNECT_HINT


def test_a_decoding_error_says_so_without_its_bytes() -> None:
    error = UnicodeDecodeError("utf-8", WRONG.encode("utf-8"), 2, 3, "invalid start byte")
    mapped = connect_error(_endpoint(), error)
    assert mapped.message == (
        "cannot connect to app@db:3306/shop: the server sent text that cannot be decoded as utf-8"
    )


def test_an_oserror_from_a_tls_file_names_the_files_of_the_url() -> None:
    error = FileNotFoundError(2, "No such file or directory")
    mapped = connect_error(_endpoint(ssl_ca="/x/ca.pem", ssl_key="/x/key.pem"), error)
    assert mapped.message == (
        "cannot connect to app@db:3306/shop: [Errno 2] No such file or directory "
        "(TLS files in the URL: ssl_ca=/x/ca.pem, ssl_key=/x/key.pem)"
    )
    assert "/x/ca.pem" in connect_error(_endpoint(ssl_ca="/x/ca.pem"), ssl.SSLError(1, "x")).message


def test_other_exceptions_keep_their_type_and_lose_the_password() -> None:
    mapped = connect_error(_endpoint(), ValueError(f"bad value {WRONG[2:9]!r}"))
    assert mapped.message.startswith("cannot connect to app@db:3306/shop: ValueError: bad value")
    assert_no_trace(mapped.message, WRONG)


def test_options_are_checked_before_any_connection() -> None:
    # no server at all: the URL's options are refused first, naming the endpoint
    endpoint = parse_database_url("mysql://app@127.0.0.1:1/x?sslmode=require&ssl_disabled=2")
    with pytest.raises(DatabaseConnectError) as raised, connected(endpoint):
        pass
    assert raised.value.message == (
        "cannot connect to app@127.0.0.1:1/x: unsupported MySQL/MariaDB URL option 'sslmode'; "
        "ssl_disabled='2' is not one of: 1, true, yes, on, 0, false, no, off"
    )
    assert raised.value.hint is not None and "ssl_ca" in raised.value.hint
