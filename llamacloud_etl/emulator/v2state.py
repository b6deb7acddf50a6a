"""The v2 jobs and saved configurations an emulator serves, and the mutators that change the jobs.

Like :class:`~.state.EmulatorState` (which owns one :class:`V2Store` as ``state.v2`` and shares its
lock), stored job dicts are never mutated: a mutator finishes a fresh copy of the extraction with the
same machinery as the v1 mutators (:func:`.runs.complete`, :func:`.runs.fail`, :func:`.runs.added_run`)
and stores a new entry. A job's bytes are serialized on first use, once per ``expand`` combination.

Examples:
    >>> import threading
    >>> from llamacloud_etl.emulator.dataset import build_dataset
    >>> dataset = build_dataset(20, v2_from=build_dataset(20).start)
    >>> store = V2Store(dataset, seed=0, lock=threading.RLock())
    >>> job_id = dataset.v2_jobs_with_status("RUNNING")[0]["id"]
    >>> store.complete_job(job_id)["status"]
    'COMPLETED'
    >>> store.delete_job(job_id)
    >>> store.entry(job_id) is None, store.count
    (True, 19)
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from llamacloud_etl.emulator.agents import spec_for
from llamacloud_etl.emulator.dataset import Dataset
from llamacloud_etl.emulator.runs import added_run, complete, fail
from llamacloud_etl.emulator.v2wire import (
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    UNFINISHED,
    V2Extraction,
    job_view,
    sort_key,
    v2_job_json,
)
from llamacloud_etl.emulator.wire import JSON, dumps, parse_timestamp
from llamacloud_etl.models import ExtractState

_RUN_STATE = {
    "PENDING": ExtractState.CREATED,
    "THROTTLED": ExtractState.CREATED,
    "RUNNING": ExtractState.PENDING,
    COMPLETED: ExtractState.SUCCESS,
    FAILED: ExtractState.ERROR,
}


@dataclass
class V2Entry:
    """A stored v2 job: its full wire JSON (never mutated), what it was made of, its list sort key."""

    job: JSON
    extraction: V2Extraction
    sort_key: tuple[str, str]
    created: datetime
    _bodies: dict[frozenset[str], bytes] = field(default_factory=dict)

    def body(self, expand: Collection[str]) -> bytes:
        """The job's bytes as a request with these ``expand`` values sees them."""
        key = frozenset(expand)
        body = self._bodies.get(key)
        if body is None:
            body = self._bodies[key] = dumps(job_view(self.job, key))
        return body


def _entry(job: JSON, extraction: V2Extraction) -> V2Entry:
    return V2Entry(job, extraction, sort_key(job), parse_timestamp(job["created_at"]))


class V2Store:
    """The v2 jobs and configurations served, with the mutators tests use.

    Args:
        dataset: the data set to start from; never changed.
        seed: seeds the results of completed jobs and the ids of added ones.
        lock: the state's lock, held by every read and mutation.

    Attributes:
        configurations: the saved configurations, newest first; read-only.
        configuration_bodies: each configuration's wire bytes by id; read-only.
    """

    def __init__(self, dataset: Dataset, *, seed: int, lock: threading.RLock) -> None:
        self.seed = seed
        self.lock = lock
        self._id_rng = random.Random(f"llamacloud-emulator/{seed}/added-v2-jobs")
        self._latest_created = dataset.end
        self._entries = {job["id"]: _entry(job, dataset.v2_extractions[job["id"]]) for job in dataset.v2_jobs}
        self._order: list[V2Entry] | None = None
        self._chronological = False
        self.configurations = dataset.configurations
        self.configuration_bodies = {c["id"]: dumps(c) for c in dataset.configurations}

    @property
    def count(self) -> int:
        """How many v2 jobs are served (deleted ones excluded)."""
        with self.lock:
            return len(self._entries)

    def entries(self) -> list[V2Entry]:
        """Every stored job, newest first (``created_at`` desc, then id desc)."""
        with self.lock:
            if self._order is None:
                order = sorted(self._entries.values(), key=lambda e: e.sort_key, reverse=True)
                self._chronological = all(a.created >= b.created for a, b in pairwise(order))
                self._order = order
            return self._order

    @property
    def chronological(self) -> bool:
        """Whether :meth:`entries` is also newest first by parsed ``created`` (so a date range is a slice)."""
        with self.lock:
            self.entries()
            return self._chronological

    def entry(self, job_id: str) -> V2Entry | None:
        """The stored job, or None for unknown or deleted ones."""
        with self.lock:
            return self._entries.get(job_id)

    def job(self, job_id: str) -> JSON:
        """The job's full wire JSON, every expandable key filled (a copy). KeyError if unknown."""
        with self.lock:
            return json.loads(self._existing(job_id).body(("configuration", "extract_metadata", "usage")))  # type: ignore[no-any-return]

    def complete_job(self, job_id: str, *, partial: bool = False) -> JSON:
        """Finish a PENDING, THROTTLED or RUNNING job as COMPLETED with generated result and metadata.

        Seeded like :meth:`EmulatorState.complete_run`; ``partial`` nulls some fields and sets a root
        ``error`` in ``document_metadata`` (v2 has no PARTIAL_SUCCESS status). Returns the full job.
        """
        with self.lock:
            entry, run = self._unfinished(job_id)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/complete/{run['id']}")
            complete(run, facts=entry.extraction.facts, rng=rng, partial=partial)
            return self._store(run, entry, COMPLETED)

    def fail_job(self, job_id: str, error: str | None = None, *, cancelled: bool = False) -> JSON:
        """Finish an unfinished job as FAILED (``error_message`` generated unless given), or CANCELLED."""
        with self.lock:
            entry, run = self._unfinished(job_id)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/fail/{run['id']}")
            fail(run, rng=rng, error=error, cancelled=cancelled)
            return self._store(run, entry, CANCELLED if cancelled else FAILED)

    def add_job(
        self,
        agent_id: str,
        *,
        status: str = PENDING,
        created_at: datetime | None = None,
        inline: bool = False,
    ) -> JSON:
        """Add a job for one of the agents' configurations, as if it had just been submitted.

        Args:
            agent_id: the agent whose configuration (and schema) the job uses.
            status: ``PENDING``, ``THROTTLED``, ``RUNNING``, ``COMPLETED`` or ``FAILED``.
            created_at: creation time (aware); default one minute after the newest job so far.
            inline: the job ran with an inline configuration (``configuration_id`` null).

        Returns:
            The new job's full wire JSON.
        """
        spec = spec_for(agent_id)
        if status not in _RUN_STATE:
            raise ValueError(f"cannot add a job with status {status!r}")
        if spec is None or spec.weight == 0:
            raise KeyError(f"no agent {agent_id} with generated runs")
        with self.lock:
            if created_at is None:
                created_at = self._latest_created + timedelta(minutes=1)
            self._latest_created = max(self._latest_created, created_at)
            rng = random.Random(f"llamacloud-emulator/{self.seed}/added-v2/{self._id_rng.getrandbits(64)}")
            run, facts = added_run(spec, rng=rng, created_at=created_at, status=_RUN_STATE[status])
            extraction = V2Extraction(run=run, facts=facts, status=status, inline=inline)
            job = v2_job_json(extraction)
            self._entries[job["id"]] = _entry(job, extraction)
            self._order = None
            return self.job(job["id"])

    def delete_job(self, job_id: str) -> None:
        """Delete a job and its results; KeyError if unknown."""
        with self.lock:
            self._existing(job_id)
            del self._entries[job_id]
            self._order = None

    def _existing(self, job_id: str) -> V2Entry:
        try:
            return self._entries[job_id]
        except KeyError:
            raise KeyError(f"no v2 job {job_id}") from None

    def _unfinished(self, job_id: str) -> tuple[V2Entry, JSON]:
        entry = self._existing(job_id)
        if entry.extraction.status not in UNFINISHED:
            raise ValueError(f"v2 job {job_id} is already {entry.extraction.status}")
        return entry, json.loads(dumps(entry.extraction.run))

    def _store(self, run: JSON, entry: V2Entry, status: str) -> JSON:
        extraction = V2Extraction(
            run=run, facts=entry.extraction.facts, status=status, inline=entry.extraction.inline
        )
        job = v2_job_json(extraction)
        self._entries[job["id"]] = _entry(job, extraction)
        self._order = None
        return self.job(job["id"])
