"""Running the proof project (tests/contrib/djangoproject) in a fresh interpreter.

Each run is a subprocess: Django's settings are read once per process, from the environment
(see proofsite/settings.py for the variables).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent / "djangoproject"


def run_django(
    database_url: str, *args: str, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the proof project (manage.py or -m module) with these settings (and this stdin)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proofsite.settings",
        "DATABASE_URL": database_url,
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT,
        env=environment,
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_json(database_url: str, *args: str, **env: str) -> dict[str, Any]:
    """A proofsite module that prints one JSON object."""
    done = run_django(database_url, *args, **env)
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout)
    return outcome


def run_many(runs: dict[str, tuple[str, tuple[str, ...], dict[str, str]]]) -> dict[str, Any]:
    """Several proofsite runs at once (each mostly sleeps through its pause): name -> JSON.

    Each run is (database URL, arguments, environment), as for run_django; its JSON is the last
    line of its output (RQ's workers log to stdout before it).
    """
    from concurrent.futures import ThreadPoolExecutor

    def run(url: str, args: tuple[str, ...], env: dict[str, str]) -> Any:
        done = run_django(url, *args, **env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(done.stdout.splitlines()[-1])

    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {name: pool.submit(run, *parts) for name, parts in runs.items()}
        return {name: future.result() for name, future in futures.items()}
