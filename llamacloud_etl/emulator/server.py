"""A real HTTP/1.1 server on loopback that runs the emulator app, in a background thread.

Stdlib only: :class:`http.server.ThreadingHTTPServer` (one thread per connection) and a handler that
speaks HTTP/1.1 keep-alive and drives any WSGI app. It writes each response in one ``send`` with Nagle
off, so a reused connection does not stall on delayed ACKs. When the app raises
:class:`~llamacloud_etl.emulator.faults.DropConnection`, the handler shuts the socket down without
writing a byte, which clients see as "server disconnected without sending a response".

Examples:
    >>> import httpx
    >>> from llamacloud_etl.emulator import EmulatorApp, build_dataset
    >>> with EmulatorServer(EmulatorApp(build_dataset(10))) as server:
    ...     r = httpx.get(f"{server.url}/api/v1/extraction/extraction-agents",
    ...                   headers={"Authorization": "Bearer llx-emulator-key"})
    >>> r.status_code
    200
"""

from __future__ import annotations

import contextlib
import io
import socket
import socketserver
import sys
import threading
import traceback
from datetime import date, datetime
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import unquote
from wsgiref.types import WSGIApplication, WSGIEnvironment

from llamacloud_etl.emulator.app import DEFAULT_API_KEY, EmulatorApp
from llamacloud_etl.emulator.dataset import build_dataset
from llamacloud_etl.emulator.faults import DropConnection

_INTERNAL_ERROR = b'{"detail":"Internal Server Error"}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llamacloud-emulator"
    sys_version = ""
    disable_nagle_algorithm = True
    # Idle keep-alive connections are closed after this many seconds, so abandoned clients do not
    # pin threads forever; stop() closes the rest at once.
    timeout = 120
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the app keeps its own request log (without headers, so never the key)."""

    def do_GET(self) -> None:
        """Answer any method through the WSGI app, which does its own routing (404/405)."""
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # No emulated endpoint takes a body; rather than decode chunks, answer and hang up.
            self.close_connection = True
            return b""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body: bytes) -> WSGIEnvironment:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form request target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        host, port = self.server.server_address[:2]
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            # PEP 3333: PATH_INFO is the percent-decoded path as latin-1 "bytes in a str".
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _dispatch(self) -> None:
        body = self._read_body()
        captured: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None  # the legacy write() callable; the app never uses it

        try:
            result = self.server.app(self._environ(body), start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception:
            # A bug in the app: answer like a server would and leave the traceback on stderr.
            traceback.print_exc()
            captured[:] = ["500 Internal Server Error", [("content-type", "application/json")]]
            payload = _INTERNAL_ERROR
        status, headers = captured
        self._write(status, headers, payload)

    def _write(self, status: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        lines = [f"{self.protocol_version} {status}"]
        names = set()
        for name, value in headers:
            names.add(name.lower())
            lines.append(f"{name}: {value}")
        if "content-length" not in names:
            lines.append(f"content-length: {len(payload)}")
        lines.append(f"date: {formatdate(usegmt=True)}")
        lines.append(f"server: {self.server_version}")
        if self.close_connection:
            lines.append("connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        code = int(status.split(" ", 1)[0])
        no_body = self.command == "HEAD" or code in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)
        self.wfile.write(head if no_body else head + payload)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # stop() closes live keep-alive connections itself; joining their threads could wait for clients.
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: WSGIApplication) -> None:
        self.app = app
        self.connections_accepted = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup we neither need nor want.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.connections_accepted += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request is normal (timeouts, dropped-connection tests).
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class EmulatorServer:
    """Runs a WSGI app (normally an :class:`EmulatorApp`) on a loopback port in a background thread.

    The socket is bound at construction, so :attr:`url` is known before :meth:`start`. Use it as a
    context manager, which starts and stops it.

    Args:
        app: the WSGI app to serve.
        host: interface to bind; keep the default loopback address, the emulator has no real security.
        port: TCP port; 0 picks a free one.
    """

    def __init__(self, app: WSGIApplication, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._httpd = _HTTPServer((host, port), app)
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self._thread is not None else "stopped"
        return f"EmulatorServer({self.url}, {state})"

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections the server has accepted (to check keep-alive)."""
        return self._httpd.connections_accepted

    def start(self) -> EmulatorServer:
        """Start serving in a daemon thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"llamacloud-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections and release the port. Safe to call twice."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.close_open_connections()
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    port: int = 8787,
    runs: int = 400,
    seed: int = 0,
    latency_ms: float = 0.0,
    fault_rate: float = 0.0,
    api_key: str = DEFAULT_API_KEY,
    *,
    host: str = "127.0.0.1",
    stop: threading.Event | None = None,
    out: TextIO | None = None,
    v2_from: date | datetime | None = None,
) -> None:
    """Build a data set, serve it on ``host:port`` and block until Ctrl-C (or ``stop`` is set).

    Prints the base URL, the API key and the agents to ``out`` (stdout by default), as environment
    lines a user can paste. The key printed is the emulator's own fake key, never a real one.

    Args:
        port: TCP port (0 picks a free one; the printed URL shows it).
        runs: number of runs in the data set.
        seed: data set and fault seed.
        latency_ms: per-request latency.
        fault_rate: fraction of requests answered with a random fault.
        api_key: the key clients must send.
        host: interface to bind.
        stop: an event that ends serving when set (for tests and embedding).
        out: where to print; stdout by default.
        v2_from: the data set's v1/v2 cutover (see :func:`~.dataset.build_dataset`); None: all v1.
    """
    stream = out if out is not None else sys.stdout
    dataset = build_dataset(runs, seed=seed, v2_from=v2_from)
    app = EmulatorApp(dataset, api_key=api_key, latency_ms=latency_ms, fault_rate=fault_rate, seed=seed)
    with EmulatorServer(app, host=host, port=port) as server:
        print(
            f"LlamaCloud emulator serving {len(dataset.runs)} runs (seed {seed}) at {server.url}", file=stream
        )
        if dataset.v2_from is not None:
            print(
                f"and {len(dataset.v2_jobs)} v2 jobs created from {dataset.v2_from.isoformat()}", file=stream
            )
        print(f"LLAMA_CLOUD_BASE_URL={server.url}", file=stream)
        print(f"LLAMA_CLOUD_API_KEY={api_key}", file=stream)
        for agent in dataset.agents:
            count = len(dataset.runs_for_agent(agent["id"]))
            target = agent["config"]["extraction_target"]
            print(f"agent {agent['id']}  {agent['name']} ({target}, {count} runs)", file=stream)
        print("Press Ctrl-C to stop.", file=stream, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop if stop is not None else threading.Event()).wait()
