"""Tests of a day over its memory budget: landed in chunks, still one whole file per table and day."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow.parquet as pq
import pytest
from landing_fakes import KEY

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import EmulatorApp, build_dataset
from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.landing import land_days
from llamacloud_etl.landing import writer as writer_module
from llamacloud_etl.landing.chunks import chunk_runs
from llamacloud_etl.landing.scheduler import DayScheduler
from llamacloud_etl.run import day_bounds
from llamacloud_etl.settings import Settings
from llamacloud_etl.sources import V1Source, select_agents
from llamacloud_etl.storage import ParquetStore

START = date(2026, 3, 1)
DAYS = 2
FETCHED_AT = datetime(2026, 3, 5, tzinfo=UTC)
TINY_BUDGET_MB = 1
"""Below the fixed part of a landing: chunks of one run, so each day below takes several."""


@pytest.fixture(scope="module")
def crowded_app() -> EmulatorApp:
    """60 runs over two days, so each day is many chunks of a tiny budget."""
    return EmulatorApp(build_dataset(60, seed=3, start=START, days=DAYS), api_key=KEY)


@pytest.fixture
def crowded(crowded_app: EmulatorApp) -> Iterator[V1Source]:
    """A v1 source over the crowded emulator, three runs a page."""
    client = LlamaCloudClient(
        api_key=KEY, base_url="http://127.0.0.1", transport=httpx.WSGITransport(app=crowded_app)
    )
    with V1Source(client, page_size=3) as running:
        yield running


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Spilled chunks go to a folder of the test's own, to see that they are removed."""
    folder = tmp_path / "spill"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _land(source: V1Source, root: Path, budget_mb: int = 512) -> ParquetStore:
    store = ParquetStore(str(root))
    last = date.fromordinal(START.toordinal() + DAYS - 1)
    land_days(source, store, START, last, fetched_at=FETCHED_AT, day_budget_mb=budget_mb)
    return store


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(store: ParquetStore, table: str) -> list[tuple[Any, ...]]:
    data = store.read_table(table)
    return sorted(tuple(repr(v) for v in row.values()) for row in data.to_pylist())


def test_a_day_over_the_budget_lands_in_chunks_with_the_same_rows(crowded: V1Source, tmp_path: Path) -> None:
    """A day over its budget lands in row groups of one file per table-day, with a whole landing's rows."""
    assert chunk_runs(TINY_BUDGET_MB) == 1
    whole = _land(crowded, tmp_path / "whole")
    chunked = _land(crowded, tmp_path / "chunked", TINY_BUDGET_MB)
    tables = whole.list_tables()
    assert chunked.list_tables() == tables and len(tables) > 3
    for table in tables:
        assert _rows(chunked, table) == _rows(whole, table), table
    names = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*.parquet"))
    assert names == sorted(
        p.relative_to(tmp_path / "chunked") for p in (tmp_path / "chunked").rglob("*.parquet")
    )
    runs_files = sorted((tmp_path / "chunked" / "runs").rglob("*.parquet"))
    assert runs_files and any(pq.ParquetFile(f).metadata.num_row_groups > 1 for f in runs_files)
    ids = chunked.read_table("runs", columns=["run_id"]).column("run_id").to_pylist()
    assert len(ids) == len(set(ids)) == whole.read_table("runs").num_rows


def test_a_chunked_landing_answers_queries_like_a_whole_one(crowded: V1Source, tmp_path: Path) -> None:
    """DuckDB gives the same answers over a chunked landing as over a whole-day one."""
    roots = {"whole": 512, "chunked": TINY_BUDGET_MB}
    answers = []
    for name, budget in roots.items():
        _land(crowded, tmp_path / name, budget)
        glob = f"{tmp_path / name}/runs/**/*.parquet"
        answers.append(
            duckdb.sql(
                "select run_date, status, count(*), count(distinct run_id), min(created_at), max(created_at) "
                f"from read_parquet('{glob}', hive_partitioning = true) group by all order by all"
            ).fetchall()
        )
    assert answers[0] == answers[1] and answers[0]


def test_a_failure_mid_day_leaves_the_previous_version_whole(
    crowded: V1Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_tempdir: Path
) -> None:
    """An error in a day's second chunk fails the landing, writes nothing of that day and leaves no spill."""
    root = tmp_path / "out"
    _land(crowded, root)
    before = _files(root)
    real = writer_module.flatten_batch
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("flatten broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(writer_module, "flatten_batch", failing)
    with pytest.raises(RuntimeError, match="flatten broke"):
        _land(crowded, root, TINY_BUDGET_MB)
    assert calls == 2
    assert _files(root) == before
    assert list(own_tempdir.iterdir()) == []


def test_the_day_budget_setting_parses_and_refuses_bad_values() -> None:
    """LLAMACLOUD_ETL_DAY_BUDGET_MB defaults to 512, takes a whole number, refuses 0, negatives, words."""
    assert Settings.from_env({}).day_budget_mb == 512
    assert Settings.from_env({"LLAMACLOUD_ETL_DAY_BUDGET_MB": " 256 "}).day_budget_mb == 256
    for bad in ("0", "-3", "lots", "1.5"):
        with pytest.raises(ConfigurationError, match="LLAMACLOUD_ETL_DAY_BUDGET_MB"):
            Settings.from_env({"LLAMACLOUD_ETL_DAY_BUDGET_MB": bad})


def test_land_days_refuses_a_day_budget_below_one_megabyte(crowded: V1Source, tmp_path: Path) -> None:
    """land_days refuses a day budget of 0 before it lists anything."""
    with pytest.raises(ConfigurationError, match="1 or more"):
        _land(crowded, tmp_path, 0)


def test_the_scheduler_hands_a_crowded_day_out_in_chunks_newest_day_first(crowded: V1Source) -> None:
    """A piece before a day's last holds a chunk and at most a page per agent more; every run comes once."""
    agents = select_agents(crowded.list_agents(*day_bounds(START, START)), None)
    last = date.fromordinal(START.toordinal() + DAYS - 1)
    scheduler = DayScheduler(crowded, agents, START, last, chunk_runs=4)
    pieces = [(day, [r.id for r in runs], final) for day, runs, final in scheduler.pieces()]
    days = [day for day, _, final in pieces if final]
    assert days == [last, START]
    assert [day for day, _, _ in pieces] == sorted((day for day, _, _ in pieces), reverse=True)
    chunks = [ids for _, ids, final in pieces if not final]
    assert len(chunks) >= 6 and all(4 <= len(ids) < 4 + 3 * len(agents) for ids in chunks)
    ids = [run_id for _, run_ids, _ in pieces for run_id in run_ids]
    assert len(ids) == len(set(ids)) == scheduler.listed == 60


def test_a_chunked_day_lands_on_an_object_store_in_one_file_per_table(
    crowded: V1Source, tmp_path: Path
) -> None:
    """On a non-local store (one PUT per file), a chunked day lands the rows of a whole-day landing."""
    whole = _land(crowded, tmp_path / "whole")
    remote = ParquetStore("memory://chunked-day-test")
    last = date.fromordinal(START.toordinal() + DAYS - 1)
    try:
        land_days(crowded, remote, START, last, fetched_at=FETCHED_AT, day_budget_mb=TINY_BUDGET_MB)
        assert remote.list_tables() == whole.list_tables()
        for table in whole.list_tables():
            assert _rows(remote, table) == _rows(whole, table), table
    finally:
        remote.fs.rm(remote.path, recursive=True)


def test_a_chunked_day_landed_again_keeps_first_fetched_at(crowded: V1Source, tmp_path: Path) -> None:
    """Re-landing unchanged runs in chunks keeps each run's first fetched_at, read once for the day."""
    store = _land(crowded, tmp_path, TINY_BUDGET_MB)
    before = store.read_table("runs", columns=["run_id", "fetched_at"]).to_pylist()
    last = date.fromordinal(START.toordinal() + DAYS - 1)
    later = datetime(2026, 3, 9, tzinfo=UTC)
    land_days(crowded, store, START, last, fetched_at=later, day_budget_mb=TINY_BUDGET_MB)
    after = store.read_table("runs", columns=["run_id", "fetched_at"]).to_pylist()
    assert sorted(after, key=str) == sorted(before, key=str)
    assert {row["fetched_at"] for row in after} == {FETCHED_AT}
