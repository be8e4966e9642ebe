"""`cloudtimeouts demo`: the whole flow on the sandbox, as a user would type and see it.

Each step runs the real CLI in a child process against the emulators, with only the standard
credential and endpoint variables set; nothing in the tool knows it is a demo. Every step's exit
code is checked, and the emulators are torn down at the end, also on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

from rich.console import Console
from rich.text import Text

from cloudtimeouts.errors import CloudtimeoutsError, ProviderUnavailableError
from cloudtimeouts.sandbox.fleet import (
    GCP_PROJECT,
    GCP_UNRELATED_FLAGS,
    ORDERS_FIX,
    Sandbox,
    SandboxUnavailable,
)


class DemoFailed(CloudtimeoutsError):
    pass


# Step 6's logs (sandbox/incident/): the application's error and the Cloud SQL line (its
# Cloud Logging export, as `gcloud logging read --format=json` writes it) behind it, when
# orders-pg still had the 1-minute idle_in_transaction_session_timeout step 1 refuses.
INCIDENT = "sandbox/incident"
INCIDENT_LOGS = ("django.log", "cloudsql-postgres.json")


def open_sandbox(workdir: Path) -> Sandbox:
    """The emulators, or one actionable error when their packages are missing."""
    try:
        return Sandbox(workdir)
    except SandboxUnavailable as missing:
        raise ProviderUnavailableError(
            f"the sandbox needs a package that is not installed ({missing.package})",
            hint="pip install 'cloudtimeouts[sandbox]'",
        ) from None


def _require_sdks() -> None:
    """The demo's steps read the emulators with each cloud's SDK: missing, say so before
    anything starts (the steps would fail one by one, after "Starting the sandbox")."""
    for module, extra in _SDKS:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            raise ProviderUnavailableError(
                f"the demo needs a package that is not installed ({module}, of the {extra} extra)",
                hint="pip install 'cloudtimeouts[sandbox]'",
            ) from None


_SDKS = (("boto3", "aws"), ("google.auth", "gcp"), ("azure.identity", "azure"))


def run_demo(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="cloudtimeouts-demo-") as directory:
        workdir = Path(directory)
        started = time.monotonic()
        emulators = open_sandbox(workdir)  # a missing package is said before anything starts
        _require_sdks()
        console.print(
            Text(
                "Starting the sandbox: AWS RDS (moto + a realistic RDS layer), Cloud "
                "SQL and Azure emulators on 127.0.0.1 …",
                style="bold",
            )
        )
        with emulators as sandbox:
            console.print(
                f"  AWS   {sandbox.aws.url}   GCP   {sandbox.gcp.base_url}   "
                f"Azure {sandbox.azure.base_url}"
            )
            console.print(
                f"  ready in {time.monotonic() - started:.1f} s; a fleet of 3 "
                "PostgreSQL and 2 MySQL targets, one with an unsafe setting\n"
            )
            orders, billing = sandbox.write_profiles()
            _steps(console, sandbox, orders, billing)
        console.print(
            Text("Sandbox stopped. Nothing outside 127.0.0.1 was contacted.", style="bold")
        )


def _steps(console: Console, sandbox: Sandbox, orders: Path, billing: Path) -> None:
    run = _runner(console, sandbox)
    profiles = [orders.name, billing.name]

    _say(console, "1. Plan both profiles. The guard refuses a value set on a target today.")
    run(["plan", *profiles], expect=3)

    _say(console, f"2. Fix the profile: manage that timeout too ({orders.name}).")
    before, after = ORDERS_FIX
    orders.write_text(orders.read_text().replace(before, after))
    console.print(Text("   + idle_in_transaction_session_timeout: 10min", style="green"))
    run(["plan", *profiles], expect=0)

    _say(console, "3. Apply (--yes because this demo has no one to ask).")
    run(["apply", *profiles, "--yes"], expect=0)

    _say(console, "4. Plan again: nothing left to change.")
    run(["plan", *profiles, "--detailed-exitcode"], expect=0)

    kept = {
        name: sandbox.gcp.flags(GCP_PROJECT, "orders-pg").get(name) for name in GCP_UNRELATED_FLAGS
    }
    if kept != GCP_UNRELATED_FLAGS:
        raise DemoFailed(f"flags the profile does not name changed on Cloud SQL: {kept}")
    console.print(
        "   Flags the profile does not name are still on the Cloud SQL instance: "
        + ", ".join(f"{name}={value}" for name, value in kept.items())
        + "\n"  # a blank line, as after every step, before step 5's heading
    )

    _say(console, "5. The Django settings that go with the orders profile.")
    run(["django-settings", orders.name], expect=0)

    _say(
        console,
        "6. Last night's incident, replayed: Django's log and Cloud SQL's, exported. diagnose "
        "names the timeout that closed the connection.",
    )
    for name in INCIDENT_LOGS:
        (sandbox.workdir / name).write_bytes((files(__package__) / INCIDENT / name).read_bytes())
    run(["diagnose", orders.name, *INCIDENT_LOGS], expect=3)


def _runner(console: Console, sandbox: Sandbox) -> Callable[..., None]:
    env = {**os.environ, **sandbox.env()}
    env.pop("AWS_PROFILE", None)

    def run(arguments: list[str], expect: int) -> None:
        console.print(Text(f"$ cloudtimeouts {' '.join(arguments)}", style="bold cyan"))
        sys.stdout.flush()
        # Each step runs in a session of its own, so a Ctrl-C at the terminal (SIGINT to the
        # whole foreground process group) reaches only the demo: a step still starting its
        # interpreter would print the interpreter's own traceback for it. The demo then stops
        # the step with SIGTERM, which the CLI treats as an interrupt (and which ends a step
        # still starting up without a word), and says "Interrupted." once.
        step = subprocess.Popen(
            [sys.executable, "-m", "cloudtimeouts", *arguments],
            cwd=sandbox.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            returncode = step.wait()
        except BaseException:
            step.terminate()
            step.wait()
            raise
        console.print(Text(f"(exit {returncode})\n", style="dim"))
        if returncode != expect:
            raise DemoFailed(
                f"the demo expected exit {expect} from cloudtimeouts {' '.join(arguments)}, "
                f"got {returncode}"
            )

    return run


def _say(console: Console, text: str) -> None:
    console.print(Text(text, style="bold"))


def how_to_use(directory: Path, env_file: Path, orders: Path, billing: Path) -> str:
    """What `cloudtimeouts sandbox` prints: how to use it, undo its variables, and stop it."""
    return (
        f"Emulators running. In another shell:\n\n  source {env_file}\n"
        f"  cloudtimeouts plan {orders} {billing}\n\n"
        "The variables are the providers' standard ones (AWS_ENDPOINT_URL_RDS, "
        "GOOGLE_APPLICATION_CREDENTIALS, CLOUDTIMEOUTS_GCP_ENDPOINT, AZURE_*, "
        "CLOUDTIMEOUTS_AZURE_ENDPOINT, SSL_CERT_FILE, REQUESTS_CA_BUNDLE…); the aws CLI honours "
        "the AWS ones. The credentials in it are throwaway keys of these emulators. "
        f"`source {directory / 'sandbox.off'}` unsets them all. Stop the emulators with Ctrl-C, "
        f"`kill $(cat {directory / PID_FILE})` or `cloudtimeouts sandbox --stop --dir {directory}`."
    )


# --- a running sandbox's pid file, and stopping it from another shell ---------------------------

PID_FILE = "sandbox.pid"


@contextlib.contextmanager
def pid_file(directory: Path) -> Iterator[Path]:
    """`DIR/sandbox.pid` while the sandbox runs, so that `sandbox --stop --dir DIR` finds it.

    A sandbox started with `&` cannot be stopped with Ctrl-C (a non-interactive shell starts a
    background job with SIGINT ignored), and `kill %1` needs the shell that started it. The
    file names the process; it is removed once the emulators have stopped, which is what
    `--stop` waits for. A second sandbox in the same directory is refused: it would overwrite
    the first one's sandbox.env.
    """
    path = directory / PID_FILE
    running = _running(path)
    if running is not None:
        raise CloudtimeoutsError(
            f"a sandbox is already running in {directory} (pid {running})",
            hint=f"cloudtimeouts sandbox --stop --dir {directory}",
        )
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n")
    try:
        yield path
    finally:
        if _read_pid(path) == os.getpid():
            path.unlink(missing_ok=True)


def stop_sandbox(directory: Path, timeout: float = 30.0) -> int:
    """SIGTERM to the sandbox running in `directory`, then wait until it has stopped."""
    path = directory / PID_FILE
    pid = _running(path)
    if pid is None:
        stale = path.exists()
        path.unlink(missing_ok=True)
        raise CloudtimeoutsError(
            f"no sandbox is running in {directory}"
            + (f" ({path} named a process that has ended; removed)" if stale else f" (no {path})")
        )
    try:
        os.kill(pid, signal.SIGTERM)  # the sandbox treats it as Ctrl-C: emulators down, exit 130
    except PermissionError:
        raise CloudtimeoutsError(
            f"the sandbox in {directory} (pid {pid}) is not yours to stop"
        ) from None
    deadline = time.monotonic() + timeout
    while path.exists() and _alive(pid):  # the file goes once the emulators are down
        if time.monotonic() > deadline:
            raise CloudtimeoutsError(
                f"the sandbox (pid {pid}) has not stopped after {timeout:.0f} s",
                hint=f"kill -KILL {pid}",
            )
        time.sleep(0.1)
    return pid


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _running(path: Path) -> int | None:
    """The pid in the file, if that process runs and is a cloudtimeouts sandbox (a pid may be
    reused by an unrelated process after a crash: /proc says what it is, where there is one)."""
    pid = _read_pid(path)
    if pid is None or not _alive(pid):
        return None
    command = Path(f"/proc/{pid}/cmdline")
    if command.parent.parent.joinpath("self").exists():
        try:
            words = command.read_bytes().split(b"\0")
        except OSError:
            return None
        if not any(b"cloudtimeouts" in word for word in words) or b"sandbox" not in words:
            return None
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to stop
    return True
