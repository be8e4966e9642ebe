"""benchmarks/terraform_plan.py still runs: a tiny plan, every judged kind, exit 0."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "terraform_plan.py"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("terraform_plan", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_terraform_plan_benchmark_runs() -> None:
    figures = _load().main(
        ["--resources", "40", "--judged", "9", "--attributes", "3", "--repeat", "1"]
    )
    assert figures["exit_code"] == 0
    assert figures["resources"] == 40 and figures["seconds"] > 0 and figures["peak_mib"] > 0
