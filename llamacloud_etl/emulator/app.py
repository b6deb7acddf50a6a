"""The emulator as a WSGI app: the LlamaCloud extraction read API over an in-memory data set.

Serves every endpoint of spec §2 with the API's pagination (§5), error bodies (§7, §10) and JSON
serialization (every field present, explicit nulls, FastAPI's compact UTF-8 encoding). Runs, jobs and
agents are serialized once, when they are created or change, so answering a request is a dict lookup
and a ``bytes.join``.

Request pipeline, in the order FastAPI/Starlette applies it:

1. fault injection (scripted faults first, then a seeded random draw at ``fault_rate``): the fault
   stands for the proxy in front of the API, so it comes before routing and auth;
2. ``latency_ms`` sleep;
3. routing: unknown path 404 ``{"detail":"Not Found"}``, known path with another method 405,
   a trailing slash 307 to the path without it;
4. auth: no/empty ``Authorization`` 401 ``Not authenticated``, a scheme other than Bearer 401
   ``Invalid authentication credentials``, a wrong key 401 ``Invalid authentication token``;
5. parameter validation with pydantic itself, so 422 bodies are exactly pydantic-v2 shaped; all
   path errors, then all query errors;
6. the handler: 404 for unknown ids, 403 for a ``project_id``/``organization_id`` that is not the
   key's.

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
import json
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote
from wsgiref.types import StartResponse, WSGIEnvironment

import httpx
from pydantic import Field, TypeAdapter, ValidationError

from llamacloud_etl.emulator.agents import ORGANIZATION_ID, PROJECT_ID, spec_for
from llamacloud_etl.emulator.dataset import Dataset, build_dataset
from llamacloud_etl.emulator.runs import RunFacts, error_text, fill_result, new_run
from llamacloud_etl.emulator.wire import (
    JSON,
    dumps,
    format_timestamp,
    job_json,
    job_status_for,
    parse_timestamp,
)
from llamacloud_etl.models import ExtractState, JobStatus

DEFAULT_API_KEY = "llx-emulator-key"
DEFAULT_FAULTS: tuple[int | str, ...] = (429, 500, 503, "drop", "slow")

FaultSpec = int | str
"""A fault: an HTTP status (429 carries ``Retry-After``; 5xx the injected-error body), ``"drop"`` (close
the connection without answering) or ``"slow"`` (answer normally after ``slow_ms``)."""


class DropConnection(httpx.RemoteProtocolError):
    """Raised by the app to drop the connection without a response.

    :class:`~llamacloud_etl.emulator.server.EmulatorServer` catches it and closes the socket. It is an
    :class:`httpx.RemoteProtocolError` so that a client mounting the app in-process with
    ``httpx.WSGITransport`` sees the same transport error as over a real socket.
    """

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


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


@dataclass
class _Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


def _json_response(status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> _Response:
    return _Response(status, body, [("content-type", "application/json"), *headers])


def _detail(status: int, detail: Any, headers: Sequence[tuple[str, str]] = ()) -> _Response:
    return _json_response(status, dumps({"detail": detail}), headers)


_NOT_FOUND_RUN = "Extraction run not found"
_NOT_FOUND_JOB = "Extraction job not found"
_NOT_FOUND_AGENT = "Extraction agent not found"
_NO_ACCESS = "User does not have access to this resource"
_INTERNAL = "Internal Server Error"

_UUID = TypeAdapter(uuid.UUID)
_NON_NEGATIVE_INT = TypeAdapter(Annotated[int, Field(ge=0)])
_BOOL = TypeAdapter(bool)
_STATE = TypeAdapter(ExtractState)


class _Params:
    """Parses path and query parameters, collecting pydantic-shaped errors like FastAPI does."""

    def __init__(self, path: dict[str, str], query: dict[str, str]) -> None:
        self.path = path
        self.query = query
        self.errors: list[JSON] = []

    def _validate(self, adapter: TypeAdapter[Any], where: str, name: str, raw: str) -> Any:
        try:
            return adapter.validate_python(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                entry: JSON = {"type": err["type"], "loc": [where, name, *err["loc"]], "msg": err["msg"]}
                entry["input"] = err["input"]
                if "ctx" in err:
                    entry["ctx"] = {
                        k: v if isinstance(v, int | float | str) else str(v) for k, v in err["ctx"].items()
                    }
                self.errors.append(entry)
            return None

    def path_uuid(self, name: str) -> str | None:
        value = self._validate(_UUID, "path", name, self.path[name])
        return None if value is None else str(value)

    def query_uuid(self, name: str, *, required: bool = False) -> str | None:
        if name not in self.query:
            if required:
                self.errors.append(
                    {"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None}
                )
            return None
        value = self._validate(_UUID, "query", name, self.query[name])
        return None if value is None else str(value)

    def query_int(self, name: str, default: int) -> int:
        if name not in self.query:
            return default
        value = self._validate(_NON_NEGATIVE_INT, "query", name, self.query[name])
        return default if value is None else int(value)

    def query_bool(self, name: str, default: bool) -> bool:
        if name not in self.query:
            return default
        value = self._validate(_BOOL, "query", name, self.query[name])
        return default if value is None else bool(value)

    def query_state(self, name: str) -> str | None:
        if name not in self.query:
            return None
        value = self._validate(_STATE, "query", name, self.query[name])
        return None if value is None else str(value.value)


@dataclass
class _RunEntry:
    run: JSON
    body: bytes
    facts: RunFacts
    sort_key: tuple[str, str]


@dataclass
class _JobEntry:
    job: JSON
    body: bytes
    run_id: str
    agent_id: str
    sort_key: tuple[str, str]
    result_body: bytes | None = None


@dataclass
class _Script:
    method: str
    prefix: str
    faults: deque[FaultSpec]


Handler = Callable[["EmulatorApp", _Params], _Response]


class EmulatorApp:
    """WSGI app emulating the LlamaCloud extraction read API, with fault knobs and test mutators.

    Args:
        dataset: the data set to serve; ``build_dataset()`` when omitted. The app works on a copy.
        api_key: the one accepted key (compared in constant time; never logged or shown in repr).
        latency_ms: sleep before answering each request (in the server thread).
        fault_rate: fraction of requests answered with a random fault from ``faults``.
        seed: seeds the fault draws and the ids of runs added later, so a fault sequence repeats.
        faults: the faults ``fault_rate`` draws from (see :data:`FaultSpec`).
        retry_after: ``Retry-After`` of an injected 429, in seconds (a float such as ``0.01`` keeps
            tests fast; the SDK honours fractional values); None sends no header.
        slow_ms: how long a ``"slow"`` fault stalls before answering normally.
        log_size: how many :class:`RequestRecord` entries the request log keeps.
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
        self.faults = tuple(_check_fault(f) for f in faults)
        self.retry_after = retry_after
        self.slow_ms = slow_ms
        self.seed = seed
        self._lock = threading.RLock()
        self._fault_rng = random.Random(f"llamacloud-emulator/{seed}/faults")
        self._id_rng = random.Random(f"llamacloud-emulator/{seed}/added-runs")
        self._scripts: list[_Script] = []
        self._log: deque[RequestRecord] = deque(maxlen=log_size)
        self._request_count = 0
        self._completions: dict[str, tuple[int, str]] = {}

        ds = self.dataset
        self._agents: dict[str, JSON] = {a["id"]: a for a in (*ds.agents, *ds.default_agents)}
        self._agent_bodies = {agent_id: dumps(agent) for agent_id, agent in self._agents.items()}
        self._default_agent_ids = {a["id"] for a in ds.default_agents}
        self._runs: dict[str, _RunEntry] = {}
        self._jobs: dict[str, _JobEntry] = {}
        self._latest_created = ds.end
        for run, job in zip(ds.runs, ds.jobs, strict=True):
            # Stored dicts are never mutated: every mutator works on a fresh copy parsed from the
            # stored body, so the data set's dicts can be shared without copying them.
            self._runs[run["id"]] = _RunEntry(
                run, ds.body(run["id"]), ds.facts[run["id"]], (run["created_at"], run["id"])
            )
            self._jobs[job["id"]] = _JobEntry(
                job, ds.body(job["id"]), run["id"], run["extraction_agent_id"], (run["created_at"], run["id"])
            )
        self._run_index: dict[str, list[str]] | None = None
        self._job_index: dict[str, list[str]] | None = None

    def __repr__(self) -> str:
        return (
            f"EmulatorApp(runs={len(self._runs)}, seed={self.seed}, latency_ms={self.latency_ms}, "
            f"fault_rate={self.fault_rate})"
        )

    # ----------------------------------------------------------------------------------------------
    # State
    # ----------------------------------------------------------------------------------------------

    def _store_run(self, run: JSON, facts: RunFacts) -> None:
        self._runs[run["id"]] = _RunEntry(run, dumps(run), facts, (run["created_at"], run["id"]))
        self._run_index = None

    def _store_job(self, job_id: str, run: JSON, status: str, error: str | None) -> None:
        agent = self._agents[run["extraction_agent_id"]]
        job = job_json(job_id=job_id, agent=agent, status=status, error=error, run=run)
        # The embedded agent is serialized once and spliced in: jobs are many, agents few.
        without_agent = dumps({**job, "extraction_agent": None})
        body = without_agent.replace(
            b'"extraction_agent":null', b'"extraction_agent":' + self._agent_bodies[agent["id"]], 1
        )
        self._jobs[job_id] = _JobEntry(
            job, body, run["id"], run["extraction_agent_id"], (run["created_at"], run["id"])
        )
        self._job_index = None

    def _result_body(self, job: _JobEntry) -> bytes | None:
        """The job's result set, serialized on first use; None when there is no result (yet)."""
        if job.job["status"] not in (JobStatus.SUCCESS, JobStatus.PARTIAL_SUCCESS):
            return None
        entry = self._runs.get(job.run_id)
        if entry is None:
            return None
        if job.result_body is None:
            run = entry.run
            job.result_body = dumps(
                {
                    "run_id": run["id"],
                    "extraction_agent_id": run["extraction_agent_id"],
                    "data": run["data"],
                    # The result set never has null metadata (§10.6).
                    "extraction_metadata": run["extraction_metadata"] or {},
                }
            )
        return job.result_body

    def _runs_of(self, agent_id: str) -> list[str]:
        if self._run_index is None:
            index: dict[str, list[str]] = {}
            for entry in sorted(self._runs.values(), key=lambda e: e.sort_key, reverse=True):
                index.setdefault(entry.run["extraction_agent_id"], []).append(entry.run["id"])
            self._run_index = index
        return self._run_index.get(agent_id, [])

    def _jobs_of(self, agent_id: str) -> list[str]:
        if self._job_index is None:
            index: dict[str, list[str]] = {}
            for entry in sorted(self._jobs.values(), key=lambda e: e.sort_key, reverse=True):
                index.setdefault(entry.agent_id, []).append(entry.job["id"])
            self._job_index = index
        return self._job_index.get(agent_id, [])

    def _entry(self, run_id: str) -> _RunEntry:
        try:
            return self._runs[run_id]
        except KeyError:
            raise KeyError(f"no run {run_id}") from None

    def run(self, run_id: str) -> JSON:
        """The run's current wire JSON (a copy). Raises KeyError for unknown or deleted runs."""
        with self._lock:
            return json.loads(self._entry(run_id).body)  # type: ignore[no-any-return]

    def job(self, job_id: str) -> JSON:
        """The job's current wire JSON (a copy). Raises KeyError for unknown jobs."""
        with self._lock:
            return json.loads(self._jobs[job_id].body)  # type: ignore[no-any-return]

    @property
    def run_ids(self) -> list[str]:
        """Ids of all runs currently served (deleted ones excluded), newest first."""
        with self._lock:
            return [e.run["id"] for e in sorted(self._runs.values(), key=lambda e: e.sort_key, reverse=True)]

    # ----------------------------------------------------------------------------------------------
    # Mutators for tests and demos
    # ----------------------------------------------------------------------------------------------

    def _job_id_of(self, run_id: str) -> str:
        return str(self._entry(run_id).run["job_id"])

    def _finish_time(self, run: JSON, rng: random.Random) -> str:
        created = parse_timestamp(run["created_at"])
        previous = parse_timestamp(run["updated_at"])
        finished = created + timedelta(milliseconds=round(rng.uniform(3, 300) * 1000))
        return format_timestamp(max(finished, previous + timedelta(milliseconds=1)))

    def complete_run(self, run_id: str, *, partial: bool = False) -> JSON:
        """Finish a CREATED or PENDING run as SUCCESS with generated data and metadata.

        The result is deterministic (seeded by the app's seed and the run id); ``updated_at`` moves a
        few seconds to minutes past ``created_at``. The job becomes SUCCESS, or PARTIAL_SUCCESS with
        ``partial=True`` (some fields null, a root ``field_metadata.error``).

        Returns:
            The run's new wire JSON.

        Raises:
            KeyError: unknown or deleted run.
            ValueError: the run is already finished.
        """
        with self._lock:
            entry = self._entry(run_id)
            run = json.loads(entry.body)
            if ExtractState(run["status"]).finished:
                raise ValueError(f"run {run_id} is already {run['status']}")
            spec = spec_for(run["extraction_agent_id"])
            if spec is None:  # pragma: no cover - every stored run belongs to a known agent
                raise KeyError(f"no agent spec for run {run_id}")
            rng = random.Random(f"llamacloud-emulator/{self.seed}/complete/{run_id}")
            run["status"] = ExtractState.SUCCESS.value
            run["error"] = None
            run["updated_at"] = self._finish_time(run, rng)
            fill_result(run, spec=spec, facts=entry.facts, rng=rng, partial=partial)
            self._store_run(run, entry.facts)
            self._store_job(run["job_id"], run, job_status_for(run["status"], partial=partial), None)
            self._completions.pop(run_id, None)
            return json.loads(dumps(run))  # type: ignore[no-any-return]

    def fail_run(self, run_id: str, error: str | None = None, *, cancelled: bool = False) -> JSON:
        """Finish a CREATED or PENDING run as ERROR (null data/metadata); its job becomes ERROR or CANCELLED.

        Args:
            run_id: the run.
            error: the ``error`` text; a generated ``<category>: <message>`` when omitted.
            cancelled: mark the job CANCELLED instead of ERROR.

        Raises:
            KeyError: unknown or deleted run.
            ValueError: the run is already finished.
        """
        with self._lock:
            entry = self._entry(run_id)
            run = json.loads(entry.body)
            if ExtractState(run["status"]).finished:
                raise ValueError(f"run {run_id} is already {run['status']}")
            rng = random.Random(f"llamacloud-emulator/{self.seed}/fail/{run_id}")
            name = run["file"]["name"] if run["file"] else "the document"
            run["status"] = ExtractState.ERROR.value
            run["error"] = (
                error if error is not None else error_text(rng, file_name=name, cancelled=cancelled)
            )
            run["updated_at"] = self._finish_time(run, rng)
            run["data"] = None
            run["extraction_metadata"] = None
            self._store_run(run, entry.facts)
            self._store_job(
                run["job_id"], run, job_status_for(run["status"], cancelled=cancelled), run["error"]
            )
            self._completions.pop(run_id, None)
            return json.loads(dumps(run))  # type: ignore[no-any-return]

    def start_run(self, run_id: str) -> JSON:
        """Move a CREATED run to PENDING (its job stays PENDING). Raises ValueError for other states."""
        with self._lock:
            entry = self._entry(run_id)
            run = json.loads(entry.body)
            if run["status"] != ExtractState.CREATED:
                raise ValueError(f"run {run_id} is {run['status']}, not CREATED")
            run["status"] = ExtractState.PENDING.value
            run["updated_at"] = format_timestamp(parse_timestamp(run["updated_at"]) + timedelta(seconds=1))
            self._store_run(run, entry.facts)
            self._store_job(run["job_id"], run, JobStatus.PENDING.value, None)
            return json.loads(dumps(run))  # type: ignore[no-any-return]

    def add_run(
        self,
        agent_id: str,
        *,
        status: str = ExtractState.PENDING.value,
        created_at: datetime | None = None,
        partial: bool = False,
    ) -> JSON:
        """Add a new run (and its job) to an agent, as if a job had just been submitted.

        Args:
            agent_id: one of the data set's agents.
            status: the new run's status; SUCCESS generates data, ERROR an error text.
            created_at: creation time (aware); default one minute after the newest run so far, so
                added runs come out newest first.
            partial: for SUCCESS, make the job PARTIAL_SUCCESS.

        Returns:
            The new run's wire JSON.
        """
        state = ExtractState(status)
        spec = spec_for(agent_id)
        if spec is None or agent_id in self._default_agent_ids:
            raise KeyError(f"no agent {agent_id} with generated runs")
        with self._lock:
            if created_at is None:
                created_at = self._latest_created + timedelta(minutes=1)
            self._latest_created = max(self._latest_created, created_at)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/added/{self._id_rng.getrandbits(64)}")
            updated = created_at
            if state.finished:
                updated = created_at + timedelta(milliseconds=round(rng.uniform(3, 300) * 1000))
            run, facts = new_run(spec, rng=rng, created_at=created_at, status=state.value, updated_at=updated)
            error = None
            if state is ExtractState.SUCCESS:
                fill_result(run, spec=spec, facts=facts, rng=rng, partial=partial)
            elif state is ExtractState.ERROR:
                error = run["error"] = error_text(rng, file_name=run["file"]["name"])
            self._store_run(run, facts)
            self._store_job(run["job_id"], run, job_status_for(state.value, partial=partial), error)
            return json.loads(dumps(run))  # type: ignore[no-any-return]

    def delete_run(self, run_id: str) -> None:
        """Delete a run, as ``DELETE /runs/{id}`` does; its job stays (§10.10). KeyError if unknown."""
        with self._lock:
            self._entry(run_id)
            del self._runs[run_id]
            self._run_index = None
            self._completions.pop(run_id, None)

    def schedule_completion(self, run_id: str, *, after_polls: int, outcome: str = "SUCCESS") -> None:
        """Let an unfinished run finish by itself after it has been read ``after_polls`` times.

        A read is a GET of the run, its run-by-job, its job or its job result. The first
        ``after_polls`` reads see the run unfinished; the next one sees it finished with ``outcome``
        (``"SUCCESS"``, ``"PARTIAL_SUCCESS"``, ``"ERROR"`` or ``"CANCELLED"``). This is the
        "job PENDING for n polls" scenario.
        """
        if outcome not in ("SUCCESS", "PARTIAL_SUCCESS", "ERROR", "CANCELLED"):
            raise ValueError(f"unknown outcome {outcome!r}")
        if after_polls < 0:
            raise ValueError("after_polls must be >= 0")
        with self._lock:
            if ExtractState(self._entry(run_id).run["status"]).finished:
                raise ValueError(f"run {run_id} is already finished")
            self._completions[run_id] = (after_polls, outcome)

    def _on_read(self, run_id: str) -> None:
        """Count a read of a run with a scheduled completion; finish it when its polls are used up."""
        pending = self._completions.get(run_id)
        if pending is None:
            return
        remaining, outcome = pending
        if remaining > 0:
            self._completions[run_id] = (remaining - 1, outcome)
            return
        if outcome in ("SUCCESS", "PARTIAL_SUCCESS"):
            self.complete_run(run_id, partial=outcome == "PARTIAL_SUCCESS")
        else:
            self.fail_run(run_id, cancelled=outcome == "CANCELLED")

    # ----------------------------------------------------------------------------------------------
    # Faults and the request log
    # ----------------------------------------------------------------------------------------------

    def script_faults(self, method: str, path_prefix: str, faults: Sequence[FaultSpec]) -> None:
        """Make the next requests matching ``method`` and ``path_prefix`` fail in order, then behave.

        Args:
            method: HTTP method, or ``"*"`` for any.
            path_prefix: matched against the start of the URL path.
            faults: one fault per matching request, e.g. ``[503, 503]`` or ``[429, "drop"]``.

        Examples:
            >>> app = EmulatorApp(build_dataset(8))
            >>> app.script_faults("GET", "/api/v1/extraction/runs", [503, 503])
        """
        checked = deque(_check_fault(f) for f in faults)
        with self._lock:
            self._scripts.append(_Script(method.upper(), path_prefix, checked))

    def clear_faults(self) -> None:
        """Forget all scripted faults that have not fired yet."""
        with self._lock:
            self._scripts.clear()

    def _draw_fault(self, method: str, path: str) -> FaultSpec | None:
        with self._lock:
            for script in self._scripts:
                if script.faults and script.method in ("*", method) and path.startswith(script.prefix):
                    fault = script.faults.popleft()
                    if not script.faults:
                        self._scripts.remove(script)
                    return fault
            if self.fault_rate > 0 and self._fault_rng.random() < self.fault_rate:
                return self._fault_rng.choice(self.faults)
        return None

    @property
    def request_log(self) -> list[RequestRecord]:
        """The requests seen so far (oldest first, at most ``log_size``)."""
        with self._lock:
            return list(self._log)

    @property
    def request_count(self) -> int:
        """How many requests the app has received (including dropped ones)."""
        with self._lock:
            return self._request_count

    def reset_request_log(self) -> None:
        """Empty the request log and zero the request counter."""
        with self._lock:
            self._log.clear()
            self._request_count = 0

    def _fault_response(self, fault: int) -> _Response:
        if fault == HTTPStatus.TOO_MANY_REQUESTS:
            headers = []
            if self.retry_after is not None:
                value = self.retry_after
                headers.append(
                    ("retry-after", str(int(value)) if float(value).is_integer() else repr(float(value)))
                )
            return _detail(429, "Too many requests", headers)
        if fault >= 500:
            return _detail(fault, _INTERNAL)
        return _detail(fault, HTTPStatus(fault).phrase)

    # ----------------------------------------------------------------------------------------------
    # WSGI entry point
    # ----------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request (WSGI)."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO") or "/")
        query = str(environ.get("QUERY_STRING") or "")
        retry_count = environ.get("HTTP_X_STAINLESS_RETRY_COUNT")
        fault = self._draw_fault(method, path)
        fault_name = None if fault is None else str(fault)
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        if fault == "drop":
            self._record(RequestRecord(method, path, query, None, fault_name, retry_count))
            raise DropConnection
        if fault == "slow":
            time.sleep(self.slow_ms / 1000)
        if isinstance(fault, int):
            response = self._fault_response(fault)
        else:
            response = self._handle(method, path, query, environ)
        self._record(RequestRecord(method, path, query, response.status, fault_name, retry_count))
        status = HTTPStatus(response.status)
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        start_response(f"{status.value} {status.phrase}", headers)
        return [b""] if method == "HEAD" else [response.body]

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._request_count += 1
            self._log.append(record)

    def _handle(self, method: str, path: str, query: str, environ: WSGIEnvironment) -> _Response:
        match = _route(path)
        if match is None:
            if path != "/" and path.endswith("/") and _route(path.rstrip("/")) is not None:
                location = quote(path.rstrip("/")) + (f"?{query}" if query else "")
                return _Response(307, b"", [("location", location)])
            return _detail(404, "Not Found")
        handlers, path_params = match
        allowed = set(handlers) | ({"HEAD"} if "GET" in handlers else set())
        if method not in allowed:
            return _detail(405, "Method Not Allowed", [("allow", ", ".join(sorted(allowed)))])
        denied = self._check_auth(environ.get("HTTP_AUTHORIZATION"))
        if denied is not None:
            return denied
        params = _Params(path_params, dict(parse_qsl(query, keep_blank_values=True)))
        handler = handlers["GET" if method == "HEAD" else method]
        return handler(self, params)

    def _check_auth(self, header: Any) -> _Response | None:
        challenge = [("www-authenticate", "Bearer")]
        scheme, _, credentials = str(header or "").strip().partition(" ")
        credentials = credentials.strip()
        if not scheme or not credentials:
            return _detail(401, "Not authenticated", challenge)
        if scheme.lower() != "bearer":
            return _detail(401, "Invalid authentication credentials", challenge)
        if not hmac.compare_digest(hashlib.sha256(credentials.encode()).digest(), self._key_digest):
            return _detail(401, "Invalid authentication token", challenge)
        return None

    # ----------------------------------------------------------------------------------------------
    # Handlers
    # ----------------------------------------------------------------------------------------------

    @staticmethod
    def _scope(params: _Params) -> _Response | None:
        """Validate the optional project/organization params; 403 for ones the key cannot see."""
        project = params.query_uuid("project_id")
        organization = params.query_uuid("organization_id")
        if params.errors:
            return _detail(422, params.errors)
        if (project is not None and project != PROJECT_ID) or (
            organization is not None and organization != ORGANIZATION_ID
        ):
            return _detail(403, _NO_ACCESS)
        return None

    def _list_runs(self, params: _Params) -> _Response:
        agent_id = params.query_uuid("extraction_agent_id", required=True)
        skip = params.query_int("skip", 0)
        limit = params.query_int("limit", 25)
        status = params.query_state("status")
        run_id = params.query.get("run_id")
        if params.errors:
            return _detail(422, params.errors)
        assert agent_id is not None
        with self._lock:
            if agent_id not in self._agents:
                return _detail(404, _NOT_FOUND_AGENT)
            entries = [self._runs[i] for i in self._runs_of(agent_id)]
        if status is not None:
            entries = [e for e in entries if e.run["status"] == status]
        if run_id is not None:
            entries = [e for e in entries if e.run["id"] == run_id.strip().lower()]
        page = entries[skip : skip + limit]
        body = b'{"items":[%s],"total":%d,"skip":%d,"limit":%d}' % (
            b",".join(e.body for e in page),
            len(entries),
            skip,
            limit,
        )
        return _json_response(200, body)

    def _get_run(self, params: _Params) -> _Response:
        run_id = params.path_uuid("run_id")
        denied = self._scope(params)
        if denied is not None:
            return denied
        assert run_id is not None
        with self._lock:
            self._on_read(run_id)
            entry = self._runs.get(run_id)
        return _detail(404, _NOT_FOUND_RUN) if entry is None else _json_response(200, entry.body)

    def _get_run_by_job(self, params: _Params) -> _Response:
        job_id = params.path_uuid("job_id")
        denied = self._scope(params)
        if denied is not None:
            return denied
        assert job_id is not None
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._on_read(job.run_id)
            entry = None if job is None else self._runs.get(job.run_id)
        return _detail(404, _NOT_FOUND_RUN) if entry is None else _json_response(200, entry.body)

    def _delete_run(self, params: _Params) -> _Response:
        run_id = params.path_uuid("run_id")
        denied = self._scope(params)
        if denied is not None:
            return denied
        assert run_id is not None
        with self._lock:
            if run_id not in self._runs:
                return _detail(404, _NOT_FOUND_RUN)
            self.delete_run(run_id)
        return _json_response(200, b"{}")

    def _list_agents(self, params: _Params) -> _Response:
        include_default = params.query_bool("include_default", False)
        denied = self._scope(params)
        if denied is not None:
            return denied
        agents = [
            a for a in self._agents.values() if include_default or a["id"] not in self._default_agent_ids
        ]
        agents.sort(key=lambda a: (a["created_at"] or "", a["id"]), reverse=True)
        return _json_response(200, b"[" + b",".join(self._agent_bodies[a["id"]] for a in agents) + b"]")

    def _get_agent(self, params: _Params) -> _Response:
        agent_id = params.path_uuid("extraction_agent_id")
        if params.errors:
            return _detail(422, params.errors)
        assert agent_id is not None
        body = self._agent_bodies.get(agent_id)
        return _detail(404, _NOT_FOUND_AGENT) if body is None else _json_response(200, body)

    def _list_jobs(self, params: _Params) -> _Response:
        agent_id = params.query_uuid("extraction_agent_id", required=True)
        if params.errors:
            return _detail(422, params.errors)
        assert agent_id is not None
        with self._lock:
            if agent_id not in self._agents:
                return _detail(404, _NOT_FOUND_AGENT)
            bodies = [self._jobs[i].body for i in self._jobs_of(agent_id)]
        return _json_response(200, b"[" + b",".join(bodies) + b"]")

    def _get_job(self, params: _Params) -> _Response:
        job_id = params.path_uuid("job_id")
        if params.errors:
            return _detail(422, params.errors)
        assert job_id is not None
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._on_read(job.run_id)
                job = self._jobs[job_id]
        return _detail(404, _NOT_FOUND_JOB) if job is None else _json_response(200, job.body)

    def _get_job_result(self, params: _Params) -> _Response:
        job_id = params.path_uuid("job_id")
        denied = self._scope(params)
        if denied is not None:
            return denied
        assert job_id is not None
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _detail(404, _NOT_FOUND_JOB)
            self._on_read(job.run_id)
            body = self._result_body(self._jobs[job_id])
        if body is None:
            return _detail(
                404,
                f"Result for Extraction Job {job_id} not found. Check job status to see if it has completed.",
            )
        return _json_response(200, body)


def _check_fault(fault: FaultSpec) -> FaultSpec:
    if isinstance(fault, bool) or not isinstance(fault, int | str):
        raise ValueError(f"unknown fault {fault!r}")
    if isinstance(fault, int) and not 400 <= fault <= 599:
        raise ValueError(f"fault status must be 4xx or 5xx, not {fault}")
    if isinstance(fault, str) and fault not in ("drop", "slow"):
        raise ValueError(f"unknown fault {fault!r}: use an HTTP status, 'drop' or 'slow'")
    return fault


_API = "/api/v1/extraction"
_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(rf"^{_API}/runs$"), {"GET": EmulatorApp._list_runs}),
    (re.compile(rf"^{_API}/runs/by-job/(?P<job_id>[^/]+)$"), {"GET": EmulatorApp._get_run_by_job}),
    (
        re.compile(rf"^{_API}/runs/(?P<run_id>[^/]+)$"),
        {"GET": EmulatorApp._get_run, "DELETE": EmulatorApp._delete_run},
    ),
    (re.compile(rf"^{_API}/extraction-agents$"), {"GET": EmulatorApp._list_agents}),
    (
        re.compile(rf"^{_API}/extraction-agents/(?P<extraction_agent_id>[^/]+)$"),
        {"GET": EmulatorApp._get_agent},
    ),
    (re.compile(rf"^{_API}/jobs$"), {"GET": EmulatorApp._list_jobs}),
    (re.compile(rf"^{_API}/jobs/(?P<job_id>[^/]+)$"), {"GET": EmulatorApp._get_job}),
    (re.compile(rf"^{_API}/jobs/(?P<job_id>[^/]+)/result$"), {"GET": EmulatorApp._get_job_result}),
]


def _route(path: str) -> tuple[dict[str, Handler], dict[str, str]] | None:
    for pattern, handlers in _ROUTES:
        found = pattern.match(path)
        if found is not None:
            return handlers, found.groupdict()
    return None
