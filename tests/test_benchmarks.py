"""benchmarks/plan_fleet.py still runs: tiny fleets on aws, gcp and azure, no latency (seconds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "plan_fleet.py"
STARTUP = BENCHMARK.with_name("startup.py")


def _load(path: Path = BENCHMARK) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_fleet_benchmark_runs_on_aws_gcp_and_azure(capsys: pytest.CaptureFixture[str]) -> None:
    tiny = "--sizes 3 --latency 0 --repeat 1 --gcp-projects 2 --azure-groups 2"
    figures = _load().main(tiny.split())
    printed = capsys.readouterr().out
    by_cloud = {(f["cloud"], f["targets"]): f for f in figures}
    assert set(by_cloud) == {("aws", 3), ("gcp", 3), ("azure", 3)}
    for figure in figures:
        assert figure["errors"] == 0, figure
        assert figure["plan_s"] > 0 and figure["bound_s"] > 0 and figure["peak_rss_mib"] > 0
        assert figure["calls_per_target"] > 0
        # the bound is a client making the very calls the plan made
        assert figure["bound_calls"] == figure["calls"], figure
        assert f"{figure['cloud']:<6}{figure['targets']:>8}" in printed
    aws = by_cloud["aws", 3]
    assert aws["loop_calls_per_target"] == 3  # the group, then its 2 pages of parameters
    assert aws["calls"]["DescribeDBParameterGroups"] == 1  # one listing for the three groups
    assert by_cloud["azure", 3]["calls"]["token"] == 1  # one sign-in for the three servers
    assert "plan/bound" in printed and "speed-up" in printed and "peak RSS" in printed


def test_the_startup_benchmark_runs_each_command(capsys: pytest.CaptureFixture[str]) -> None:
    figures = _load(STARTUP).main(["--runs", "1"])
    printed = capsys.readouterr().out
    assert [f["command"] for f in figures][:3] == [
        "import typer, pydantic",
        "cloudtimeouts --help",
        "cloudtimeouts validate",
    ]
    assert figures[0]["ratio"] == 1 and all(f["median_s"] > 0 for f in figures)
    assert "median s" in printed and "from bytecode" in printed


def test_the_scheduling_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/scheduling.py still runs (small sizes: the figures are the script's, not a
    timed assertion)."""
    figures = _load(BENCHMARK.parent / "scheduling.py").main(["--sizes", "50", "200"])
    assert set(figures) == {50, 200}
    assert "s per 1000" in capsys.readouterr().out


def test_the_diagnose_read_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/diagnose_read.py still runs on a few MiB: every evidence line written is
    read back, each format's in turn, and the figures are printed (not a timed assertion)."""
    figures = _load(BENCHMARK.parent / "diagnose_read.py").main(["--size", "2MiB", "--every", "50"])
    printed = capsys.readouterr().out
    assert figures["read_lines"] == figures["lines"] > 0
    assert figures["read_evidence"] == figures["evidence"] > 0
    assert figures["recognised"] == figures["evidence"]
    assert len(figures["by_format"]) == 11, figures["by_format"]
    assert figures["read_s"] > 0 and figures["peak_rss_mb"] > 0
    assert "lines/s" in printed and "peak RSS" in printed and "goal:" in printed
