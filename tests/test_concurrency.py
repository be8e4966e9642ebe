"""run_bounded: deadlines, a stop request and escaping exceptions, each per item."""

from __future__ import annotations

import threading
import time

from cloudtimeouts.concurrency import Cancellation, run_bounded


def run(work, items, *, timeout=5.0, cancel=None, concurrency=4):  # type: ignore[no-untyped-def]
    return run_bounded(
        work,
        items,
        concurrency=concurrency,
        timeout=timeout,
        cancel=cancel or Cancellation(),
        on_timeout=lambda item: ("timeout", item),
        on_cancel=lambda item: ("cancelled", item),
        on_error=lambda item, error: ("error", f"{item}: {error}"),
    )


def test_results_keep_the_order_of_the_items() -> None:
    assert run(lambda n: ("ok", n * n), [3, 1, 2]) == [("ok", 9), ("ok", 1), ("ok", 4)]


def test_an_item_past_its_deadline_is_reported_and_frees_its_slot() -> None:
    hang = threading.Event()
    started = time.monotonic()

    def work(n: int) -> tuple[str, int]:
        if n == 0:
            hang.wait()  # a black-holed endpoint
        return ("ok", n)

    results = run(work, [0, 1, 2], timeout=0.5, concurrency=1)
    assert results == [("timeout", 0), ("ok", 1), ("ok", 2)]
    assert time.monotonic() - started < 3
    hang.set()


def test_a_stop_request_keeps_waiting_items_from_starting() -> None:
    cancel = Cancellation()

    def work(n: int) -> tuple[str, int]:
        cancel.request()  # as if Ctrl-C came while the first item ran
        return ("ok", n)

    assert run(work, [1, 2, 3], cancel=cancel, concurrency=1) == [
        ("ok", 1),
        ("cancelled", 2),
        ("cancelled", 3),
    ]


def test_a_second_stop_request_stops_waiting_for_running_items() -> None:
    cancel = Cancellation()
    hang = threading.Event()

    def work(n: int) -> tuple[str, int]:
        cancel.request()
        cancel.request()
        hang.wait()
        return ("ok", n)

    assert run(work, [1], cancel=cancel, timeout=30) == [("timeout", 1)]
    hang.set()


def test_an_exception_is_that_items_result_only() -> None:
    def work(n: int) -> tuple[str, int]:
        if n == 2:
            raise ConnectionResetError("reset by peer")
        return ("ok", n)

    assert run(work, [1, 2, 3]) == [("ok", 1), ("error", "2: reset by peer"), ("ok", 3)]


def test_a_scope_never_runs_more_than_its_share() -> None:
    running: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}
    lock = threading.Lock()

    def work(item: str) -> tuple[str, str]:
        with lock:
            running[item[0]] += 1
            peak[item[0]] = max(peak[item[0]], running[item[0]])
        time.sleep(0.05)
        with lock:
            running[item[0]] -= 1
        return ("ok", item)

    items = [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(6)]
    results = run_bounded(
        work,
        items,
        concurrency=8,
        timeout=5,
        cancel=Cancellation(),
        on_timeout=lambda item: ("timeout", item),
        on_cancel=lambda item: ("cancelled", item),
        on_error=lambda item, error: ("error", item),
        scope=lambda item: item[0],
        per_scope=2,
    )
    assert results == [("ok", item) for item in items]
    assert peak == {"a": 2, "b": 2}


def test_threads_are_reused_from_item_to_item_and_end_with_the_run() -> None:
    def workers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("target-worker-")}

    before = workers()
    ran_on: set[str] = set()

    def work(n: int) -> tuple[str, int]:
        ran_on.add(threading.current_thread().name)
        return ("ok", n)

    results = run(work, list(range(200)), concurrency=4)
    assert results == [("ok", n) for n in range(200)]
    assert 1 <= len(ran_on) <= 4  # 200 items on at most `concurrency` threads, not 200
    for thread in workers() - before:
        thread.join(2)  # each was told to end when the run returned
    assert not workers() - before


def test_a_worker_left_behind_ends_when_its_call_returns() -> None:
    hang = threading.Event()
    held: list[threading.Thread] = []

    def work(n: int) -> tuple[str, int]:
        if n == 0:
            held.append(threading.current_thread())
            hang.wait()  # a black-holed endpoint
        return ("ok", n)

    assert run(work, [0, 1], timeout=0.3, concurrency=1) == [("timeout", 0), ("ok", 1)]
    (stuck,) = held
    assert stuck.is_alive()  # left behind: the run did not wait for it
    hang.set()
    stuck.join(2)
    assert not stuck.is_alive()
