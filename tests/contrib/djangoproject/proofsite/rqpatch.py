"""A bounded wait for RQ's pubsub thread when a worker stops (imported by settings with Redis).

rq 3.0 stops a worker's pubsub thread with `PubSubWorkerThread.stop()` and then
`join(timeout=1)` (rq/worker/base.py, `BaseWorker.unsubscribe`), written for redis-py versions
whose stop() only cleared a flag. redis-py 8's stop() also joins the thread, without a timeout
unless given one (redis/client.py, `PubSubWorkerThread.stop`); a thread that has just read the
unsubscribe reply then waits up to rq's `sleep_time=60` for a subscription (`PubSub.get_message`),
so a worker that stops can hang for 60 s. Nothing to do with databases: bounded here so that the
proofs measure Django's connections, not that wait.
"""

from typing import Any

from redis.client import PubSubWorkerThread

_stop = PubSubWorkerThread.stop


def _bounded_stop(self: Any, timeout: float | None = 1.0) -> None:
    _stop(self, timeout)


PubSubWorkerThread.stop = _bounded_stop  # type: ignore[method-assign]
