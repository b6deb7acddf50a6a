"""Fetch many runs or jobs by ID with bounded parallelism, yielding results as they complete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from llamacloud_etl.errors import InvalidIdError, LlamaCloudError
from llamacloud_etl.models import ExtractRun, validate_id
from llamacloud_etl.models_v2 import ExtractV2Job

T = TypeVar("T")
F = TypeVar("F")

Outcome = Callable[[str, T | None, LlamaCloudError | None], F]
"""Builds one result from ``(id, value, error)``: :class:`RunFetch` or :class:`JobFetch`."""


@dataclass(frozen=True, slots=True)
class RunFetch:
    """One outcome of :meth:`LlamaCloudClient.fetch_runs`: exactly one of ``run`` and ``error`` is set.

    Attributes:
        run_id: The canonical (lower-case) run ID; for an ID that failed validation, the input as given.
        run: The run, when the fetch succeeded.
        error: Why it did not (:class:`InvalidIdError`, :class:`NotFoundError`, an exhausted
            :class:`RetriableAPIError`, :class:`PayloadError`, ...).
    """

    run_id: str
    run: ExtractRun | None
    error: LlamaCloudError | None

    @property
    def ok(self) -> bool:
        """True when the run was fetched."""
        return self.run is not None


@dataclass(frozen=True, slots=True)
class JobFetch:
    """One outcome of :meth:`ExtractV2Client.fetch_jobs`: exactly one of ``job`` and ``error`` is set.

    Attributes:
        job_id: The job ID (``ext-...``), as given.
        job: The job, when the fetch succeeded.
        error: Why it did not, as for :class:`RunFetch`.
    """

    job_id: str
    job: ExtractV2Job | None
    error: LlamaCloudError | None

    @property
    def ok(self) -> bool:
        """True when the job was fetched."""
        return self.job is not None


def fetch_concurrently(
    get_run: Callable[[str], ExtractRun], run_ids: Iterator[str], limit: int
) -> Iterator[RunFetch]:
    """:func:`fetch_each` for runs: ``get_run`` per valid run ID, a :class:`RunFetch` per ID."""
    return fetch_each(get_run, run_ids, limit, validate=partial(validate_id, kind="run"), outcome=RunFetch)


def fetch_each(
    get: Callable[[str], T],
    ids: Iterator[str],
    limit: int,
    *,
    validate: Callable[[str], str],
    outcome: Outcome[T, F],
) -> Iterator[F]:
    """Call ``get`` for each valid ID on ``limit`` threads; yield ``outcome(id, value, error)`` per ID.

    At most ``limit`` calls are submitted and not yet yielded at any time, and ``ids`` is
    only advanced when one completes, so memory is bounded by ``limit`` whatever the input size.
    IDs that ``validate`` rejects are yielded at once, without a call. :class:`LlamaCloudError`
    from ``get`` is a result; anything else (a bug) propagates to the consumer.
    """
    pending: set[Future[F]] = set()
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="llamacloud-fetch") as pool:
        try:
            for raw in ids:
                try:
                    checked = validate(raw)
                except InvalidIdError as exc:
                    yield outcome(str(raw), None, exc)
                    continue
                pending.add(pool.submit(_fetch_one, get, checked, outcome))
                if len(pending) >= limit:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            # The consumer stopped early (or raised): drop what has not started; leaving the
            # pool then waits only for the few calls already in flight.
            for future in pending:
                future.cancel()


def _fetch_one(get: Callable[[str], T], key: str, outcome: Outcome[T, F]) -> F:
    try:
        return outcome(key, get(key), None)
    except LlamaCloudError as exc:
        return outcome(key, None, exc)
