"""Django settings snippets whose CONN_MAX_AGE comes from a profile.

The profile is the single place where CONN_MAX_AGE and the servers' idle timeouts are declared
together; this module turns it into the `DATABASES` setting so that the Django side cannot drift
from what the guard checked. Connection details are always read from the environment at import
time: a snippet never contains a secret, so it can be committed.

With `django.pool` (PostgreSQL, Django 5.1+) the entry gets `OPTIONS["pool"]`: Django passes
that dict to psycopg_pool.ConnectionPool as keyword arguments, with CONN_HEALTH_CHECKS as
`check=ConnectionPool.check_connection` (None without), and refuses a non-zero CONN_MAX_AGE
("Pooling doesn't support persistent connections.") — django/db/backends/postgresql/base.py,
`DatabaseWrapper.pool`, Django 5.1 and 5.2. psycopg_pool takes min_size and max_size as ints and
max_idle, max_lifetime and timeout as seconds (floats allowed; psycopg.org/psycopg3/docs/api/
pool.html). Every value the guard judged is written out, defaults included, so that the pool
Django builds is the one the guard checked whatever psycopg_pool's defaults become.

Client keepalives (libpq `keepalives`, `keepalives_idle`, `keepalives_interval`) mirror the
profile's tcp_keepalives_* server values, with `keepalives_idle` from `django.keepalives_idle`
where the profile declares it: that declared value is the one the path guard credits for the
network hops on Django's side of the nearest pooler or proxy (path_guard.client_keepalive). The
snippet names the hops the guard counted as kept open, and nothing more.

With `workers:`, each process kind names its connections: PostgreSQL's `application_name`
(libpq connection parameter, PostgreSQL docs "Parameter Key Words") is read from
`<prefix>APPLICATION_NAME`, defaulting to `<profile>-requests`; a worker is started with it set to
its name, so that `cloudtimeouts observe` (pg_stat_activity.application_name) judges its
connections against its own budget. MySQL's protocol has no such name (PROCESSLIST shows
USER and HOST): a database user per worker names them there. After DATABASES, the snippet says
per worker what installs its glue (`workers.KINDS`) and how to start it.

Pure functions, no I/O: the CLI prints what `render` returns.
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from dataclasses import dataclass
from typing import Any, Literal

from cloudtimeouts.budget import in_seconds
from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import Duration, NativeUnit
from cloudtimeouts.errors import UnsafeProfileError
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.printable import printable
from cloudtimeouts.profile import Profile
from cloudtimeouts.workers import KINDS

Format = Literal["python", "dj-database-url", "json"]
FORMATS: tuple[Format, ...] = ("python", "dj-database-url", "json")

_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_PREFIX = re.compile(r"[A-Z_][A-Z0-9_]*")
DEFAULT_ENV_PREFIX = "DB_"

ENGINES: dict[Engine, str] = {
    Engine.POSTGRES: "django.db.backends.postgresql",
    Engine.MYSQL: "django.db.backends.mysql",
    Engine.MARIADB: "django.db.backends.mysql",  # Django serves MariaDB with its MySQL backend
}

# Server parameter -> libpq connection parameter (both in whole seconds). Client-side keepalives
# keep NATs and load balancers from dropping a pooled connection that sits idle between requests,
# and let the client notice a dead peer at the same pace as the server does.
_PG_KEEPALIVES: dict[str, str] = {
    "tcp_keepalives_idle": "keepalives_idle",
    "tcp_keepalives_interval": "keepalives_interval",
}


@dataclass(frozen=True, slots=True)
class EnvVar:
    """A value read from the environment when the settings module is imported.

    `default` None means the variable is required (`os.environ[...]`, a KeyError when missing,
    like Django's own failure for a missing NAME); otherwise `os.environ.get(name, default)`.
    """

    name: str
    default: str | None = None

    def to_json(self) -> dict[str, str]:
        return (
            {"env": self.name}
            if self.default is None
            else {"env": self.name, "default": self.default}
        )

    def to_python(self) -> str:
        if self.default is None:
            return f"os.environ[{_literal(self.name)}]"
        return f"os.environ.get({_literal(self.name)}, {_literal(self.default)})"


def validate_alias(alias: str) -> str:
    """Raise ValueError unless `alias` can be a DATABASES key and part of an identifier."""
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise ValueError(
            f"invalid database alias {alias!r}: use letters, digits and underscores, "
            "not starting with a digit (e.g. default, replica)"
        )
    return alias


def validate_env_prefix(env_prefix: str) -> str:
    """Raise ValueError unless `env_prefix` makes portable environment variable names."""
    if not isinstance(env_prefix, str) or not _ENV_PREFIX.fullmatch(env_prefix):
        raise ValueError(
            f"invalid environment variable prefix {env_prefix!r}: use upper-case letters, "
            "digits and underscores, not starting with a digit (e.g. DB_, ORDERS_DB_)"
        )
    return env_prefix


def url_env_var(env_prefix: str = DEFAULT_ENV_PREFIX) -> str:
    """The variable holding the database URL: dj-database-url's DATABASE_URL by default."""
    validate_env_prefix(env_prefix)
    return "DATABASE_URL" if env_prefix == DEFAULT_ENV_PREFIX else f"{env_prefix}URL"


def pg_keepalive_options(profile: Profile) -> dict[str, int]:
    """libpq keepalive parameters: `django.keepalives_idle` where the profile declares it (the
    value the guard credits for the hops on Django's side), else the server's declared
    tcp_keepalives_* values, mirrored.

    Empty when the profile is not PostgreSQL or declares no enabled keepalive value: then libpq's
    and the operating system's defaults stay in effect and the snippet says nothing about them.
    """
    if profile.engine is not Engine.POSTGRES:
        return {}
    options: dict[str, int] = {}
    for server_name, libpq_name in _PG_KEEPALIVES.items():
        value = profile.server.get(server_name)
        if value is not None and not value.disabled:
            options[libpq_name] = int(value.to_native(NativeUnit.SECONDS))
    declared = profile.django.keepalives_idle
    if declared is not None:
        options["keepalives_idle"] = int(declared.to_native(NativeUnit.SECONDS))
    return {"keepalives": 1, **options} if options else {}


def pool_options(profile: Profile) -> dict[str, int | float] | None:
    """`OPTIONS["pool"]`: psycopg_pool.ConnectionPool's arguments, durations in seconds."""
    pool = profile.django.pool
    if pool is None:
        return None
    options: dict[str, int | float] = {"min_size": pool.min_size}
    if pool.max_size is not None:
        options["max_size"] = pool.max_size
    for name in ("max_idle", "max_lifetime", "timeout"):
        options[name] = _seconds(getattr(pool, name))
    return options


def _seconds(value: Duration) -> int | float:
    seconds = value.seconds
    return int(seconds) if seconds == seconds.to_integral_value() else float(seconds)


def kept_open(profile: Profile) -> list[str]:
    """The network hops the guard counts as kept open by keepalives: `load-balancer nlb (350s)`.

    Exactly the offline guard's (offline.judge_offline), so the snippet claims no more than the
    guard counted.
    """
    return [
        f"{judged.hop.hop.kind} {judged.hop.hop.name} ({judged.value.human()})"
        for judged in judge_offline(profile).entries
        if judged.hop is not None and judged.outcome == "kept open"
    ]


def idle_timeouts_comment(profile: Profile) -> str | None:
    """What the guard holds Django's budgets to, in its own terms (the offline guard's verdict,
    as `validate` gives it): each enabled idle timeout it judges — the server's, as declared,
    and every hop's not kept open by keepalives — grouped by the budget it must outlast."""
    verdict = judge_offline(profile)
    budget = verdict.budget
    platform = verdict.platforms[-1]  # as validate: a cluster group may be on another platform
    between: list[str] = []
    inside: list[str] = []
    # the server's as declared (on the last platform: where a target may be on another one, as
    # validate judges it), then the path's: those the guard compared with a budget
    server = [
        judged
        for judged in verdict.entries
        if judged.hop is None and judged.declared and judged.platform == platform
    ]
    path = [judged for judged in verdict.entries if judged.hop is not None]
    for judged in server + path:
        if judged.against is None:
            continue  # off, kept open, a pooler's own connections, not Django's
        shown = f"{judged.name}={judged.value.human()}"
        if judged.hop is not None:
            shown = f"{judged.hop.hop.kind} {judged.hop.hop.name} {shown}"
        (inside if judged.against == "transaction" else between).append(shown)
    unjudged = budget.transaction_unjudged
    if not unjudged and not budget.transaction_declared and budget.transaction == budget.session:
        between, inside = between + inside, []  # one budget for both: today's rule
    margin = profile.guard.margin
    plus = "" if margin.disabled else f" + the margin {in_seconds(margin)}"
    sentences = []
    if between and budget.checked:
        sentences.append(
            "each pooled connection is checked on checkout (CONN_HEALTH_CHECKS), so these idle "
            f"timeouts cost a reconnect, never a failed request: {', '.join(between)}"
        )
    elif between:
        sentences.append(f"{budget.session_words}{plus} must stay below: {', '.join(between)}")
    if inside and unjudged:
        sentences.append(
            "no django.max_idle_in_transaction is declared, so these transaction-idle timeouts "
            f"are not judged: {', '.join(inside)}"
        )
    elif inside:
        sentences.append(
            f"{budget.transaction_words}{plus} must stay below the transaction-idle timeouts: "
            f"{', '.join(inside)}"
        )
    return "; ".join(sentences) or None


def _comment(text: str, indent: str) -> list[str]:
    """`text` as comment lines that keep the snippet within 100 columns; `printable`, so that a
    newline in a hop's name cannot end the comment and start a line of code."""
    width = max(40, 100 - len(indent) - 2)
    wrapped = textwrap.wrap(printable(text), width, break_on_hyphens=False)
    return [f"{indent}# {line}" for line in wrapped]


def _database(profile: Profile, env_prefix: str) -> dict[str, Any]:
    """One DATABASES entry; EnvVar marks the values read from the environment."""
    entry: dict[str, Any] = {
        "ENGINE": ENGINES[profile.engine],
        "NAME": EnvVar(f"{env_prefix}NAME"),
        "USER": EnvVar(f"{env_prefix}USER"),
        "PASSWORD": EnvVar(f"{env_prefix}PASSWORD", ""),
        "HOST": EnvVar(f"{env_prefix}HOST", ""),
        "PORT": EnvVar(f"{env_prefix}PORT", ""),
        "CONN_MAX_AGE": profile.django.conn_max_age,
        "CONN_HEALTH_CHECKS": profile.django.conn_health_checks,
    }
    options: dict[str, Any] = dict(pg_keepalive_options(profile))
    if profile.workers and profile.engine is Engine.POSTGRES:
        options["application_name"] = EnvVar(
            f"{env_prefix}APPLICATION_NAME", requests_name(profile)
        )
    pool = pool_options(profile)
    if pool is not None:
        options["pool"] = pool
    if options:
        entry["OPTIONS"] = options
    return entry


def requests_name(profile: Profile) -> str:
    """The application_name of the processes that serve requests (the workers' are theirs)."""
    return f"{profile.name}-requests"


def workers_comment(profile: Profile, env_prefix: str) -> list[str]:
    """What each declared worker needs beside DATABASES: its glue and how to start it."""
    if not profile.workers:
        return []
    lines = ["", "# Workers outside the request cycle (the profile's workers:)."]
    for worker in profile.workers:
        kind = KINDS[worker.kind]
        name = (
            f"start it with {env_prefix}APPLICATION_NAME={worker.name} (its connections' "
            "application_name)"
            if profile.engine is Engine.POSTGRES
            else "give it its own database USER to tell its connections apart"
        )
        if worker.between == "checked" and not worker.glue:
            said = f"{kind.title} closes or checks connections around each {kind.unit}"
            lines += _comment(f"worker {worker.name} ({worker.kind}): {said}; {name}.", "")
            continue
        glue = "glue declared installed" if worker.glue else "keeps connections between units"
        lines += _comment(f"worker {worker.name} ({worker.kind}, {glue}): {name}.", "")
        lines += [line for line in kind.settings] or _comment(f"Install {kind.glue}.", "")
    return lines


def databases_dict(profile: Profile, alias: str = "default", env_prefix: str = "DB_") -> dict:
    """The data behind `--format json`: `{alias: {...}}`, shaped like Django's DATABASES.

    Values Django reads from the environment are objects instead of strings:
    `{"env": "DB_NAME"}` for a required variable (NAME, USER) and
    `{"env": "DB_PASSWORD", "default": ""}` for an optional one (PASSWORD, HOST, PORT).
    CONN_MAX_AGE is an int of seconds, or None (JSON null) for unlimited. OPTIONS is present only
    when there is something to set (PostgreSQL client keepalives, Django's pool as "pool", the
    `application_name` read from the environment when the profile declares workers).
    """
    validate_alias(alias)
    validate_env_prefix(env_prefix)

    def plain(value: Any) -> Any:
        if isinstance(value, EnvVar):
            return value.to_json()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return {alias: plain(_database(profile, env_prefix))}


def django_settings(
    profile: Profile,
    fmt: Literal["python", "dj-database-url", "json"] = "python",
    alias: str = "default",
    env_prefix: str = "DB_",
    source: str | None = None,
) -> str:
    """The snippet for `django-settings --format FMT`, ending with a newline.

    Its header names the version and the command that regenerates it: the profile file as
    `source` names it (the CLI passes the path it was given; else `PROFILE`) and every option.
    Refuses (UnsafeProfileError, exit 3) a profile whose own guard refuses it: settings that let
    Django reuse a connection the server already closed are never generated, whoever asks.
    """
    refusals = judge_offline(profile).refusals
    if refusals:
        raise UnsafeProfileError(
            "no settings generated: this profile's CONN_MAX_AGE is not safe for its own timeouts",
            refusals,
            hint="fix the profile (cloudtimeouts validate shows the same refusal)",
        )
    validate_alias(alias)
    validate_env_prefix(env_prefix)
    header = _header(profile, fmt, alias, env_prefix, source)
    if fmt == "python":
        return _render_python(profile, alias, env_prefix, header)
    if fmt == "dj-database-url":
        return _render_dj_database_url(profile, alias, env_prefix, header)
    if fmt == "json":
        return json.dumps(databases_dict(profile, alias, env_prefix), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def _literal(value: object) -> str:
    """A Python literal for value: double-quoted strings where that is exact, else repr()."""
    if isinstance(value, str) and value.isascii() and value.isprintable():
        # For printable ASCII, JSON's escapes (\" and \\) are Python's too.
        return json.dumps(value)
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def _header(
    profile: Profile, fmt: Format, alias: str, env_prefix: str, source: str | None
) -> list[str]:
    """The version, and the command that made the snippet: every option, the profile's path."""
    from cloudtimeouts import __version__

    # printable: a newline in the file's name must not end the comment (shlex.quote keeps it)
    path = printable(shlex.quote(source)) if source else "PROFILE"
    return [
        f"# Generated by cloudtimeouts {__version__} from profile {profile.name!r} "
        f"({profile.engine.value}) by:",
        f"#   cloudtimeouts django-settings {path} \\",
        f"#     --format {fmt} --alias {alias} --env-prefix {env_prefix}",
        "# Change the profile and run that again rather than editing this by hand.",
    ]


def _options_lines(profile: Profile, indent: str, env_prefix: str) -> list[str]:
    """The OPTIONS entries (keepalives, then the pool), one per line, with what they are for."""
    lines: list[str] = []
    keepalives = pg_keepalive_options(profile)
    if keepalives:
        declared = profile.django.keepalives_idle is not None
        source = "django.keepalives_idle" if declared else "as on the server"
        lines.append(f"{indent}# libpq client-side TCP keepalives ({source})")
        hops = kept_open(profile)
        if hops:
            lines.extend(
                _comment(
                    f"the guard counts path {', '.join(hops)} as kept open by TCP keepalives "
                    "(cloudtimeouts explain shows whose)",
                    indent,
                )
            )
        lines.extend(f"{indent}{_literal(k)}: {_literal(v)}," for k, v in keepalives.items())
    if profile.workers and profile.engine is Engine.POSTGRES:
        lines.append(f"{indent}# who holds the connection: pg_stat_activity.application_name")
        variable = EnvVar(f"{env_prefix}APPLICATION_NAME", requests_name(profile))
        lines.append(f'{indent}"application_name": {variable.to_python()},')
    pool = pool_options(profile)
    if pool is not None:
        lines.extend(_comment(_pool_words(profile), indent))
        lines.append(f'{indent}"pool": {{')
        lines.extend(f"{indent}    {_literal(k)}: {_literal(v)}," for k, v in pool.items())
        lines.append(f"{indent}}},")
    return lines


def _pool_words(profile: Profile) -> str:
    checked = (
        "CONN_HEALTH_CHECKS makes the pool check each connection on checkout "
        "(check=ConnectionPool.check_connection)"
        if profile.django.conn_health_checks
        else "without CONN_HEALTH_CHECKS the pool hands connections out unchecked"
    )
    return (
        "Django 5.1+ connection pool (pip install 'psycopg[pool]'): psycopg_pool.ConnectionPool "
        "arguments, durations in seconds. min_size connections live until max_lifetime, those "
        f"above it until max_idle; {checked}."
    )


def _render_python(profile: Profile, alias: str, env_prefix: str, header: list[str]) -> str:
    entry = _database(profile, env_prefix)
    lines = [*header, "import os", "", "DATABASES = {"]
    lines.append(f"    {_literal(alias)}: {{")
    comment = idle_timeouts_comment(profile)
    for key, value in entry.items():
        if key == "CONN_MAX_AGE" and profile.django.pool is not None:
            lines.extend(_comment("Django's pool requires CONN_MAX_AGE = 0", "        "))
        if key == "CONN_MAX_AGE" and comment:
            lines.extend(_comment(comment, "        "))
        if key == "OPTIONS":
            lines.append(f"        {_literal(key)}: {{")
            lines.extend(_options_lines(profile, "            ", env_prefix))
            lines.append("        },")
            continue
        code = value.to_python() if isinstance(value, EnvVar) else _literal(value)
        suffix = "  # unlimited" if key == "CONN_MAX_AGE" and value is None else ""
        lines.append(f"        {_literal(key)}: {code},{suffix}")
    lines += ["    },", "}", *workers_comment(profile, env_prefix)]
    return "\n".join(lines) + "\n"


def _render_dj_database_url(
    profile: Profile, alias: str, env_prefix: str, header: list[str]
) -> str:
    conn_max_age = profile.django.conn_max_age
    unlimited = "  # unlimited" if conn_max_age is None else ""
    call = [
        "dj_database_url.config(",
        f"    env={_literal(url_env_var(env_prefix))},",
        f"    conn_max_age={_literal(conn_max_age)},{unlimited}",
        f"    conn_health_checks={_literal(profile.django.conn_health_checks)},",
        ")",
    ]
    named = bool(profile.workers) and profile.engine is Engine.POSTGRES  # application_name
    lines = [*header, *(["import os"] if named else []), "import dj_database_url", ""]
    comment = idle_timeouts_comment(profile)
    if comment:
        lines.extend(_comment(comment, ""))
    options = _options_lines(profile, "            ", env_prefix)
    if not options:
        lines.append("DATABASES = {")
        lines.append(f"    {_literal(alias)}: {call[0]}")
        lines.extend(f"    {line}" for line in call[1:-1])
        lines.append(f"    {call[-1]},")
        lines.append("}")
        lines += workers_comment(profile, env_prefix)
        return "\n".join(lines) + "\n"
    # config() returns OPTIONS only when the URL's query string has some; keep those (they win
    # over ours: a URL that says keepalives_idle=60 was written on purpose).
    variable = f"_{alias}_from_url"
    lines.append(f"{variable} = {call[0]}")
    lines.extend(call[1:])
    lines += ["DATABASES = {", f"    {_literal(alias)}: {{", f"        **{variable},"]
    lines.append('        "OPTIONS": {')
    lines.extend(options)
    lines.append(f'            **{variable}.get("OPTIONS", {{}}),')
    lines += ["        },", "    },", "}", *workers_comment(profile, env_prefix)]
    return "\n".join(lines) + "\n"
