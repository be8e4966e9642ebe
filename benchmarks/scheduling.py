"""How the fleet engine's scheduling cost grows with the targets of one scope (issue #17, item 7).

Run (a few seconds on two cores):

    .venv/bin/python benchmarks/scheduling.py

`concurrency.run_bounded` with work that returns at once, so that what is timed is the engine
alone: N items of one scope (one account and region: the case that was quadratic, each start
scanning every waiting item), at most 16 at once per scope and 64 in all, as `make_plan` runs a
fleet. It prints the seconds per run and per 1 000 items; linear scheduling keeps the second
figure flat as N grows.

`main(argv)` returns the figures (tests/test_benchmarks.py runs it with small N).
"""

from __future__ import annotations

import argparse
import time

from cloudtimeouts.concurrency import Cancellation, run_bounded


def main(argv: list[str] | None = None) -> dict[int, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    arguments = parser.parse_args(argv)
    figures: dict[int, float] = {}
    print(f"{'items':>8} {'seconds':>9} {'s per 1000':>11}")
    for size in arguments.sizes:
        started = time.perf_counter()
        results = run_bounded(
            lambda item: item, list(range(size)), concurrency=64, per_scope=16,
            scope=lambda item: "one scope", timeout=60, cancel=Cancellation(),
            on_timeout=lambda item: -1, on_cancel=lambda item: -2, on_error=lambda item, e: -3,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        assert results == list(range(size))
        figures[size] = seconds
        print(f"{size:>8} {seconds:>9.2f} {1000 * seconds / size:>11.3f}")
    return figures


if __name__ == "__main__":
    main()
