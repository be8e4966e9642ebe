"""`cloudtimeouts demo`: the whole flow on the sandbox, as a user would type and see it.

Each step runs the real CLI in a child process against the emulators, with only the standard
credential and endpoint variables set; nothing in the tool knows it is a demo. Every step's exit
code is checked, and the emulators are torn down at the end, also on Ctrl-C.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def run_demo(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="cloudtimeouts-demo-") as directory:
        workdir = Path(directory)
        started = time.monotonic()
        console.print(
            Text(
                "Starting the sandbox: AWS RDS (moto + a realistic RDS layer), Cloud "
                "SQL and Azure emulators on 127.0.0.1 …",
                style="bold",
            )
        )
        with open_sandbox(workdir) as sandbox:
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
