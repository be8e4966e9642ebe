"""Run one piece of work per target on bounded threads, with a deadline each and an honest stop.

Why not `ThreadPoolExecutor`: its workers are joined at interpreter exit, so one call stuck on a
black-holed endpoint would hold the whole process; and its `map` blocks the main thread in a way
that defers Ctrl-C. Here items run on daemon worker threads, the main thread waits in short slices
(so signal handlers run at once), an item past its deadline is reported by `on_timeout` and left
behind (its worker with it: a new one takes its slot), and a stop request keeps items that have
not started from starting. Workers are reused from item to item: starting a thread costs
milliseconds when the GIL is contended, and one thread per target made a 500-target fleet pay
that 500 times.
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Targets read or written at once per account and region / project / subscription: enough to
# hide API latency on a fleet, few enough that one run leaves most of an account's API rate to
# others (and throttling is backed off by each SDK's retries). All scopes together: MAX_THREADS.
# Shared by reading (`planning`) and writing (`applying`), the library's defaults and the CLI's.
MAX_CONCURRENT_TARGETS = 16
MAX_THREADS = 64
DEFAULT_TIMEOUT_S = 60.0  # no target waits longer than this on an unresponsive endpoint

_SLICE_S = 0.1


@dataclass
class Cancellation:
    """Set by a signal handler: the first request stops new work; a second one stops waiting."""

    requested: threading.Event = field(default_factory=threading.Event)
    forced: threading.Event = field(default_factory=threading.Event)

    def request(self) -> None:
        if self.requested.is_set():
            self.forced.set()
        self.requested.set()


def run_bounded(
    work: Callable[[T], R],
    items: Sequence[T],
    *,
    concurrency: int,
    timeout: float,
    cancel: Cancellation,
    on_timeout: Callable[[T], R],
    on_cancel: Callable[[T], R],
    on_error: Callable[[T, BaseException], R],
    on_result: Callable[[R], None] | None = None,
    scope: Callable[[T], str] = lambda item: "",
    per_scope: int | None = None,
) -> list[R]:
    """`work(item)` for each item, at most `concurrency` at once; results in the items' order.

    With `scope`, at most `per_scope` items of one scope run at once (one cloud account and
    region, project or subscription: its API rate limit is what one run must not exhaust).

    An item that has not finished `timeout` seconds after it started gets `on_timeout(item)`; one
    that has not started when a stop is requested gets `on_cancel(item)`; an item still running
    when a second stop is requested gets `on_timeout(item)` too. An exception escaping `work`
    becomes `on_error(item, exception)`, so one item can never end the others. `on_result` sees
    each result as it comes, on the calling thread (for a progress bar).
    """
    results: dict[int, R] = {}
    started: dict[int, float] = {}  # running items and when they started
    finished: queue.Queue[tuple[int, R]] = queue.Queue()
    waiting = _Waiting([scope(item) for item in items], per_scope or concurrency)

    def run(index: int) -> None:
        try:
            result = work(items[index])
        except BaseException as error:
            try:
                result = on_error(items[index], error)
            except BaseException:  # nothing may escape a worker thread
                return  # its deadline reports it
        finished.put((index, result))

    workers = _Workers(run)

    def settle(index: int, result: R) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    def done(index: int) -> None:
        del started[index]
        waiting.release(index)

    while len(results) < len(items):
        if cancel.requested.is_set():
            for index in waiting.drain():
                settle(index, on_cancel(items[index]))
        while len(started) < max(1, concurrency):
            index = waiting.take()
            if index is None:
                break  # nothing waits, or every waiting item's scope is at its limit
            started[index] = time.monotonic()
            workers.submit(index)
        try:
            index, result = finished.get(timeout=_SLICE_S)
            if index in started:  # an answer after its deadline was already reported: dropped
                done(index)
                settle(index, result)
        except queue.Empty:
            pass
        now = time.monotonic()
        for index, at in list(started.items()):
            if now - at > timeout or cancel.forced.is_set():
                done(index)  # left behind on its daemon thread; its slot is free again
                settle(index, on_timeout(items[index]))
    workers.close()
    return [results[index] for index in range(len(items))]


class _Workers:
    """Daemon threads that run submitted items one after another. An item goes to an idle worker
    when there is one, else to a new worker: a worker held by an item left behind at its deadline
    is not idle, so its slot gets a new thread and the run never waits for it."""

    def __init__(self, run: Callable[[int], None]) -> None:
        self._run = run
        self._tasks: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # workers waiting for a task, less the tasks already promised to them
        self._count = 0

    def submit(self, index: int) -> None:
        with self._lock:
            spawn = self._idle == 0
            if spawn:
                self._count += 1
            else:
                self._idle -= 1
        self._tasks.put(index)
        if spawn:
            name = f"target-worker-{self._count}"
            threading.Thread(target=self._loop, name=name, daemon=True).start()

    def close(self) -> None:
        """Every worker ends when it is next idle (one left behind, when its call returns)."""
        for _ in range(self._count):
            self._tasks.put(None)

    def _loop(self) -> None:
        while (index := self._tasks.get()) is not None:
            self._run(index)
            with self._lock:
                self._idle += 1


class _Waiting:
    """The items not started yet, by scope, each started in the items' order among the scopes
    with room: a heap of each eligible scope's first waiting item, so that taking the next item
    and freeing a slot cost O(log scopes), whatever the number of items (a scan of every waiting
    item per start made a fleet's scheduling quadratic)."""

    def __init__(self, scopes: Sequence[str], limit: int) -> None:
        self._scopes = scopes
        self._limit = max(1, limit)
        self._queues: dict[str, deque[int]] = {}
        for index, name in enumerate(scopes):
            self._queues.setdefault(name, deque()).append(index)
        self._busy: Counter[str] = Counter()
        self._heap = [(queue_[0], name) for name, queue_ in self._queues.items()]
        heapq.heapify(self._heap)
        self._queued = set(self._queues)  # scopes in the heap: at most once each

    def take(self) -> int | None:
        if not self._heap:
            return None
        _, name = heapq.heappop(self._heap)
        self._queued.discard(name)
        index = self._queues[name].popleft()
        self._busy[name] += 1
        self._offer(name)
        return index

    def release(self, index: int) -> None:
        name = self._scopes[index]
        self._busy[name] -= 1
        self._offer(name)

    def drain(self) -> list[int]:
        """Every item not started, in the items' order; none will be."""
        left = sorted(index for queue_ in self._queues.values() for index in queue_)
        self._queues = {name: deque() for name in self._queues}
        self._heap, self._queued = [], set()
        return left

    def _offer(self, name: str) -> None:
        waiting = self._queues[name]
        if waiting and self._busy[name] < self._limit and name not in self._queued:
            heapq.heappush(self._heap, (waiting[0], name))
            self._queued.add(name)
