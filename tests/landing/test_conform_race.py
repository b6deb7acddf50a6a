"""Conforming a day its owner writes again meanwhile: the owner's new rows are never overwritten."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pytest

from llamacloud_etl.landing.conform import conform
from llamacloud_etl.landing.writer import DayWriter
from llamacloud_etl.run import Agent
from llamacloud_etl.storage import ParquetStore, agent_slug

AGENT = Agent("11111111-2222-3333-4444-555555555555", "Inv")
TABLE = f"agents/{agent_slug(AGENT.name, AGENT.id)}/records"
OLD_DAY, NEW_DAY = date(2026, 1, 1), date(2026, 1, 2)
OLD = pa.schema([("_row_id", pa.string()), ("a", pa.int64())])
GROWN = pa.schema([("_row_id", pa.string()), ("a", pa.float64()), ("b", pa.string())])


@pytest.fixture(params=["local", "memory", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """An output root and its storage options: a local folder, ``memory://``, a bucket on moto's server."""
    if request.param == "local":
        yield str(tmp_path / "lake"), {}
    elif request.param == "memory":
        url = f"memory://conform-race-{uuid.uuid4().hex}"
        yield url, {}
        fs, path = fsspec.core.url_to_fs(url)
        if fs.exists(path):
            fs.rm(path, recursive=True)
    else:
        yield request.getfixturevalue("s3_root"), request.getfixturevalue("s3_options")


def old_rows(*ids: str) -> pa.Table:
    """Rows in the table's older schema."""
    return pa.table({"_row_id": list(ids), "a": list(range(len(ids)))}, schema=OLD)


def grown_landing(root: str, options: dict[str, Any]) -> tuple[ParquetStore, DayWriter]:
    """A store whose older day has the older schema, and a landing that began before the table grew."""
    store = ParquetStore(root, storage_options=options)
    store.replace_day(OLD_DAY, {TABLE: old_rows("r1", "r2")})
    store.replace_day(NEW_DAY, {TABLE: pa.table({"_row_id": ["n1"], "a": [1.5], "b": ["x"]}, schema=GROWN)})
    store.schema_records.update(TABLE, lambda current: GROWN)
    writer = DayWriter(store, [AGENT], datetime.now(UTC), 0.5)
    key = writer.schemas.key(TABLE)
    assert key is not None and writer.schemas.grown[key].equals(GROWN)
    writer.schemas.stored[key] = OLD  # the table grew since this landing began: check every day
    return store, writer


def relanded_between_read_and_write(
    store: ParquetStore, monkeypatch: pytest.MonkeyPatch, root: str, options: dict[str, Any], rows: pa.Table
) -> None:
    """Make the conform's first read of the older day be followed by its owner landing ``rows`` there."""
    read = store.read_day_versioned
    calls: list[date] = []

    def read_then_reland(table: str, day: date) -> Any:
        got = read(table, day)
        if not calls:  # the owner, another landing with a store of its own, re-lands the day now
            ParquetStore(root, storage_options=options).replace_day(day, {table: rows})
        calls.append(day)
        return got

    monkeypatch.setattr(store, "read_day_versioned", read_then_reland)


def test_conform_rewrites_a_day_in_an_older_schema(root: tuple[str, dict[str, Any]]) -> None:
    """A day nobody writes meanwhile is rewritten in the grown schema with its own rows."""
    store, writer = grown_landing(*root)
    done = conform(store, writer.schemas, {})
    assert (done.rewritten, done.unconformed) == (1, [])
    assert store.day_schema(TABLE, OLD_DAY) == GROWN
    assert store.read_table(TABLE, days=[OLD_DAY]).to_pylist() == [
        {"_row_id": "r1", "a": 0.0, "b": None},
        {"_row_id": "r2", "a": 1.0, "b": None},
    ]


def test_conform_keeps_rows_relanded_between_its_read_and_its_write(
    root: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows the day's owner lands after the conform read the day survive, in the grown schema."""
    store, writer = grown_landing(*root)
    relanded_between_read_and_write(store, monkeypatch, *root, old_rows("r1", "r2", "r3"))
    done = conform(store, writer.schemas, {})
    assert (done.rewritten, done.unconformed) == (1, [])
    assert store.day_schema(TABLE, OLD_DAY) == GROWN
    assert [row["_row_id"] for row in store.read_table(TABLE, days=[OLD_DAY]).to_pylist()] == [
        "r1",
        "r2",
        "r3",
    ]


def test_conform_leaves_a_day_relanded_in_the_grown_schema_as_its_owner_wrote_it(
    root: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day re-landed meanwhile already in the grown schema is not rewritten at all."""
    store, writer = grown_landing(*root)
    relanded = pa.table({"_row_id": ["r9"], "a": [9.5], "b": ["new"]}, schema=GROWN)
    relanded_between_read_and_write(store, monkeypatch, *root, relanded)
    done = conform(store, writer.schemas, {})
    assert (done.rewritten, done.unconformed) == (0, [])
    assert store.read_table(TABLE, days=[OLD_DAY]).to_pylist() == relanded.to_pylist()


def test_conform_does_not_bring_back_a_day_emptied_between_its_read_and_its_write(
    root: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day whose owner removed it (no rows any more) after the conform read it stays removed."""
    store, writer = grown_landing(*root)
    relanded_between_read_and_write(store, monkeypatch, *root, OLD.empty_table())
    done = conform(store, writer.schemas, {})
    assert (done.rewritten, done.unconformed) == (0, [])
    assert store.list_days(TABLE) == [NEW_DAY]
