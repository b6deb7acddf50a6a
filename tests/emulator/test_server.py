"""The loopback server: keep-alive, connection handling, stop, and the serve_forever entry point."""

from __future__ import annotations

import io
import re
import socket
import threading

import httpx
import pytest

from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer, serve_forever

from .conftest import API, AUTH


def test_keep_alive_reuses_one_connection(
    server: EmulatorServer, client: httpx.Client, dataset: Dataset
) -> None:
    """Several requests on one httpx.Client travel over a single TCP connection."""
    for run in dataset.runs[:10]:
        assert client.get(f"{API}/runs/{run['id']}").status_code == 200
    assert client.get(f"{API}/runs/not-a-uuid").status_code == 422
    assert client.get("/nope").status_code == 404
    assert server.connections_accepted == 1


def test_connection_close_is_honoured(server: EmulatorServer) -> None:
    """A client asking for Connection: close gets that header back and a fresh connection next time."""
    with httpx.Client(base_url=server.url, headers={**AUTH, "Connection": "close"}) as http:
        first = http.get(f"{API}/extraction-agents")
        http.get(f"{API}/extraction-agents")
    assert first.headers["connection"] == "close"
    assert server.connections_accepted == 2


def test_raw_http11_pipeline_on_one_socket(server: EmulatorServer) -> None:
    """Two requests written back to back on one raw socket get two complete answers in order."""
    request = f"GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET {API}/extraction-agents HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(request.encode())
        received = b""
        while received.count(b"HTTP/1.1 ") < 2 or not received.endswith(b'"Not authenticated"}'):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    assert re.findall(rb"HTTP/1.1 (\d+)", received) == [b"404", b"401"]


def test_request_body_is_consumed(server: EmulatorServer, client: httpx.Client) -> None:
    """A request with a body is answered and the connection stays usable for the next request."""
    assert client.post(f"{API}/jobs", json={"extraction_agent_id": "x"}).status_code == 405
    assert client.get(f"{API}/extraction-agents").status_code == 200
    assert server.connections_accepted == 1


def test_stop_closes_kept_alive_connections(dataset: Dataset) -> None:
    """stop() returns promptly even with an idle keep-alive connection open, and frees the port."""
    server = EmulatorServer(EmulatorApp(dataset)).start()
    http = httpx.Client(base_url=server.url, headers=AUTH)
    assert http.get(f"{API}/extraction-agents").status_code == 200
    server.stop()
    with pytest.raises(httpx.TransportError):
        http.get(f"{API}/extraction-agents")
    http.close()
    server.stop()  # a second stop is harmless


def test_url_is_known_before_start(dataset: Dataset) -> None:
    """The port is bound at construction, so the URL is known before the server starts."""
    server = EmulatorServer(EmulatorApp(dataset))
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.port > 0
    finally:
        server.stop()


def test_start_twice_is_an_error(server: EmulatorServer) -> None:
    """Starting a running server again raises RuntimeError."""
    with pytest.raises(RuntimeError):
        server.start()


def test_concurrent_clients_are_served(server: EmulatorServer, dataset: Dataset) -> None:
    """Several clients in parallel threads all get correct answers."""
    failures: list[str] = []

    def worker(offset: int) -> None:
        with httpx.Client(base_url=server.url, headers=AUTH) as http:
            for run in dataset.runs[offset : offset + 15]:
                if http.get(f"{API}/runs/{run['id']}").json()["id"] != run["id"]:
                    failures.append(run["id"])

    threads = [threading.Thread(target=worker, args=(i * 15,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert server.connections_accepted == 4


class _Output(io.StringIO):
    """Captures serve_forever's output and signals when it has printed its banner."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if "Ctrl-C" in text:
            self.ready.set()
        return written


def test_serve_forever_prints_url_and_key_and_serves() -> None:
    """serve_forever prints base URL and key, serves the data set there, and returns when stopped."""
    out, stop = _Output(), threading.Event()
    thread = threading.Thread(
        target=serve_forever,
        kwargs={"port": 0, "runs": 12, "seed": 2, "api_key": "llx-cli-key", "stop": stop, "out": out},
    )
    thread.start()
    try:
        assert out.ready.wait(10)
        found = re.search(r"LLAMA_CLOUD_BASE_URL=(\S+)", out.getvalue())
        assert found is not None
        url = found.group(1)
        assert "LLAMA_CLOUD_API_KEY=llx-cli-key" in out.getvalue()
        agents = httpx.get(f"{url}{API}/extraction-agents", headers={"Authorization": "Bearer llx-cli-key"})
        assert agents.status_code == 200
        assert len(agents.json()) == 4
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
