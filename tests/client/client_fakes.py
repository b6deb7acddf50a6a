"""Fakes for the client tests: API payloads, handlers, a request recorder, a retry recorder.

Imported by the test modules as ``client_fakes`` (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from stamina.instrumentation import RetryDetails

from llamacloud_etl.client import BackoffPolicy

API_KEY = "llx-TEST-9f2c-SECRET-do-not-leak"
BASE_URL = "https://api.test.invalid"
AGENT_ID = "c47a1e90-58d3-4b2f-a6e1-09f3d7b2c814"
PROJECT_ID = "2b8e4c1d-7a90-4f3e-b6d2-51c0e9a8f7b4"
ORG_ID = "5d1c3b7a-2e4f-4a6b-8c9d-0e1f2a3b4c5d"
RUN_ID = "6f1c9a2e-3b7d-4e51-9c0a-8d2f4b6e1a37"
JOB_ID = "9d2e7f41-0c6b-4a8e-8f15-3e7b2a9c5d60"
T0 = datetime(2025, 6, 12, 12, 0, tzinfo=UTC)

TEST_BACKOFF = BackoffPolicy(initial=0.05e-3, maximum=0.8e-3, random=lambda: 0.0)
"""The default policy's shape, 10,000 times shorter and without jitter: 0.05, 0.1, 0.2, 0.4, 0.8 ms, ...

Server hints are honoured up to the default 60 s, so a test that really waits sends tiny ones.
"""


Handler = Callable[[httpx.Request], httpx.Response]


def run_id(n: int) -> str:
    """A deterministic run UUID for index ``n``."""
    return str(uuid.UUID(int=0x6F1C9A2E_3B7D_4E51_9C0A_000000000000 + n))


def run_payload(rid: str = RUN_ID, *, created_at: datetime | None = T0, **fields: Any) -> dict[str, Any]:
    """An ExtractRun body with the required fields; ``fields`` override or add keys."""
    body: dict[str, Any] = {
        "id": rid,
        "project_id": PROJECT_ID,
        "extraction_agent_id": AGENT_ID,
        "data_schema": {"type": "object", "properties": {"total": {"type": "number"}}},
        "config": {"extraction_target": "PER_DOC", "extraction_mode": "PREMIUM"},
        "status": "SUCCESS",
        "from_ui": False,
        "created_at": None if created_at is None else created_at.isoformat().replace("+00:00", "Z"),
        "job_id": JOB_ID,
        "data": {"total": 629.25},
        "extraction_metadata": {"field_metadata": {}, "usage": {"num_pages_extracted": 1}},
    }
    body.update(fields)
    return body


def agent_payload(aid: str = AGENT_ID, name: str = "invoices") -> dict[str, Any]:
    """An ExtractAgent body."""
    return {
        "id": aid,
        "name": name,
        "project_id": PROJECT_ID,
        "data_schema": {"type": "object"},
        "config": {},
        "created_at": "2025-06-01T08:00:00.000Z",
    }


def job_payload(jid: str = JOB_ID, status: str = "SUCCESS") -> dict[str, Any]:
    """An ExtractJob body, with its agent embedded."""
    return {"id": jid, "extraction_agent": agent_payload(), "status": status, "error": None, "file_id": None}


def resultset_payload() -> dict[str, Any]:
    """An ExtractResultset body."""
    return {
        "run_id": RUN_ID,
        "extraction_agent_id": AGENT_ID,
        "data": {"total": 1},
        "extraction_metadata": {},
    }


class RunsAPI:
    """An in-memory ``GET /runs`` (newest first) whose list tests can change between pages.

    Attributes:
        runs: Run bodies, newest first.
        before_page: Called with the 0-based request number before each page is served.
        limit_cap: Largest page the server hands out; the echoed ``limit`` is the capped one.
        total_offset: Added to the reported ``total`` (a stale count).
        requests: ``(skip, limit)`` of each request, in order.
    """

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.runs = runs
        self.before_page: Callable[[int], None] = lambda n: None
        self.limit_cap: int | None = None
        self.total_offset = 0
        self.requests: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/extraction/runs"
        skip = int(request.url.params["skip"])
        limit = int(request.url.params["limit"])
        self.before_page(len(self.requests))
        self.requests.append((skip, limit))
        if self.limit_cap is not None:
            limit = min(limit, self.limit_cap)
        items = self.runs[skip : skip + limit]
        body = {"items": items, "total": len(self.runs) + self.total_offset, "skip": skip, "limit": limit}
        return httpx.Response(200, json=body)


def numbered_runs(count: int, *, start: int = 0, newest: datetime = T0) -> list[dict[str, Any]]:
    """``count`` runs numbered from ``start``, newest first, one minute apart."""
    return [run_payload(run_id(start + i), created_at=newest - timedelta(minutes=i)) for i in range(count)]


class Recorder:
    """A mock-transport handler wrapper that records every request and counts those in flight."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self.handler(request)
        finally:
            with self._lock:
                self.in_flight -= 1


def respond(status: int, body: Any = None, **headers: str) -> Handler:
    """A handler that always answers ``status`` with a JSON (or, for ``str``, text) body."""

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def sequence(*responses: httpx.Response | Exception) -> Handler:
    """A handler that answers with each response (or raises each exception) in turn, then fails."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        if not queue:
            raise AssertionError(f"unexpected extra request {request.method} {request.url}")
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


V2_JOB_ID = "ext-7c1e2a90-4b3d-4f6e-9a12-5d8c0b3e71f4"
V2_CONFIG_ID = "cfg-5e0d7b21-9c3a-4f88-a1d6-7b2e4c9f0a15"


def v2_job_payload(jid: str = V2_JOB_ID, **fields: Any) -> dict[str, Any]:
    """An ExtractV2Job body as in the v2 sheet's example A (COMPLETED); ``fields`` override or add keys."""
    body: dict[str, Any] = {
        "id": jid,
        "created_at": "2026-04-14T09:12:03.512Z",
        "updated_at": "2026-04-14T09:12:41.077Z",
        "file_input": "dfl-3a9f0c2e-8d14-4b6a-b7e5-12c4d9f0a6b3",
        "project_id": PROJECT_ID,
        "status": "COMPLETED",
        "configuration_id": V2_CONFIG_ID,
        "error_message": None,
        "extract_result": {"invoice_number": "INV-2026-0412", "total": 629.25},
        "metadata": {"usage": {"num_pages_billed": 1, "num_pages_extracted": 1}},
    }
    body.update(fields)
    return body


def v2_job_id(n: int) -> str:
    """A deterministic v2 job ID for index ``n``."""
    return f"ext-{uuid.UUID(int=0x7C1E2A90_4B3D_4F6E_9A12_000000000000 + n)}"


def config_payload(cid: str = V2_CONFIG_ID, **fields: Any) -> dict[str, Any]:
    """A ConfigurationResponse body of an extract_v2 configuration."""
    body: dict[str, Any] = {
        "id": cid,
        "name": "invoices",
        "product_type": "extract_v2",
        "version": "2026-04-01T00:00:00Z",
        "parameters": {"product_type": "extract_v2", "data_schema": {"type": "object"}, "tier": "agentic"},
        "created_at": "2026-04-01T00:00:00Z",
    }
    body.update(fields)
    return body


class CursorAPI:
    """A cursor-paged listing: ``pages[i]`` is served for token ``tokens[i - 1]`` (the first for no token).

    ``next_tokens[i]`` is what page ``i`` sends as ``next_page_token`` (``"omit"`` leaves the key out).
    Records each request's query as ``(name, value)`` pairs.
    """

    def __init__(self, pages: list[list[dict[str, Any]]], next_tokens: list[str | None]) -> None:
        self.pages = pages
        self.next_tokens = next_tokens
        self.queries: list[list[tuple[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(request.url.params.multi_items())
        token = request.url.params.get("page_token")
        index = 0 if token is None else self.next_tokens.index(token) + 1
        body: dict[str, Any] = {"items": self.pages[index]}
        if self.next_tokens[index] != "omit":
            body["next_page_token"] = self.next_tokens[index]
        return httpx.Response(200, json=body)


class Retries(list[RetryDetails]):
    """The retries stamina scheduled, in order, as its instrumentation hooks reported them."""

    @property
    def ms(self) -> list[float]:
        """The wait before each retry, in milliseconds."""
        return [details.wait_for * 1000 for details in self]

    @property
    def causes(self) -> list[type[Exception]]:
        """The class of the error each retry follows."""
        return [type(details.caused_by) for details in self]
