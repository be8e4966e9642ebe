"""Two units of work PAUSE seconds apart, run by a real task queue in this process.

`python -m proofsite.workers KIND PAUSE` prints `{"first": ..., "second": ...}`: what the
job (proofsite.jobs.session) answered each time, a session id or the error its query met. Each
KIND is one framework, run the way its worker runs jobs, with or without the glue:

- rq-simple, rq-simple-glue: rq.SimpleWorker / ConnectionClosingSimpleWorker on Redis
  (REDIS_URL), one worker for both jobs and a job between them that sleeps PAUSE, in this
  process.
- rq-fork, rq-fork-glue: rq.Worker / ConnectionClosingWorker (a work horse forked per job),
  after a query in the worker process itself (startup code holding a connection).
- celery, celery-without-fixup, celery-reuse-max: a Celery worker
  (celery.contrib.testing.worker.start_worker, memory broker, solo pool, in a thread of this
  process), with and without Celery's Django fixup, and with CELERY_DB_REUSE_MAX = 10.
- dramatiq, dramatiq-glue, dramatiq-django: a dramatiq Worker on the StubBroker, one worker
  thread; without Django middleware, with CloseConnections, with django_dramatiq's
  DbConnectionsMiddleware.
- huey, huey-glue, huey-db-task: MemoryHuey, each task dequeued and executed as the consumer's
  worker does (huey/consumer.py, Worker.loop -> Huey.execute); a plain task, a plain task with
  install(huey), djhuey's db_task.
- django-q2: django_q's worker loop (django_q/worker.py, worker) fed two tasks.
"""

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import django

django.setup()

from proofsite.jobs import session  # noqa: E402

JOB = "proofsite.jobs.session"
PAUSE = "proofsite.jobs.pause"


def twice(run: Callable[[], dict[str, Any]], pause: float) -> dict[str, Any]:
    first = run()
    time.sleep(pause)
    return {"first": first, "second": run()}


def rq(kind: str, pause: float) -> dict[str, Any]:
    from redis import Redis
    from rq import Queue, SimpleWorker, Worker

    from cloudtimeouts.contrib.django.rq import (
        ConnectionClosingSimpleWorker,
        ConnectionClosingWorker,
    )

    classes: dict[str, type[Worker] | type[SimpleWorker]] = {
        "rq-simple": SimpleWorker,
        "rq-simple-glue": ConnectionClosingSimpleWorker,
        "rq-fork": Worker,
        "rq-fork-glue": ConnectionClosingWorker,
    }
    redis = Redis.from_url(os.environ["REDIS_URL"])
    queue = Queue(f"proof-{uuid.uuid4().hex}", connection=redis)
    if kind.startswith("rq-fork"):
        session()  # the worker process holds a connection before it forks its first horse

    # Three jobs queued at once, run by one worker: the second uses no connection for PAUSE
    # seconds (the worker's connection idles meanwhile, in the worker or in the parent of the
    # horses), the third queries again. No thread of ours: a fork while one holds a lock
    # deadlocks the horse.
    jobs = [queue.enqueue(JOB), queue.enqueue(PAUSE, pause), queue.enqueue(JOB)]
    classes[kind]([queue], connection=redis).work(burst=True, max_jobs=len(jobs))
    first, _, second = (job.return_value(refresh=True) for job in jobs)
    return {"first": first, "second": second}


def celery(kind: str, pause: float) -> dict[str, Any]:
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    fixups = [] if kind == "celery-without-fixup" else None  # None: Celery's own, with Django's
    app = Celery("proof", broker="memory://", backend="cache+memory://", fixups=fixups)
    app.conf.broker_transport_options = {"polling_interval": 0.05}  # a prompt stop
    if kind == "celery-reuse-max":  # the fixup then closes every 2 * N calls only
        app.conf.CELERY_DB_REUSE_MAX = 10
    task = app.task(name="proof.session")(session)
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False):
        return twice(lambda: dict(task.delay().get(timeout=20)), pause)


def dramatiq(kind: str, pause: float) -> dict[str, Any]:
    import dramatiq as dq
    from dramatiq.brokers.stub import StubBroker

    broker = StubBroker()
    if kind == "dramatiq-glue":
        from cloudtimeouts.contrib.django.dramatiq import CloseConnections

        broker.add_middleware(CloseConnections())
    elif kind == "dramatiq-django":
        from django_dramatiq.middleware import DbConnectionsMiddleware

        broker.add_middleware(DbConnectionsMiddleware())
    answers: list[dict[str, Any]] = []
    actor = dq.actor(lambda: answers.append(session()), actor_name="proof", broker=broker)
    worker = dq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()

    def run() -> dict[str, Any]:
        actor.send()
        broker.join(actor.queue_name, fail_fast=True)
        worker.join()
        return answers.pop()

    try:
        return twice(run, pause)
    finally:
        worker.stop()


def huey(kind: str, pause: float) -> dict[str, Any]:
    if kind == "huey-db-task":
        from huey.contrib.djhuey import HUEY as queue
        from huey.contrib.djhuey import db_task

        task = db_task()(session)
    else:
        from huey import MemoryHuey

        queue = MemoryHuey("proof", immediate=False)
        task = queue.task()(session)
        if kind == "huey-glue":
            from cloudtimeouts.contrib.django.huey import install

            install(queue)

    def run() -> dict[str, Any]:
        result = task()
        queue.execute(queue.dequeue())  # what the consumer's worker does with each task
        return dict(result.get())

    return twice(run, pause)


def django_q2(kind: str, pause: float) -> dict[str, Any]:
    from multiprocessing import Queue, Value

    from django_q.worker import worker

    tasks: Any = Queue()
    results: Any = Queue()

    def task(name: str) -> dict[str, Any]:
        return {"id": uuid.uuid4().hex, "name": name, "func": JOB, "args": (), "kwargs": {}}

    def feed() -> None:  # the second task comes PAUSE after the first
        tasks.put(task("first"))
        time.sleep(pause)
        tasks.put(task("second"))
        tasks.put("STOP")

    feeder = threading.Thread(target=feed)
    feeder.start()
    worker(tasks, results, Value("f", -1))  # in this thread, until STOP
    feeder.join()
    answers = [results.get(timeout=10) for _ in range(2)]
    done = {answer["name"]: answer["result"] for answer in answers}
    return {"first": done["first"], "second": done["second"]}


RUNNERS: dict[str, Callable[[str, float], dict[str, Any]]] = {
    "rq": rq,
    "celery": celery,
    "dramatiq": dramatiq,
    "huey": huey,
    "django-q2": django_q2,
}


def main() -> None:
    kind, pause = sys.argv[1], float(sys.argv[2])
    runner = RUNNERS[next(prefix for prefix in RUNNERS if kind.startswith(prefix))]
    print(json.dumps(runner(kind, pause)))


if __name__ == "__main__":
    main()
