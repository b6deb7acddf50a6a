"""Fetch many runs by ID with bounded parallelism, yielding results as they complete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from llamacloud_etl.errors import InvalidIdError, LlamaCloudError
from llamacloud_etl.models import ExtractRun, validate_id


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


def fetch_concurrently(
    get_run: Callable[[str], ExtractRun], run_ids: Iterator[str], limit: int
) -> Iterator[RunFetch]:
    """Call ``get_run`` for each valid ID on ``limit`` threads; yield a :class:`RunFetch` per ID.

    At most ``limit`` calls are submitted and not yet yielded at any time, and ``run_ids`` is
    only advanced when one completes, so memory is bounded by ``limit`` whatever the input size.
    Invalid IDs are yielded at once, without a call. :class:`LlamaCloudError` from ``get_run`` is a
    result; anything else (a bug) propagates to the consumer.
    """
    pending: set[Future[RunFetch]] = set()
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="llamacloud-fetch") as pool:
        try:
            for raw in run_ids:
                try:
                    run_id = validate_id(raw, "run")
                except InvalidIdError as exc:
                    yield RunFetch(str(raw), None, exc)
                    continue
                pending.add(pool.submit(_fetch_one, get_run, run_id))
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


def _fetch_one(get_run: Callable[[str], ExtractRun], run_id: str) -> RunFetch:
    try:
        return RunFetch(run_id, get_run(run_id), None)
    except LlamaCloudError as exc:
        return RunFetch(run_id, None, exc)
