"""Landing spread over worker processes: the same files as in one process, errors raised whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from landing_fakes import KEY as API_KEY

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorServer
from llamacloud_etl.errors import StorageError
from llamacloud_etl.landing import DayResult, LandingReport, Verification, land_days, verify
from llamacloud_etl.settings import ApiSettings
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore

STAMP = datetime(2026, 11, 1, tzinfo=UTC)
PAGE_SIZE = 10
"""Small pages, so every agent's listing spans many pages and days complete across page boundaries."""


def first_last(dataset: Dataset) -> tuple[date, date]:
    """The first and last day of the data set's history."""
    return dataset.start, dataset.start + timedelta(days=dataset.days - 1)


def _land(
    server: EmulatorServer, dataset: Dataset, root: Path, processes: int, **kwargs: object
) -> LandingReport:
    settings = ApiSettings(
        api_key=API_KEY, base_url=server.url, max_concurrency=8, max_retries=5, page_size=PAGE_SIZE
    )
    first, last = first_last(dataset)
    with V1Source.connect(settings) as source:
        return land_days(
            source,
            ParquetStore(str(root)),
            first,
            last,
            fetched_at=STAMP,
            processes=processes,
            settings=settings,
            **kwargs,  # type: ignore[arg-type]
        )


def _files(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_workers_write_the_same_files_as_one_process(
    server: EmulatorServer, dataset: Dataset, tmp_path: Path
) -> None:
    """Two worker processes land byte-identical files, and the same counts, as one process does."""
    alone = _land(server, dataset, tmp_path / "one", 1)
    spread = _land(server, dataset, tmp_path / "two", 2)
    assert _files(tmp_path / "one") and _files(tmp_path / "one") == _files(tmp_path / "two")
    counts = ("listed", "fetched", "success", "errored", "pending", "records", "off_schema_values")
    assert [getattr(spread, c) for c in counts] == [getattr(alone, c) for c in counts]
    assert [(d.day, d.runs_landed, d.pending_ids) for d in spread.days] == [
        (d.day, d.runs_landed, d.pending_ids) for d in alone.days
    ]


def test_workers_read_back_what_they_wrote(server: EmulatorServer, dataset: Dataset, tmp_path: Path) -> None:
    """Each worker reads its own agents' days back; together, every run landed, as a verify finds."""
    report = _land(server, dataset, tmp_path, 2)
    assert report.read_back.runs_read == report.success + report.errored > 0
    assert Verification.of(report) == verify(report, ParquetStore(str(tmp_path)))


def test_workers_report_their_requests(server: EmulatorServer, dataset: Dataset, tmp_path: Path) -> None:
    """The requests made by the workers' own clients are counted in the report."""
    report = _land(server, dataset, tmp_path, 2)
    assert report.api_requests >= len(report.agents)  # at least one listing page per agent


def test_progress_comes_from_every_worker(server: EmulatorServer, dataset: Dataset, tmp_path: Path) -> None:
    """Progress is called once per day and worker group, counting up to the announced total."""
    calls: list[tuple[date, int, int]] = []

    def progress(result: DayResult, done: int, total: int) -> None:
        calls.append((result.day, done, total))

    _land(server, dataset, tmp_path, 2, progress=progress)
    total = calls[0][2]
    assert total == dataset.days * 2
    assert [done for _, done, _ in calls] == list(range(1, total + 1))
    assert {day for day, _, _ in calls} == set(_days(dataset))


def test_a_worker_error_fails_the_landing_with_its_own_type(
    server: EmulatorServer, dataset: Dataset, tmp_path: Path
) -> None:
    """A worker that cannot write raises StorageError in the caller, naming the path, never the key."""
    root = tmp_path / "lake"
    root.mkdir()
    (root / "agents").write_text("a file where the agents' folder should be")
    with pytest.raises(StorageError, match="agents") as info:
        _land(server, dataset, root, 2)
    assert API_KEY not in str(info.value)


def _days(dataset: Dataset) -> list[date]:
    first, last = first_last(dataset)
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def test_one_agent_is_cut_into_day_slices_over_workers(
    server: EmulatorServer, dataset: Dataset, tmp_path: Path
) -> None:
    """One agent over two processes lands its days in queued slices (4 here): the files of one process."""
    with LlamaCloudClient(API_KEY, server.url) as client:
        name = client.list_agents()[0].name
    alone = _land(server, dataset, tmp_path / "one", 1, agents_allow=[name])
    sliced = _land(server, dataset, tmp_path / "two", 2, agents_allow=[name])
    assert sliced.api_requests > 0  # a worker listed its slice
    assert _files(tmp_path / "one") and _files(tmp_path / "one") == _files(tmp_path / "two")
    assert (sliced.success, sliced.pending) == (alone.success, alone.pending)


def test_one_day_of_one_agent_lands_in_the_calling_process(
    server: EmulatorServer, dataset: Dataset, tmp_path: Path
) -> None:
    """A single agent over a single day leaves nothing to share out: no worker is started."""
    settings = ApiSettings(api_key=API_KEY, base_url=server.url, page_size=PAGE_SIZE)
    with LlamaCloudClient(API_KEY, server.url) as client:
        name = client.list_agents()[0].name
    day = dataset.start + timedelta(days=3)
    with V1Source.connect(settings) as source:
        report = land_days(
            source, ParquetStore(str(tmp_path)), day, day, agents_allow=[name], processes=2, settings=settings
        )
    assert report.api_requests == 0 and len(report.days) == 1
