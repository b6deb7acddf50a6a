"""The emulator as a WSGI app: runs each request through faults, routing and auth to a handler.

The app serves the v1 extraction API (:mod:`.v1`) and the v2 extract and configurations API
(:mod:`.v2`, the jobs of the data set's ``v2_from`` cutover) over an :class:`~.state.EmulatorState`, with the
API's pagination, error bodies and JSON serialization (every field present, explicit nulls, FastAPI's
compact UTF-8 encoding). Each request goes through these steps, in the order FastAPI/Starlette and the
proxy in front of the API apply them:

1. fault injection (:mod:`.faults`: scripted faults first, then a seeded random draw at
   ``fault_rate``), before routing and auth because a fault stands for the proxy;
2. the ``latency_ms`` sleep;
3. routing (:mod:`.routing`): unknown path 404, known path with another method 405, a trailing slash
   307 to the path without it;
4. auth: no/empty ``Authorization`` 401 ``Not authenticated``, a scheme other than Bearer 401
   ``Invalid authentication credentials``, a wrong key 401 ``Invalid authentication token``;
5. the handler, which validates its parameters (422) and reads or changes the state.

Everything is thread-safe: the server calls the app from one thread per connection.

Examples:
    >>> import httpx
    >>> app = EmulatorApp(build_dataset(20))
    >>> auth = {"Authorization": "Bearer llx-emulator-key"}
    >>> with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emulator") as http:
    ...     r = http.get("/api/v1/extraction/extraction-agents", headers=auth)
    >>> r.status_code, len(r.json())
    (200, 4)
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from llamacloud_etl.emulator import v1, v2
from llamacloud_etl.emulator.dataset import Dataset, build_dataset
from llamacloud_etl.emulator.faults import (
    DEFAULT_FAULTS,
    DropConnection,
    FaultScripts,
    FaultSpec,
    check_fault,
    fault_response,
)
from llamacloud_etl.emulator.routing import Params, Response, Router, detail
from llamacloud_etl.emulator.state import EmulatorState
from llamacloud_etl.emulator.wire import JSON
from llamacloud_etl.models import ExtractState

DEFAULT_API_KEY = "llx-emulator-key"


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it. Never holds the ``Authorization`` header.

    Attributes:
        method: HTTP method.
        path: URL path (decoded).
        query: raw query string.
        status: response status, or None when the connection was dropped.
        fault: the injected fault (``"503"``, ``"drop"``, ``"slow"``...), or None.
        retry_count: the SDK's ``x-stainless-retry-count`` header, if sent.
    """

    method: str
    path: str
    query: str
    status: int | None
    fault: str | None
    retry_count: str | None


class EmulatorApp:
    """WSGI app emulating the LlamaCloud extraction read API, with fault knobs and test mutators.

    The fault knobs are plain attributes, read on every request, so a test can change them at any time.

    Args:
        dataset: the data set to serve; ``build_dataset()`` when omitted. The app never changes it.
        api_key: the one accepted key (compared in constant time; never logged or shown in repr).
        latency_ms: sleep before answering each request (in the server thread).
        fault_rate: fraction of requests answered with a random fault from ``faults``.
        seed: seeds the fault draws and the ids of runs added later, so a fault sequence repeats.
        faults: the faults ``fault_rate`` draws from (see :data:`~.faults.FaultSpec`).
        retry_after: ``Retry-After`` of an injected 429, in seconds (a float such as ``0.01`` keeps
            tests fast; the SDK honours fractional values); None sends no header.
        slow_ms: how long a ``"slow"`` fault stalls before answering normally.
        log_size: how many :class:`RequestRecord` entries the request log keeps.

    Attributes:
        state: the agents, runs and jobs served; the mutators below act on it.
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        seed: int = 0,
        faults: Sequence[FaultSpec] = DEFAULT_FAULTS,
        retry_after: float | None = 0.01,
        slow_ms: float = 500.0,
        log_size: int = 100_000,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if fault_rate > 0 and not faults:
            raise ValueError("fault_rate > 0 needs at least one fault kind")
        self.dataset = dataset if dataset is not None else build_dataset()
        # Only a digest is kept, so not even vars(app) or a debugger shows the key.
        self._key_digest = hashlib.sha256(api_key.encode()).digest()
        self.latency_ms = latency_ms
        self.fault_rate = fault_rate
        self.faults = tuple(check_fault(f) for f in faults)
        self.retry_after = retry_after
        self.slow_ms = slow_ms
        self.seed = seed
        self.state = EmulatorState(self.dataset, seed=seed)
        self._fault_scripts = FaultScripts(seed)
        self._router = Router((*v1.ROUTES, *v2.ROUTES))
        self._log_lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=log_size)
        self._request_count = 0

    def __repr__(self) -> str:
        return (
            f"EmulatorApp(runs={self.state.run_count}, seed={self.seed}, latency_ms={self.latency_ms}, "
            f"fault_rate={self.fault_rate})"
        )

    # ----------------------------------------------------------------------------------------------
    # The state's reads and mutators (see EmulatorState for the details)
    # ----------------------------------------------------------------------------------------------

    def run(self, run_id: str) -> JSON:
        """The run's current wire JSON (a copy). Raises KeyError for unknown or deleted runs."""
        return self.state.run(run_id)

    def job(self, job_id: str) -> JSON:
        """The job's current wire JSON (a copy). Raises KeyError for unknown jobs."""
        return self.state.job(job_id)

    @property
    def run_ids(self) -> list[str]:
        """Ids of all runs currently served (deleted ones excluded), newest first."""
        return self.state.run_ids

    def complete_run(self, run_id: str, *, partial: bool = False) -> JSON:
        """Finish a CREATED or PENDING run as SUCCESS; see :meth:`EmulatorState.complete_run`."""
        return self.state.complete_run(run_id, partial=partial)

    def fail_run(self, run_id: str, error: str | None = None, *, cancelled: bool = False) -> JSON:
        """Finish a CREATED or PENDING run as ERROR; see :meth:`EmulatorState.fail_run`."""
        return self.state.fail_run(run_id, error, cancelled=cancelled)

    def start_run(self, run_id: str) -> JSON:
        """Move a CREATED run to PENDING; see :meth:`EmulatorState.start_run`."""
        return self.state.start_run(run_id)

    def add_run(
        self,
        agent_id: str,
        *,
        status: str = ExtractState.PENDING.value,
        created_at: datetime | None = None,
        partial: bool = False,
    ) -> JSON:
        """Add a new run and its job to an agent; see :meth:`EmulatorState.add_run`."""
        return self.state.add_run(agent_id, status=status, created_at=created_at, partial=partial)

    def delete_run(self, run_id: str) -> None:
        """Delete a run (its job stays); see :meth:`EmulatorState.delete_run`."""
        self.state.delete_run(run_id)

    def schedule_completion(self, run_id: str, *, after_polls: int, outcome: str = "SUCCESS") -> None:
        """Let a run finish after ``after_polls`` reads; see :meth:`EmulatorState.schedule_completion`."""
        self.state.schedule_completion(run_id, after_polls=after_polls, outcome=outcome)

    def v2_job(self, job_id: str) -> JSON:
        """The v2 job's full wire JSON (a copy); see :meth:`V2Store.job`."""
        return self.state.v2.job(job_id)

    def complete_v2_job(self, job_id: str, *, partial: bool = False) -> JSON:
        """Finish an unfinished v2 job as COMPLETED; see :meth:`V2Store.complete_job`."""
        return self.state.v2.complete_job(job_id, partial=partial)

    def fail_v2_job(self, job_id: str, error: str | None = None, *, cancelled: bool = False) -> JSON:
        """Finish an unfinished v2 job as FAILED or CANCELLED; see :meth:`V2Store.fail_job`."""
        return self.state.v2.fail_job(job_id, error, cancelled=cancelled)

    def add_v2_job(
        self,
        agent_id: str,
        *,
        status: str = "PENDING",
        created_at: datetime | None = None,
        inline: bool = False,
    ) -> JSON:
        """Add a v2 job for an agent's configuration; see :meth:`V2Store.add_job`."""
        return self.state.v2.add_job(agent_id, status=status, created_at=created_at, inline=inline)

    def delete_v2_job(self, job_id: str) -> None:
        """Delete a v2 job; see :meth:`V2Store.delete_job`."""
        self.state.v2.delete_job(job_id)

    # ----------------------------------------------------------------------------------------------
    # Scripted faults and the request log
    # ----------------------------------------------------------------------------------------------

    def script_faults(self, method: str, path_prefix: str, faults: Sequence[FaultSpec]) -> None:
        """Make the next requests matching ``method`` and ``path_prefix`` fail in order, then behave.

        Args:
            method: HTTP method, or ``"*"`` for any.
            path_prefix: matched against the start of the URL path.
            faults: one fault per matching request, e.g. ``[503, 503]`` or ``[429, "drop"]``.

        Examples:
            >>> import httpx
            >>> app = EmulatorApp(build_dataset(8))
            >>> url = "/api/v1/extraction/extraction-agents"
            >>> app.script_faults("GET", url, [503])
            >>> auth = {"Authorization": "Bearer llx-emulator-key"}
            >>> with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://e") as http:
            ...     responses = [http.get(url, headers=auth) for _ in range(2)]
            >>> [r.status_code for r in responses]
            [503, 200]
        """
        self._fault_scripts.add(method, path_prefix, faults)

    def clear_faults(self) -> None:
        """Forget all scripted faults that have not fired yet."""
        self._fault_scripts.clear()

    @property
    def request_log(self) -> list[RequestRecord]:
        """The requests seen so far (oldest first, at most ``log_size``)."""
        with self._log_lock:
            return list(self._log)

    @property
    def request_count(self) -> int:
        """How many requests the app has received (including dropped ones)."""
        with self._log_lock:
            return self._request_count

    def reset_request_log(self) -> None:
        """Empty the request log and zero the request counter."""
        with self._log_lock:
            self._log.clear()
            self._request_count = 0

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._request_count += 1
            self._log.append(record)

    # ----------------------------------------------------------------------------------------------
    # WSGI entry point and auth
    # ----------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request (WSGI)."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO") or "/")
        query = str(environ.get("QUERY_STRING") or "")
        retry_count = environ.get("HTTP_X_STAINLESS_RETRY_COUNT")
        fault = self._fault_scripts.draw(method, path, rate=self.fault_rate, kinds=self.faults)
        fault_name = None if fault is None else str(fault)
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        if fault == "drop":
            self._record(RequestRecord(method, path, query, None, fault_name, retry_count))
            raise DropConnection
        if fault == "slow":
            time.sleep(self.slow_ms / 1000)
        if isinstance(fault, int):
            response = fault_response(fault, retry_after=self.retry_after)
        else:
            response = self._handle(method, path, query, environ)
        self._record(RequestRecord(method, path, query, response.status, fault_name, retry_count))
        status = HTTPStatus(response.status)
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        start_response(f"{status.value} {status.phrase}", headers)
        return [b""] if method == "HEAD" else [response.body]

    def _handle(self, method: str, path: str, query: str, environ: WSGIEnvironment) -> Response:
        found = self._router.resolve(method, path, query)
        if isinstance(found, Response):
            return found
        denied = self._check_auth(environ.get("HTTP_AUTHORIZATION"))
        if denied is not None:
            return denied
        return found.handler(self.state, Params.parse(found.path_params, query))

    def _check_auth(self, header: Any) -> Response | None:
        challenge = [("www-authenticate", "Bearer")]
        scheme, _, credentials = str(header or "").strip().partition(" ")
        credentials = credentials.strip()
        if not scheme or not credentials:
            return detail(401, "Not authenticated", challenge)
        if scheme.lower() != "bearer":
            return detail(401, "Invalid authentication credentials", challenge)
        if not hmac.compare_digest(hashlib.sha256(credentials.encode()).digest(), self._key_digest):
            return detail(401, "Invalid authentication token", challenge)
        return None
