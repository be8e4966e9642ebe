"""The shared loopback server: recording, and each injected fault as a client sees it."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator

import pytest

from cloudtimeouts.sandbox.loopback import Fault, LoopbackServer, Request, Response


class Counter:
    """A tiny app whose POSTs change state, so 'processed or not' is observable."""

    def __init__(self) -> None:
        self.value = 0

    def operation(self, request: Request) -> str:
        return f"{request.method} {request.path}"

    def handle(self, request: Request) -> Response:
        if request.method == "POST":
            self.value += 1
        return Response(200, json.dumps({"value": self.value}).encode())

    def fault_response(self, fault: Fault, request: Request) -> Response:
        status = 429 if fault is Fault.THROTTLE else 503
        return Response(status, b'{"error": "injected"}', {"Retry-After": "0"})


def _post(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("POST", "/count", body=b"{}")
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture
def served() -> Iterator[tuple[Counter, LoopbackServer]]:
    app = Counter()
    with LoopbackServer(app) as server:
        yield app, server


def test_records_requests_with_their_operation(served: tuple[Counter, LoopbackServer]) -> None:
    _app, server = served
    assert _post(server.url) == (200, b'{"value": 1}')
    (request,) = server.requests
    assert (request.operation, request.body, request.header("content-length")) == (
        "POST /count",
        b"{}",
        "2",
    )
    assert server.calls("POST /count") == 1


@pytest.mark.parametrize(
    ("fault", "status", "processed"),
    [
        (Fault.THROTTLE, 429, 0),
        (Fault.SERVER_ERROR, 503, 0),
        (Fault.LOST_RESPONSE, 503, 1),  # reached the server: state changed, answer lost
    ],
)
def test_error_faults_answer_like_the_provider(
    served: tuple[Counter, LoopbackServer], fault: Fault, status: int, processed: int
) -> None:
    app, server = served
    server.faults.add(fault, operation="POST /count", nth=1)
    assert _post(server.url)[0] == status
    assert app.value == processed
    assert _post(server.url)[0] == 200  # nth=1 fires once
    assert server.faults.fired == [("POST /count", fault)]


def test_malformed_body_after_processing(served: tuple[Counter, LoopbackServer]) -> None:
    app, server = served
    server.faults.add(Fault.MALFORMED, nth=1)
    status, body = _post(server.url)
    assert status == 200 and app.value == 1
    with pytest.raises(ValueError):
        json.loads(body)


def test_reset_is_a_connection_reset(served: tuple[Counter, LoopbackServer]) -> None:
    app, server = served
    server.faults.add(Fault.RESET, nth=1)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        _post(server.url)
    assert app.value == 0


def test_black_hole_never_answers_until_stopped() -> None:
    app = Counter()
    server = LoopbackServer(app).start()
    server.faults.add(Fault.BLACK_HOLE, nth=1)
    started = time.monotonic()
    with pytest.raises(socket.timeout):
        _post(server.url, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 3
    assert app.value == 0
    stopped = time.monotonic()
    server.stop()  # releases the held connection promptly
    assert time.monotonic() - stopped < 6


def test_seeded_rate_is_reproducible() -> None:
    def firings(seed: int) -> list[int]:
        app = Counter()
        with LoopbackServer(app) as server:
            server.faults.add(Fault.SERVER_ERROR, rate=0.3, seed=seed)
            return [_post(server.url)[0] for _ in range(30)]

    first = firings(7)
    assert first == firings(7)
    assert 3 <= first.count(503) <= 18
    assert first != firings(8)


def test_times_limits_firings(served: tuple[Counter, LoopbackServer]) -> None:
    _app, server = served
    server.faults.add(Fault.THROTTLE, rate=1.0, times=2)
    assert [_post(server.url)[0] for _ in range(3)] == [429, 429, 200]


def test_latency_is_added_to_every_answer() -> None:
    app = Counter()
    with LoopbackServer(app, latency=0.2) as server:
        started = time.monotonic()
        assert _post(server.url)[0] == 200
        assert time.monotonic() - started >= 0.2
