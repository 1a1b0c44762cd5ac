"""A fault-injecting HTTP proxy for tests: kcr talks to it as to Keycloak, it forwards every request
to the real Keycloak and, on the requests a test chooses (method and path pattern, how many, after how
many), injects a fault instead:

- ``status``: answer 429, 503, 500, ... itself (with headers such as ``Retry-After``); with
  ``after_upstream=True`` Keycloak acts first and its answer is replaced (a 503 after the write);
- ``reset``: reset the connection (TCP RST); with ``after_upstream=True`` Keycloak acts first and
  the answer is lost;
- ``delay``: hold the request this many seconds before going on (to interrupt a command mid-request).

Loopback only (it listens on 127.0.0.1 and forwards only to a loopback Keycloak) and bounded (at most
``max_inflight`` requests forwarded at once, a timeout on every upstream request). Every request is
recorded in ``seen`` with what happened to it, so that tests can count what reached Keycloak::

    with FaultProxy(keycloak.url) as proxy:
        proxy.inject("POST", r"/organizations/[^/]+/members$", "reset", after_upstream=True)
        settings = replace(keycloak.settings(), url=proxy.url)
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

FaultKind = Literal["status", "reset", "delay"]
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)


@dataclass
class Fault:
    """One rule: requests whose method and path (without query) match get ``kind``."""

    method: str  # "POST", or "*" for any
    path: re.Pattern[str]  # searched in the request path
    kind: FaultKind
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    after_upstream: bool = False  # let Keycloak act, then inject (a lost or replaced answer)
    times: int | None = 1  # how many matching requests get the fault; None: all of them
    skip: int = 0  # matching requests let through before the first fault
    seconds: float = 0.0  # for "delay"
    matched: int = 0
    fired: int = 0

    def take(self, method: str, path: str) -> bool:
        """Whether this request gets the fault (counts the match)."""
        if self.method not in ("*", method) or not self.path.search(path):
            return False
        self.matched += 1
        if self.matched <= self.skip or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass(frozen=True)
class Seen:
    """One request the proxy received: ``upstream`` says whether Keycloak got it, ``outcome`` is the
    status the client got, or "reset"."""

    method: str
    path: str
    upstream: bool
    outcome: int | str
    injected: bool


class FaultProxy:
    def __init__(self, upstream: str, *, max_inflight: int = 16, timeout: float = 60.0) -> None:
        parts = urlsplit(upstream)
        host = parts.hostname or ""
        if parts.scheme != "http" or not _is_loopback(host):
            raise ValueError(f"FaultProxy forwards only to a loopback http:// Keycloak, not {upstream}")
        self.upstream_host = host
        self.upstream_port = parts.port or 80
        self.timeout = timeout
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_inflight)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- rules -----------------------------------------------------------------------------------
    def inject(
        self,
        method: str,
        path: str,
        kind: FaultKind,
        *,
        status: int = 503,
        headers: dict[str, str] | None = None,
        after_upstream: bool = False,
        times: int | None = 1,
        skip: int = 0,
        seconds: float = 0.0,
    ) -> Fault:
        fault = Fault(
            method.upper(),
            re.compile(path),
            kind,
            status=status,
            headers=dict(headers or {}),
            after_upstream=after_upstream,
            times=times,
            skip=skip,
            seconds=seconds,
        )
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests(self, method: str, path: str, *, upstream_only: bool = True) -> list[Seen]:
        """What the proxy saw for ``method`` and a path matching ``path`` (by default only what
        reached Keycloak)."""
        pattern = re.compile(path)
        with self._lock:
            return [
                s
                for s in self.seen
                if s.method == method.upper() and pattern.search(s.path) and (s.upstream or not upstream_only)
            ]

    def _choose(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.take(method, path):
                    return fault
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- forwarding ------------------------------------------------------------------------------
    def forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        with self._slots:
            conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self.timeout)
            try:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP:
                        conn.putheader(name, value)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                response = conn.getresponse()
                data = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
                return response.status, response.reason, kept, data
            finally:
                conn.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            method = self.command
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy._choose(method, path)
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
                fault = None
            if fault is not None and not fault.after_upstream:
                self._inject(fault, method, path, upstream=False)
                return
            status, reason, headers, data = proxy.forward(method, self.path, list(self.headers.items()), body)
            if fault is not None:
                self._inject(fault, method, path, upstream=True)
                return
            proxy._record(Seen(method, path, True, status, False))
            self._answer(status, reason, headers, data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        def _inject(self, fault: Fault, method: str, path: str, *, upstream: bool) -> None:
            if fault.kind == "reset":
                proxy._record(Seen(method, path, upstream, "reset", True))
                self._reset()
                return
            proxy._record(Seen(method, path, upstream, fault.status, True))
            body = b'{"error":"injected by FaultProxy"}'
            headers = [("Content-Type", "application/json"), *fault.headers.items()]
            self._answer(fault.status, "Injected", headers, body)

        def _answer(self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response_only(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            try:
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away (interrupted): nobody to answer

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler
