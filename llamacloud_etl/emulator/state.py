"""The emulator's in-memory state: the agents, runs and jobs it serves, and the mutators that change them.

Runs, jobs and agents are serialized once, when they are created or change, so answering a request is
a dict lookup and a ``bytes.join``. Stored JSON dicts are never mutated: every mutator works on a fresh
copy parsed from the stored body and stores a new entry, so the data set's dicts are shared, not copied.

Every public method takes :attr:`EmulatorState.lock`; handlers that read several entries take it
themselves so that they see one consistent state. A "read" of a run (see :meth:`~EmulatorState.on_read`)
counts toward its scheduled completion, whichever API version serves it.

Examples:
    >>> from llamacloud_etl.emulator.dataset import build_dataset
    >>> dataset = build_dataset(20)
    >>> state = EmulatorState(dataset)
    >>> run_id = dataset.runs_with_status("PENDING")[0]["id"]
    >>> state.complete_run(run_id)["status"], state.job(dataset.run(run_id)["job_id"])["status"]
    ('SUCCESS', 'SUCCESS')
    >>> state.delete_run(run_id)
    >>> state.run_entry(run_id) is None, state.run_count
    (True, 19)
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from llamacloud_etl.emulator.agents import spec_for
from llamacloud_etl.emulator.dataset import Dataset
from llamacloud_etl.emulator.plans import RunPlan
from llamacloud_etl.emulator.runs import RunFacts, added_run, complete, fail
from llamacloud_etl.emulator.v2state import V2Store
from llamacloud_etl.emulator.wire import (
    JSON,
    dumps,
    format_timestamp,
    job_json,
    job_status_for,
    parse_timestamp,
)
from llamacloud_etl.models import ExtractState, JobStatus

_OUTCOMES = ("SUCCESS", "PARTIAL_SUCCESS", "ERROR", "CANCELLED")


@dataclass
class RunEntry:
    """A stored run: its wire JSON (never mutated), the exact bytes served, and its generation facts."""

    run: JSON
    body: bytes
    facts: RunFacts
    sort_key: tuple[str, str]

    @property
    def agent_id(self) -> str:
        """The run's agent."""
        return str(self.run["extraction_agent_id"])


class LazyRunEntry:
    """A run of a lazy data set (see :mod:`.dataset`): generated from its plan each time it is read."""

    __slots__ = ("_dataset", "_plan", "agent_id", "sort_key")

    def __init__(self, dataset: Dataset, plan: RunPlan) -> None:
        self._dataset = dataset
        self._plan = plan
        self.agent_id = plan.spec.id
        self.sort_key = (plan.created.isoformat(), f"{plan.index:012d}")

    @property
    def run(self) -> JSON:
        """The run's wire JSON, generated anew."""
        return self._dataset.generate(self._plan)[0]

    @property
    def body(self) -> bytes:
        """The run's wire bytes, generated anew."""
        return dumps(self.run)

    @property
    def facts(self) -> RunFacts:
        """The run's generation facts."""
        return self._dataset.generate(self._plan)[2]


@dataclass
class JobEntry:
    """A stored job: its wire JSON, the bytes served, its run and agent, and its result set once built."""

    job: JSON
    body: bytes
    run_id: str
    agent_id: str
    sort_key: tuple[str, str]
    result_body: bytes | None = None


class EmulatorState:
    """The agents, runs and jobs an emulator serves, with the mutators tests and demos use.

    Args:
        dataset: the data set to start from; the state never changes it.
        seed: seeds the results of completed runs and the ids of added runs.

    Attributes:
        dataset: the data set the state started from.
        seed: the seed given.
        lock: the re-entrant lock every read and mutation holds.
        agents: every agent (listed and default) by id; read-only.
        agent_bodies: each agent's wire bytes by id; read-only.
        default_agent_ids: the agents listed only on request; read-only.
        v2: the v2 jobs and configurations, with their mutators (:class:`~.v2state.V2Store`).
    """

    def __init__(self, dataset: Dataset, *, seed: int = 0) -> None:
        self.dataset = dataset
        self.seed = seed
        self.lock = threading.RLock()
        self._id_rng = random.Random(f"llamacloud-emulator/{seed}/added-runs")
        self._completions: dict[str, tuple[int, str]] = {}
        self.agents: dict[str, JSON] = {a["id"]: a for a in (*dataset.agents, *dataset.default_agents)}
        self.agent_bodies = {agent_id: dumps(agent) for agent_id, agent in self.agents.items()}
        self.default_agent_ids = {a["id"] for a in dataset.default_agents}
        self._runs: dict[str, RunEntry | LazyRunEntry] = {}
        self._jobs: dict[str, JobEntry] = {}
        self._latest_created = dataset.end
        for plan in dataset.plans:  # a lazy data set: listed by plan, not by id
            self._runs[f"lazy-{plan.index}"] = LazyRunEntry(dataset, plan)
        for run, job in zip(dataset.runs, dataset.jobs, strict=True):
            sort_key = (run["created_at"], run["id"])
            self._runs[run["id"]] = RunEntry(run, dataset.body(run["id"]), dataset.facts[run["id"]], sort_key)
            self._jobs[job["id"]] = JobEntry(
                job, dataset.body(job["id"]), run["id"], run["extraction_agent_id"], sort_key
            )
        self._run_index: dict[str, list[RunEntry | LazyRunEntry]] | None = None
        self._job_index: dict[str, list[str]] | None = None
        self.v2 = V2Store(dataset, seed=seed, lock=self.lock)

    # ----------------------------------------------------------------------------------------------
    # Reads
    # ----------------------------------------------------------------------------------------------

    @property
    def run_count(self) -> int:
        """How many runs are currently served (deleted ones excluded)."""
        with self.lock:
            return len(self._runs)

    @property
    def run_ids(self) -> list[str]:
        """Ids of all runs currently served (deleted ones excluded), newest first."""
        with self.lock:
            return [e.run["id"] for e in sorted(self._runs.values(), key=lambda e: e.sort_key, reverse=True)]

    def run(self, run_id: str) -> JSON:
        """The run's current wire JSON (a copy). Raises KeyError for unknown or deleted runs."""
        with self.lock:
            return json.loads(self._existing(run_id).body)  # type: ignore[no-any-return]

    def job(self, job_id: str) -> JSON:
        """The job's current wire JSON (a copy). Raises KeyError for unknown jobs."""
        with self.lock:
            return json.loads(self._jobs[job_id].body)  # type: ignore[no-any-return]

    def run_entry(self, run_id: str) -> RunEntry | LazyRunEntry | None:
        """The stored run, or None for unknown or deleted runs."""
        with self.lock:
            return self._runs.get(run_id)

    def job_entry(self, job_id: str) -> JobEntry | None:
        """The stored job, or None for unknown jobs."""
        with self.lock:
            return self._jobs.get(job_id)

    def runs_of(self, agent_id: str) -> list[RunEntry | LazyRunEntry]:
        """The agent's stored runs, newest first (``created_at`` desc, then id desc)."""
        with self.lock:
            if self._run_index is None:
                index: dict[str, list[RunEntry | LazyRunEntry]] = {}
                for entry in sorted(self._runs.values(), key=lambda e: e.sort_key, reverse=True):
                    index.setdefault(entry.agent_id, []).append(entry)
                self._run_index = index
            return list(self._run_index.get(agent_id, ()))

    def jobs_of(self, agent_id: str) -> list[JobEntry]:
        """The agent's stored jobs, newest run first; a deleted run's job stays."""
        with self.lock:
            if self._job_index is None:
                index: dict[str, list[str]] = {}
                for entry in sorted(self._jobs.values(), key=lambda e: e.sort_key, reverse=True):
                    index.setdefault(entry.agent_id, []).append(entry.job["id"])
                self._job_index = index
            return [self._jobs[i] for i in self._job_index.get(agent_id, [])]

    def result_body(self, job: JobEntry) -> bytes | None:
        """The job's result set, serialized on first use; None when there is no result (yet)."""
        if job.job["status"] not in (JobStatus.SUCCESS, JobStatus.PARTIAL_SUCCESS):
            return None
        with self.lock:
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
                        # The result set never has null metadata, even where the run has.
                        "extraction_metadata": run["extraction_metadata"] or {},
                    }
                )
            return job.result_body

    def on_read(self, run_id: str) -> None:
        """Count a read of a run with a scheduled completion; finish it when its polls are used up."""
        with self.lock:
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
    # Mutators
    # ----------------------------------------------------------------------------------------------

    def complete_run(self, run_id: str, *, partial: bool = False) -> JSON:
        """Finish a CREATED or PENDING run as SUCCESS with generated data and metadata.

        The result is deterministic (seeded by the state's seed and the run id); ``updated_at`` moves a
        few seconds to minutes past ``created_at``. The job becomes SUCCESS, or PARTIAL_SUCCESS with
        ``partial=True`` (some fields null, a root ``field_metadata.error``).

        Returns:
            The run's new wire JSON.

        Raises:
            KeyError: unknown or deleted run.
            ValueError: the run is already finished.
        """
        with self.lock:
            entry, run = self._unfinished(run_id)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/complete/{run_id}")
            complete(run, facts=entry.facts, rng=rng, partial=partial)
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
        with self.lock:
            entry, run = self._unfinished(run_id)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/fail/{run_id}")
            fail(run, rng=rng, error=error, cancelled=cancelled)
            self._store_run(run, entry.facts)
            self._store_job(
                run["job_id"], run, job_status_for(run["status"], cancelled=cancelled), run["error"]
            )
            self._completions.pop(run_id, None)
            return json.loads(dumps(run))  # type: ignore[no-any-return]

    def start_run(self, run_id: str) -> JSON:
        """Move a CREATED run to PENDING (its job stays PENDING). Raises ValueError for other states."""
        with self.lock:
            entry = self._existing(run_id)
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
        if spec is None or agent_id in self.default_agent_ids:
            raise KeyError(f"no agent {agent_id} with generated runs")
        with self.lock:
            if created_at is None:
                created_at = self._latest_created + timedelta(minutes=1)
            self._latest_created = max(self._latest_created, created_at)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/added/{self._id_rng.getrandbits(64)}")
            run, facts = added_run(spec, rng=rng, created_at=created_at, status=state, partial=partial)
            self._store_run(run, facts)
            self._store_job(run["job_id"], run, job_status_for(state.value, partial=partial), run["error"])
            return json.loads(dumps(run))  # type: ignore[no-any-return]

    def delete_run(self, run_id: str) -> None:
        """Delete a run, as ``DELETE /runs/{id}`` does; its job stays. KeyError if unknown."""
        with self.lock:
            self._existing(run_id)
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
        if outcome not in _OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        if after_polls < 0:
            raise ValueError("after_polls must be >= 0")
        with self.lock:
            if ExtractState(self._existing(run_id).run["status"]).finished:
                raise ValueError(f"run {run_id} is already finished")
            self._completions[run_id] = (after_polls, outcome)

    # ----------------------------------------------------------------------------------------------
    # Storage
    # ----------------------------------------------------------------------------------------------

    def _unfinished(self, run_id: str) -> tuple[RunEntry | LazyRunEntry, JSON]:
        """The entry of a run that is not finished yet, and its wire JSON as a fresh dict."""
        entry = self._existing(run_id)
        run: JSON = json.loads(entry.body)
        if ExtractState(run["status"]).finished:
            raise ValueError(f"run {run_id} is already {run['status']}")
        return entry, run

    def _existing(self, run_id: str) -> RunEntry | LazyRunEntry:
        try:
            return self._runs[run_id]
        except KeyError:
            raise KeyError(f"no run {run_id}") from None

    def _store_run(self, run: JSON, facts: RunFacts) -> None:
        self._runs[run["id"]] = RunEntry(run, dumps(run), facts, (run["created_at"], run["id"]))
        self._run_index = None

    def _store_job(self, job_id: str, run: JSON, status: str, error: str | None) -> None:
        agent = self.agents[run["extraction_agent_id"]]
        job = job_json(job_id=job_id, agent=agent, status=status, error=error, run=run)
        # The embedded agent is serialized once and spliced in: jobs are many, agents few.
        without_agent = dumps({**job, "extraction_agent": None})
        body = without_agent.replace(
            b'"extraction_agent":null', b'"extraction_agent":' + self.agent_bodies[agent["id"]], 1
        )
        self._jobs[job_id] = JobEntry(
            job, body, run["id"], run["extraction_agent_id"], (run["created_at"], run["id"])
        )
        self._job_index = None
