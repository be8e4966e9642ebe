"""Where the live database is: a dj-database-url style URL, the protocol family, redaction.

A database URL carries a password, so nothing here repeats the URL: messages name the endpoint
as `user@host:port/database`, and `redact` removes the password (and every part of it) from a
driver's words before they reach a message.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import CloudtimeoutsError

Family = Literal["postgres", "mysql"]
"""The wire protocol: MariaDB speaks MySQL's, and is told apart by its server version."""

# URL schemes as dj-database-url spells them, which are also Django's `connection.vendor`
# names ("postgresql", "mysql"): one table maps both to a protocol family.
SCHEMES: Mapping[str, Family] = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pgsql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}
DEFAULT_PORT: Mapping[Family, int] = {"postgres": 5432, "mysql": 3306}
_FAMILY_OF_ENGINE: Mapping[Engine, Family] = {
    Engine.POSTGRES: "postgres",
    Engine.MYSQL: "mysql",
    Engine.MARIADB: "mysql",
}
SHORTEST_SECRET_PART = 3  # redact() removes every part of a secret at least this long


class DatabaseUrlError(CloudtimeoutsError):
    """A database URL that cannot be used; the message never repeats the URL (it has secrets)."""


class EngineMismatchError(CloudtimeoutsError):
    """The URL or the server is not of the profile's engine."""


def profile_endpoint(profile: str, engine: Engine, database_url: str) -> Endpoint:
    """The URL parsed, refused when it is not of the profile's engine (before connecting)."""
    endpoint = parse_database_url(database_url)
    if endpoint.family != family_of(engine):
        raise EngineMismatchError(
            f"profile {profile} is for {engine.value} but the database URL is a "
            f"{endpoint.family} URL ({endpoint.describe()})",
            hint="pass the URL of the database this profile describes",
        )
    return endpoint


def check_server_engine(
    profile: str, engine: Engine, seen: Engine, version: str, where: str
) -> None:
    """The server connected to runs the profile's engine (MySQL and MariaDB share a URL)."""
    if seen is not engine:
        raise EngineMismatchError(
            f"profile {profile} is for {engine.value} but the server at {where} is "
            f"{seen.value} ({version})",
            hint=f"set engine: {seen.value} in the profile if this is the right database",
        )


def family_of(engine: Engine) -> Family:
    return _FAMILY_OF_ENGINE[engine]


def family_of_name(name: str) -> Family | None:
    """The family of a URL scheme or a Django `connection.vendor`; None for any other."""
    return SCHEMES.get(name.lower())


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to connect. The password is kept out of repr() and of every message."""

    family: Family
    host: str | None
    port: int
    database: str
    user: str | None
    password: str | None = field(default=None, repr=False)
    options: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        family: Family,
        *,
        host: str | None = None,
        port: int | None = None,
        database: str = "",
        user: str | None = None,
        password: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> Endpoint:
        """From separate settings (Django's HOST, PORT, …); the family's port when none."""
        return cls(
            family,
            host or None,
            port or DEFAULT_PORT[family],
            database,
            user or None,
            password,
            dict(options or {}),
        )

    def describe(self) -> str:
        """`app@db.example.com:5432/orders`: what users need to find the database, no secret."""
        user = f"{self.user}@" if self.user else ""
        host = self.host or "localhost"
        where = host if host.startswith("/") else f"{host}:{self.port}"
        return f"{user}{where}/{self.database}"


def parse_database_url(url: str) -> Endpoint:
    """A dj-database-url style URL: postgres://user:pass@host:port/name?sslmode=require.

    Query parameters are kept as they are: the driver's connect (live.connect) says which it
    takes, so that a wrong one is a connection error naming the endpoint.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise DatabaseUrlError(
            "the database URL cannot be parsed (check the host and the port)",
            hint="use scheme://user:password@host:port/database; percent-encode special "
            "characters in the password",
        ) from None
    family = family_of_name(parts.scheme)
    if family is None:
        shown = parts.scheme or "(none)"
        raise DatabaseUrlError(
            f"the database URL's scheme {shown!r} is not supported; "
            f"use one of: {', '.join(f'{scheme}://' for scheme in SCHEMES)}"
        )
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):  # [::1]:5432
        host = hostport[1 : hostport.find("]")]
    else:  # a percent-encoded socket directory (%2Fvar%2Frun%2Fpostgresql) has no colon
        host = unquote(hostport.rsplit(":", 1)[0])
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise DatabaseUrlError(
            "the database URL names no database (…/DATABASE at the end of the URL)"
        )
    return Endpoint.build(
        family,
        host=host,
        port=port,
        database=database,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        options=dict(parse_qsl(parts.query, keep_blank_values=True)),
    )


def redact(text: str, secret: str | None) -> str:
    """A driver's message without the secret, or any part of it of 3 characters or more that
    stands as a word of its own.

    Drivers may echo what they were given, whole or in part (an encoding error quotes the
    character it could not encode, a message quotes a value it cut short); each spelling of the
    secret (also its escaped one, ascii) becomes a mask made of characters the secret does not
    contain, wherever it stands. A part of it is masked where it does not split a word of the
    message: a driver quotes what it echoes ('unter', =hunte), while three letters of the secret
    inside one of the driver's own words are a coincidence, and masking them turned the word
    "password" into "p***ord" (issue 20). A secret shorter than 3 characters is masked wherever it
    appears whole.
    """
    text = re.sub(r"\s+", " ", text).strip()
    if not secret:
        return text
    candidates = itertools.chain("*#~^", map(chr, itertools.count(0x2022)))
    mask = next(c for c in candidates if c not in secret and not c.isalnum()) * 3
    spellings = tuple(dict.fromkeys((secret, ascii(secret)[1:-1])))
    for spelling in spellings:
        text = text.replace(spelling, mask)
    for spelling in spellings:
        text = _mask_parts(text, spelling, min(SHORTEST_SECRET_PART, len(spelling)), mask)
    return text


def _mask_parts(text: str, secret: str, shortest: int, mask: str) -> str:
    out: list[str] = []
    start = 0
    while start < len(text):
        end = _part_end(text, start, secret, shortest)
        if end is None:
            out.append(text[start])
            start += 1
        else:
            out.append(mask)
            start = end
    return "".join(out)


def _part_end(text: str, start: int, secret: str, shortest: int) -> int | None:
    """The end of the longest part of the secret that begins at `start` and splits no word."""
    if not _edge(text, start):
        return None
    end = start + shortest
    if end > len(text) or text[start:end] not in secret:
        return None
    while end < len(text) and text[start : end + 1] in secret:  # a part of a part is one too
        end += 1
    return next((stop for stop in range(end, start + shortest - 1, -1) if _edge(text, stop)), None)


def _edge(text: str, index: int) -> bool:
    """Whether `index` falls between two words of `text`, not inside one."""
    return index in (0, len(text)) or not (text[index - 1].isalnum() and text[index].isalnum())
