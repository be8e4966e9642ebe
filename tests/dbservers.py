"""Real PostgreSQL and MariaDB servers on loopback, one of each per test session; PgBouncer too.

Started from the Debian packages' binaries (scripts/ensure-databases.sh installs them) on a free
port with a throw-away data directory (one set per pytest-xdist worker), and stopped at the end,
also when tests fail. A port that another process takes between the look-up and the bind (suites
running side by side) is given up for another one. Each server
has an application role/user `app` with a password, the way Django connects in production, and
an admin connection for what only a superuser may do (ALTER SYSTEM, SET GLOBAL, ALTER ROLE).
PgBouncer (`pgbouncer_server`) listens on its own free port in front of that PostgreSQL, with
its configuration, auth file and log in a temporary directory; `app` may read its admin console
(stats_users) and an admin user may SET its timeouts.

Without the binaries the tests that use these fixtures are skipped, except under CI (CI=true),
where `make test` installs them first: there a missing server is a failure, not a skip.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

STARTUP_TIMEOUT = 60.0  # seconds; a loaded 2-core CI machine starts both in a few seconds
SHUTDOWN_TIMEOUT = 30.0
SETTLE_TIMEOUT = 10.0  # a configuration reload reaching new sessions
APP_USER = "app"
APP_DATABASE = "app"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT_ATTEMPTS = 5  # a port found free can be taken by another process before the server binds it
_IN_USE = re.compile(r"address already in use|bind on tcp/ip port|could not bind", re.I)


def _lost_the_port(process: subprocess.Popen[bytes], log: Path) -> bool:
    """The server exited because another process bound its port first (parallel runs)."""
    if process.poll() is None:
        return False
    return bool(_IN_USE.search(log.read_text(errors="replace"))) if log.exists() else False


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; fail under CI, where make test installs the servers."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI runs scripts/ensure-databases.sh first: it should be there)")
    pytest.skip(f"{reason}; run scripts/ensure-databases.sh (or make test) to install it")


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server, never a stray pg_ctl elsewhere on PATH."""
    found = [
        Path(path).parent
        for path in sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version_key)
        if Path(path).with_name("initdb").exists()
    ]
    if found:
        return found[-1]
    postgres = shutil.which("postgres")
    if postgres:
        real = Path(postgres).resolve().parent
        if (real / "initdb").exists():
            return real
    return None


def mariadb_binaries() -> tuple[Path, Path] | None:
    server = shutil.which("mariadbd") or next(
        (path for path in ("/usr/sbin/mariadbd",) if os.path.exists(path)), None
    )
    install = shutil.which("mariadb-install-db")
    if not server or not install:
        return None
    return Path(server), Path(install)


def pgbouncer_binary() -> Path | None:
    """Debian's /usr/sbin/pgbouncer (not on a non-root PATH), else one on PATH."""
    found = shutil.which("pgbouncer") or next(
        (path for path in ("/usr/sbin/pgbouncer",) if os.path.exists(path)), None
    )
    return Path(found) if found else None


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT)


def _wait_until_ready(
    connect: Callable[[], Any], process: subprocess.Popen[bytes], log: Path, what: str
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            connect().close()
            return
        except Exception as error:  # any driver error means "not ready yet"
            last = error
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start: {type(last).__name__}\n{tail}")
        time.sleep(0.1)


@dataclass
class DatabaseServer:
    """A running server: the application's credentials and an admin connection factory."""

    engine: str  # "postgres" or "mariadb"
    port: int
    password: str = field(repr=False)
    admin: Callable[[], Any] = field(repr=False)
    host: str = "127.0.0.1"
    user: str = APP_USER
    database: str = APP_DATABASE
    version: str = ""
    log: Path = field(default_factory=Path)

    def url(self, *, port: int | None = None, password: str | None = None) -> str:
        scheme = "postgres" if self.engine == "postgres" else "mysql"
        secret = quote(self.password if password is None else password, safe="")
        return f"{scheme}://{self.user}:{secret}@{self.host}:{port or self.port}/{self.database}"

    def execute(self, *statements: str) -> None:
        """Run admin statements (autocommit) on a fresh admin connection."""
        connection = self.admin()
        try:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def app_value(self, name: str) -> str:
        """What a new application session sees, as the server shows it."""
        if self.engine == "postgres":
            import psycopg

            with (
                psycopg.connect(
                    host=self.host,
                    port=self.port,
                    user=self.user,
                    password=self.password,
                    dbname=self.database,
                    connect_timeout=5,
                ) as connection,
                connection.cursor() as cursor,
            ):
                cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", (name,))
                row = cursor.fetchone()
        else:
            import pymysql

            connection = pymysql.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                database=self.database,
                connect_timeout=5,
            )
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT @@session.{name}")
                    row = cursor.fetchone()
            finally:
                connection.close()
        assert row is not None
        return str(row[0])

    def settle(self, expected: dict[str, str]) -> None:
        """Wait until new application sessions see these values (a reload is asynchronous)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            seen = {name: self.app_value(name) for name in expected}
            if seen == expected:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"server settings did not settle: {seen} != {expected}")
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def _pg_run_as() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: run it as the packages' postgres user then."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        _unavailable("running as root, and there is no postgres user to run PostgreSQL as")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _chown_tree(path: Path, run_as: dict[str, Any]) -> None:
    if run_as:
        os.chown(path, run_as["user"], run_as["group"])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[DatabaseServer]:
    """A real PostgreSQL on 127.0.0.1 with a role `app` (password auth, scram-sha-256)."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is the [verify] extra's driver")
    bindir = postgres_bindir()
    if bindir is None:
        _unavailable("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) not found")
    assert bindir is not None
    run_as = _pg_run_as()
    base = Path(tempfile.mkdtemp(prefix="cloudtimeouts-pg-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        _chown_tree(base, run_as)
        admin_password = secrets.token_urlsafe(18)
        pwfile = base / "pw"
        pwfile.write_text(admin_password + "\n")
        _chown_tree(pwfile, run_as)
        data = base / "data"
        log = base / "server.log"
        initdb = subprocess.run(
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                "postgres",
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ],
            capture_output=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
            cwd=base,  # the CI clone may sit where the postgres user cannot look
            **run_as,
        )
        pwfile.unlink()
        if initdb.returncode:
            raise RuntimeError(f"initdb failed:\n{initdb.stderr.decode(errors='replace')}")

        def start(port: int) -> subprocess.Popen[bytes]:
            with log.open("wb") as out:
                return subprocess.Popen(
                    [
                        str(bindir / "postgres"),
                        "-D",
                        str(data),
                        "-p",
                        str(port),
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "unix_socket_directories=",
                        "-c",
                        "fsync=off",
                        "-c",
                        "full_page_writes=off",
                        "-c",
                        "shared_buffers=16MB",
                        "-c",
                        "max_connections=50",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=base,
                    **run_as,
                )

        def admin() -> Any:
            return psycopg.connect(
                host="127.0.0.1",
                port=port,
                user="postgres",
                password=admin_password,
                dbname="postgres",
                connect_timeout=2,
                autocommit=True,
            )

        for attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            process = start(port)
            try:
                _wait_until_ready(admin, process, log, "PostgreSQL")
                break
            except RuntimeError:
                if attempt + 1 == PORT_ATTEMPTS or not _lost_the_port(process, log):
                    raise
        server = DatabaseServer("postgres", port, secrets.token_urlsafe(18), admin, log=log)
        with admin() as connection:
            connection.execute(
                psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    psycopg.sql.Identifier(APP_USER), psycopg.sql.Literal(server.password)
                )
            )
            connection.execute(f"CREATE DATABASE {APP_DATABASE} OWNER {APP_USER}")
            server.version = str(connection.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        yield server
    finally:
        if process is not None:
            _stop(process, signal.SIGINT)  # "fast" shutdown: disconnect clients, then stop
        shutil.rmtree(base, ignore_errors=True)


def reset_postgres(server: DatabaseServer) -> None:
    """Back to the engine's defaults: no ALTER SYSTEM, no per-role or per-database setting."""
    server.execute(
        "ALTER SYSTEM RESET ALL",
        f"ALTER ROLE {APP_USER} RESET ALL",
        f"ALTER ROLE {APP_USER} IN DATABASE {APP_DATABASE} RESET ALL",
        f"ALTER DATABASE {APP_DATABASE} RESET ALL",
        "SELECT pg_reload_conf()",
    )
    server.settle({"idle_session_timeout": "0", "idle_in_transaction_session_timeout": "0"})


@pytest.fixture
def postgres(postgres_server: DatabaseServer) -> Iterator[DatabaseServer]:
    """The session's PostgreSQL, with default settings before and after the test."""
    reset_postgres(postgres_server)
    yield postgres_server
    reset_postgres(postgres_server)


def set_postgres(server: DatabaseServer, **settings: str) -> None:
    """ALTER SYSTEM SET each setting (values in ms), reload, and wait until sessions see it."""
    statements = [f"ALTER SYSTEM SET {name} = '{value}'" for name, value in settings.items()]
    server.execute(*statements, "SELECT pg_reload_conf()")
    server.settle(settings)


# ---------------------------------------------------------------------------------------------
# MariaDB

_MARIADB_IDLE_DEFAULTS = {
    "wait_timeout": "28800",
    "interactive_timeout": "28800",
    "idle_transaction_timeout": "0",
    "idle_write_transaction_timeout": "0",
    "idle_readonly_transaction_timeout": "0",
}


# Nothing machine-wide: InnoDB's asynchronous I/O (io_uring or libaio) takes from budgets that
# many servers at once (xdist workers, other suites) can exhaust, and the server's temporary
# tables go to the shared /tmp by default, where one run failed with "Error on delete of
# '/tmp/#sql-temptable-...'" (mariadb-install-db: "Installation of system tables failed").
# Synchronous I/O is plenty for a test server; each has a tmpdir of its own.
_MARIADB_IO = ("--innodb-use-native-aio=0",)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[DatabaseServer]:
    """A real MariaDB on 127.0.0.1 with a user `app`@`%` identified by a password."""
    pymysql = pytest.importorskip("pymysql", reason="PyMySQL is the [verify] extra's driver")
    binaries = mariadb_binaries()
    if binaries is None:
        _unavailable("MariaDB server binaries (mariadbd, mariadb-install-db) not found")
    assert binaries is not None
    server_bin, install_bin = binaries
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="cloudtimeouts-mariadb-"))
    data, sock, log = base / "data", base / "mysqld.sock", base / "server.log"
    tmp = base / "tmp"
    tmp.mkdir()
    process: subprocess.Popen[bytes] | None = None
    try:
        install = subprocess.run(
            [
                str(install_bin),
                "--no-defaults",
                *as_root,
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *_MARIADB_IO,
                f"--tmpdir={tmp}",
            ],
            capture_output=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
        if install.returncode:
            errors = "".join(
                path.read_text(errors="replace")[-2000:] for path in sorted(data.glob("*.err"))
            )
            raise RuntimeError(
                f"mariadb-install-db failed:\n{install.stdout.decode(errors='replace')}"
                f"{install.stderr.decode(errors='replace')}{errors}"
            )

        def start(port: int) -> subprocess.Popen[bytes]:
            with log.open("wb") as out:
                return subprocess.Popen(
                    [
                        str(server_bin),
                        "--no-defaults",
                        *as_root,
                        f"--datadir={data}",
                        f"--socket={sock}",
                        f"--port={port}",
                        "--bind-address=127.0.0.1",
                        f"--pid-file={base / 'mysqld.pid'}",
                        f"--log-error={log}",
                        "--skip-name-resolve",
                        "--innodb-buffer-pool-size=32M",
                        "--innodb-flush-log-at-trx-commit=0",
                        *_MARIADB_IO,
                        f"--tmpdir={tmp}",
                        "--max-connections=50",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )

        def admin() -> Any:
            # root@localhost over the private socket: no password, no network exposure
            return pymysql.connect(unix_socket=str(sock), user="root", connect_timeout=2)

        for attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            process = start(port)
            try:
                _wait_until_ready(admin, process, log, "MariaDB")
                break
            except RuntimeError:
                if attempt + 1 == PORT_ATTEMPTS or not _lost_the_port(process, log):
                    raise
        server = DatabaseServer("mariadb", port, secrets.token_urlsafe(18), admin, log=log)
        connection = admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {APP_DATABASE}")
                cursor.execute(
                    f"CREATE USER '{APP_USER}'@'%%' IDENTIFIED BY %s", (server.password,)
                )
                cursor.execute(f"GRANT ALL ON {APP_DATABASE}.* TO '{APP_USER}'@'%'")
                cursor.execute("SELECT VERSION()")
                server.version = str(cursor.fetchone()[0])  # type: ignore[index]
        finally:
            connection.close()
        yield server
    finally:
        if process is not None:
            _stop(process, signal.SIGTERM)  # MariaDB's normal shutdown
        shutil.rmtree(base, ignore_errors=True)


def reset_mariadb(server: DatabaseServer) -> None:
    server.execute(*(f"SET GLOBAL {name} = DEFAULT" for name in _MARIADB_IDLE_DEFAULTS))
    server.settle(_MARIADB_IDLE_DEFAULTS)


@pytest.fixture
def mariadb(mariadb_server: DatabaseServer) -> Iterator[DatabaseServer]:
    """The session's MariaDB, with default global timeouts before and after the test."""
    reset_mariadb(mariadb_server)
    yield mariadb_server
    reset_mariadb(mariadb_server)


def set_mariadb(server: DatabaseServer, **settings: str) -> None:
    """SET GLOBAL each variable (seconds); new sessions see it at once."""
    server.execute(*(f"SET GLOBAL {name} = {int(value)}" for name, value in settings.items()))
    server.settle(settings)


# ---------------------------------------------------------------------------------------------
# PgBouncer, in front of the session's PostgreSQL

PGBOUNCER_ADMIN = "cloudtimeouts_admin"
# PgBouncer's documented defaults (pgbouncer.org/config.html), restored around each test.
PGBOUNCER_DEFAULTS = {
    "client_idle_timeout": "0",
    "idle_transaction_timeout": "0",
    "server_idle_timeout": "600",
    "server_lifetime": "3600",
}


@dataclass
class PgBouncer:
    """A running PgBouncer: the application connects through `url()` as to PostgreSQL."""

    server: DatabaseServer  # the PostgreSQL behind it
    port: int
    admin_password: str = field(repr=False)
    log: Path = field(default_factory=Path)
    host: str = "127.0.0.1"
    version: str = ""

    def url(self, *, password: str | None = None) -> str:
        """The application's URL through PgBouncer (user app, database app)."""
        return self.server.url(port=self.port, password=password)

    def console(self) -> Any:
        """The admin console (database `pgbouncer`), as an admin_users member."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=PGBOUNCER_ADMIN,
            password=self.admin_password,
            dbname="pgbouncer",
            connect_timeout=2,
            autocommit=True,  # the console takes no BEGIN, and only the simple query protocol
        )

    def admin(self, *commands: str) -> None:
        with self.console() as connection:
            for command in commands:
                connection.execute(command)

    def config(self) -> dict[str, str]:
        with self.console() as connection:
            rows = connection.execute("SHOW CONFIG").fetchall()
        return {str(row[0]): str(row[1]) for row in rows}

    def set(self, **settings: str) -> None:
        """SET each setting on the console (seconds, "1.5" too); PgBouncer applies it at once."""
        self.admin(*(f"SET {name} = '{value}'" for name, value in settings.items()))
        seen = {name: self.config()[name] for name in settings}
        assert seen == settings, f"PgBouncer did not take {settings}: {seen}"


@pytest.fixture(scope="session")
def pgbouncer_server(postgres_server: DatabaseServer) -> Iterator[PgBouncer]:
    """Debian's PgBouncer on 127.0.0.1 in front of the session's PostgreSQL."""
    binary = pgbouncer_binary()
    if binary is None:
        _unavailable("PgBouncer (/usr/sbin/pgbouncer) not found")
    assert binary is not None
    run_as = _pg_run_as()  # PgBouncer refuses to run as root, like PostgreSQL
    base = Path(tempfile.mkdtemp(prefix="cloudtimeouts-pgbouncer-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        _chown_tree(base, run_as)
        admin_password = secrets.token_urlsafe(18)
        log = base / "pgbouncer.log"
        users = base / "userlist.txt"
        # Plain-text passwords: PgBouncer answers SCRAM with them and logs in to PostgreSQL
        # with SCRAM itself (pgbouncer.org/config.html, "Authentication file format").
        users.write_text(
            f'"{APP_USER}" "{postgres_server.password}"\n"{PGBOUNCER_ADMIN}" "{admin_password}"\n'
        )
        os.chmod(users, 0o600)
        for attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            ini = base / "pgbouncer.ini"
            ini.write_text(
                "\n".join(
                    [
                        "[databases]",
                        f"{APP_DATABASE} = host=127.0.0.1 port={postgres_server.port} "
                        f"dbname={APP_DATABASE}",
                        "[pgbouncer]",
                        "listen_addr = 127.0.0.1",
                        f"listen_port = {port}",
                        "unix_socket_dir =",
                        "auth_type = scram-sha-256",
                        f"auth_file = {users}",
                        f"admin_users = {PGBOUNCER_ADMIN}",
                        f"stats_users = {APP_USER}",
                        # Transaction pooling, as PgBouncer mostly runs in front of Django:
                        # between transactions a client holds no server connection, and only
                        # such a client is closed by client_idle_timeout (src/janitor.c,
                        # pool_client_maint, skips clients linked to a server: in session
                        # pooling it never fires after login).
                        "pool_mode = transaction",
                        "max_client_conn = 100",
                        "default_pool_size = 20",
                        *(f"{name} = {value}" for name, value in PGBOUNCER_DEFAULTS.items()),
                        "",
                    ]
                )
            )
            for path in (users, ini):
                _chown_tree(path, run_as)
            with log.open("wb") as out:  # PgBouncer logs to stderr when not a daemon
                process = subprocess.Popen(
                    [str(binary), str(ini)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=base,
                    **run_as,
                )
            bouncer = PgBouncer(postgres_server, port, admin_password, log=log)
            try:
                _wait_until_ready(bouncer.console, process, log, "PgBouncer")
                break
            except RuntimeError:
                if attempt + 1 == PORT_ATTEMPTS or not _lost_the_port(process, log):
                    raise
        with bouncer.console() as connection:
            bouncer.version = str(connection.execute("SHOW VERSION").fetchone()[0])  # type: ignore[index]
        yield bouncer
    finally:
        if process is not None:
            _stop(process, signal.SIGTERM)  # immediate shutdown (1.18; later: once clients go)
        shutil.rmtree(base, ignore_errors=True)


def reset_pgbouncer(bouncer: PgBouncer) -> None:
    """PgBouncer's default timeouts, and no server connection left from an earlier test."""
    bouncer.set(**PGBOUNCER_DEFAULTS)
    # KILL drops every client and server connection of the database, RESUME lets new ones in:
    # the next test's server sessions start with the server's settings of that moment.
    bouncer.admin(f"KILL {APP_DATABASE}", f"RESUME {APP_DATABASE}")


@pytest.fixture
def pgbouncer(postgres: DatabaseServer, pgbouncer_server: PgBouncer) -> Iterator[PgBouncer]:
    """PgBouncer with its default timeouts before and after the test (PostgreSQL reset too)."""
    reset_pgbouncer(pgbouncer_server)
    yield pgbouncer_server
    reset_pgbouncer(pgbouncer_server)


# ---------------------------------------------------------------------------------------------
# Redis, for the task queues that need a broker (RQ, django-rq)


def redis_binary() -> Path | None:
    """Debian's /usr/bin/redis-server, else one on PATH."""
    found = shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server",) if os.path.exists(path)), None
    )
    return Path(found) if found else None


@dataclass
class RedisServer:
    """A running Redis: no persistence, loopback only, no password (nothing else reaches it)."""

    port: int
    host: str = "127.0.0.1"
    log: Path = field(default_factory=Path)

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def client(self) -> Any:
        import redis

        return redis.Redis(host=self.host, port=self.port, socket_timeout=5)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Debian's redis-server on 127.0.0.1, on a free port, one per session (xdist worker)."""
    pytest.importorskip("redis", reason="redis-py is in the dev extra")
    binary = redis_binary()
    if binary is None:
        _unavailable("Redis (/usr/bin/redis-server) not found")
    assert binary is not None
    base = Path(tempfile.mkdtemp(prefix="cloudtimeouts-redis-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        log = base / "redis.log"
        for attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        str(binary),
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--dir",
                        str(base),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--daemonize",
                        "no",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=base,
                )
            server = RedisServer(port, log=log)
            try:
                _wait_until_ready(server.client, process, log, "Redis")
                break
            except RuntimeError:
                if attempt + 1 == PORT_ATTEMPTS or not _lost_the_port(process, log):
                    raise
        yield server
    finally:
        if process is not None:
            _stop(process, signal.SIGTERM)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def redis_db(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The session's Redis, emptied before and after the test."""
    redis_server.client().flushall()
    yield redis_server
    redis_server.client().flushall()
