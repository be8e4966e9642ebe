"""One loopback HTTP(S) server for every emulator: lifecycle, request recording, injected faults.

Why one: each emulator (RDS, Cloud SQL, Azure ARM) is an `App` that turns a `Request` into a
`Response`. Everything around that — binding 127.0.0.1, threads, TLS handshakes off the accept
loop, keep-alive, recording what clients sent, and breaking the wire on purpose — is the same for
all three and lives here, once.

Faults are what real cloud APIs do to clients, so that tests can prove the tool survives them:

- ``throttle``: the provider's own throttling answer (the app shapes it: RDS ``Throttling`` 400,
  Google 429 ``RESOURCE_EXHAUSTED``, ARM 429 with ``Retry-After``); the request is not processed.
- ``server-error``: the provider's 5xx answer; not processed.
- ``lost-response``: the request IS processed (state changes), then the client gets a 503 — the
  case a client cannot tell from ``server-error`` and must reconcile by reading.
- ``reset``: the connection is reset (TCP RST) before the request is processed.
- ``malformed``: the request IS processed, then a 200 whose body is not JSON/XML.
- ``black-hole``: the request is read and never answered; the connection stays open until the
  server stops (a client without a read timeout hangs forever).

A fault fires on the Nth call of an operation (``nth``), or at random with a seeded ``rate``; each
rule may be limited to ``times`` firings. Token endpoints are operations like any other.
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "App",
    "Emulator",
    "Fault",
    "FaultRule",
    "Faults",
    "LoopbackServer",
    "Request",
    "Response",
]


class Fault(StrEnum):
    THROTTLE = "throttle"
    SERVER_ERROR = "server-error"
    LOST_RESPONSE = "lost-response"
    RESET = "reset"
    MALFORMED = "malformed"
    BLACK_HOLE = "black-hole"


@dataclass(frozen=True, slots=True)
class Request:
    """What a client sent, as recorded; `operation` is the app's name for it."""

    method: str
    path: str  # percent-decoded path, no query
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    operation: str = ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def query_value(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class App(Protocol):
    """An emulator's wire protocol: name each request, answer it, shape injected failures."""

    def operation(self, request: Request) -> str:
        """A stable name for fault targeting, e.g. ``DescribeDBParameters``, ``instances.patch``."""
        ...

    def handle(self, request: Request) -> Response: ...

    def fault_response(self, fault: Fault, request: Request) -> Response:
        """The provider-shaped answer for THROTTLE, SERVER_ERROR and LOST_RESPONSE (a 503)."""
        ...


@dataclass
class FaultRule:
    fault: Fault
    operation: str | None = None  # None: every operation
    nth: int | None = None  # fire on this call (1-based) of the operation, counted per rule
    rate: float = 0.0  # else fire with this probability
    times: int | None = None  # fire at most this many times
    seed: int = 0
    seen: int = 0
    fired: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def decide(self, operation: str) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.seen += 1
        hit = self.seen == self.nth if self.nth is not None else self._random.random() < self.rate
        if hit:
            self.fired += 1
        return hit


class Faults:
    """The fault-injection switch of one server; thread-safe."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.fired: list[tuple[str, Fault]] = []  # (operation, fault) in firing order

    def add(
        self,
        fault: Fault | str,
        *,
        operation: str | None = None,
        nth: int | None = None,
        rate: float = 0.0,
        times: int | None = None,
        seed: int = 0,
    ) -> FaultRule:
        """Inject `fault` on the `nth` call of `operation`, or at `rate` (seeded)."""
        if nth is None and not 0 < rate <= 1:
            raise ValueError("give nth=N or a rate in (0, 1]")
        rule = FaultRule(Fault(fault), operation, nth, rate, times, seed)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.fired.clear()

    def take(self, operation: str) -> Fault | None:
        """The fault to inject into this call, if any (the first rule that fires wins)."""
        with self._lock:
            for rule in self._rules:
                if rule.decide(operation):
                    self.fired.append((operation, rule.fault))
                    return rule.fault
        return None


class LoopbackServer:
    """Serve an App on http(s)://127.0.0.1:PORT on daemon threads.

    ``requests`` records every request (with its operation); ``faults`` is the switch. Pass an
    ``ssl.SSLContext`` to serve HTTPS (see `sandbox.tls`). ``latency`` adds that many seconds to
    every answer, as a real cloud API's round trip does (50-150 ms), for benchmarks.
    """

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "emulator",
        latency: float = 0.0,
    ) -> None:
        self.app = app
        self.latency = latency  # seconds added to every answer: a cloud API's round trip
        self.faults = Faults()
        self.requests: list[Request] = []
        self._host, self._port, self._ssl, self._name = host, port, ssl_context, name
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._record_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self._host, self._port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self._name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # releases black-holed connections
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self._name} is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://{self._host}:{self.port}"

    # -- observation --------------------------------------------------------------------------
    def calls(self, operation: str) -> int:
        with self._record_lock:
            return sum(1 for request in self.requests if request.operation == operation)

    def recorded(self, predicate: Callable[[Request], bool] | None = None) -> Iterator[Request]:
        with self._record_lock:
            snapshot = list(self.requests)
        return (r for r in snapshot if predicate is None or predicate(r))

    def clear_requests(self) -> None:
        with self._record_lock:
            self.requests.clear()

    # -- one request --------------------------------------------------------------------------
    def _serve(self, handler: _Handler, request: Request) -> None:
        if self.latency:
            time.sleep(self.latency)
        try:
            request = _with_operation(request, self.app.operation(request))
        except Exception:
            request = _with_operation(request, "unknown")
        with self._record_lock:
            self.requests.append(request)
        fault = self.faults.take(request.operation)
        if fault is Fault.RESET:
            handler.reset()
            return
        if fault is Fault.BLACK_HOLE:
            handler.close_connection = True
            self._stopping.wait()
            return
        if fault in (Fault.THROTTLE, Fault.SERVER_ERROR):
            handler.send(self.app.fault_response(fault, request))
            return
        response = self._answer(request)
        if fault is Fault.LOST_RESPONSE:
            response = self.app.fault_response(fault, request)
        elif fault is Fault.MALFORMED:
            response = Response(200, _GARBAGE, {"Content-Type": "text/html"})
        handler.send(response)

    def _answer(self, request: Request) -> Response:
        try:
            return self.app.handle(request)
        except Exception as error:
            body = f"emulator error: {type(error).__name__}: {error}".encode()
            return Response(500, body, {"Content-Type": "text/plain"})


_GARBAGE = b"<<not json, not xml>>\x00\xff"


class Emulator:
    """What every emulator shows its users: a lifecycle, an address, recording and faults.

    Subclasses set `self.server` and may extend `_starting` / `_stopped` (TLS certificates,
    warming a backend); the rest is written once, here.
    """

    server: LoopbackServer

    def start(self) -> Self:
        if self.running:
            return self
        self._starting()
        try:
            self.server.start()
            self._started()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.server.stop()  # releases black-holed connections
        self._stopped()

    def _starting(self) -> None:
        """Before the port is bound."""

    def _started(self) -> None:
        """Once it serves."""

    def _stopped(self) -> None:
        """After it stopped serving."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.server._server is not None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def faults(self) -> Faults:
        return self.server.faults

    @property
    def requests(self) -> list[Request]:
        return self.server.requests


def _with_operation(request: Request, operation: str) -> Request:
    return Request(
        request.method, request.path, request.query, request.headers, request.body, operation
    )


class _Server(ThreadingHTTPServer):
    """Threads per connection; the TLS handshake runs in that thread, not in accept()."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: LoopbackServer):
        self.owner = owner
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        context = self.owner._ssl
        if context is None:
            return sock, address
        return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(30)
                request.do_handshake()
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                return  # e.g. a client that does not trust the certificate
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-request are normal here; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' sessions expect
    # Headers and body leave in two sends: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: tests read `requests` instead."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(url.path),
            query=parse_qs(url.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
        )
        self.server.owner._serve(self, request)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, response: Response) -> None:
        self.send_response(response.status)
        names = {name.lower() for name in response.headers}
        for name, value in response.headers.items():
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    def reset(self) -> None:
        """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
