"""Concurrent landings of one agent over disjoint days, both growing its schema, on disk and in a bucket."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pyarrow.compute as pc
import pytest
from landing_fakes import KEY, Growing

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.landing import land_days
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore

FETCHED_AT = datetime(2026, 10, 20, 12, tzinfo=UTC)
BASE = (date(2026, 9, 20), date(2026, 10, 1))
ALPHA = (date(2026, 10, 2), date(2026, 10, 6))
BETA = (date(2026, 10, 7), date(2026, 10, 12))
FIELDS = {ALPHA: ("alpha_ref", "string", "A-1"), BETA: ("beta_count", "integer", 7)}


def new_source(app: EmulatorApp, agent_id: str, barrier: threading.Barrier | None = None) -> Growing:
    """A source with a client of its own over the in-process emulator, the agent's runs growing per range."""
    transport = httpx.WSGITransport(app=app)
    client = LlamaCloudClient(api_key=KEY, base_url="http://127.0.0.1", transport=transport)
    return Growing(V1Source(client, page_size=DEFAULT_PAGE_SIZE), agent_id, FIELDS, barrier)


def land(app: EmulatorApp, store: ParquetStore, agent_id: str, days: tuple[date, date], barrier=None) -> None:
    """Land one range of one agent with a source and client of its own."""
    source = new_source(app, agent_id, barrier)
    with source.inner:
        land_days(source, store, *days, agents_allow=[agent_id], fetched_at=FETCHED_AT)


def rows(store: ParquetStore) -> dict[str, list[str]]:
    """Every table's ``_row_id`` (its ``run_id`` for ``runs``), sorted, one per row."""
    column = {"runs": "run_id"}
    return {
        table: sorted(store.read_table(table, columns=[column.get(table, "_row_id")]).column(0).to_pylist())
        for table in store.list_tables()
        if table != "field_metadata"
    }


def schemas_per_table(store: ParquetStore) -> dict[str, int]:
    """How many distinct schemas each table's day files have."""
    return {
        table: len({str(store.day_schema(table, day)) for day in store.list_days(table)})
        for table in store.list_tables()
    }


@pytest.fixture(params=["local", "s3"])
def shared_root(request, tmp_path: Path) -> tuple[str, dict]:
    """The root both landings write into: a local folder, or a bucket on moto's S3 server."""
    if request.param == "local":
        return str(tmp_path / "shared"), {}
    return request.getfixturevalue("s3_root"), request.getfixturevalue("s3_options")


def test_two_landings_growing_one_agents_schema_at_once_end_whole(
    app: EmulatorApp, dataset: Dataset, shared_root: tuple[str, dict], tmp_path: Path
) -> None:
    """Two landings of disjoint days that each add a column leave every row once and one schema per table."""
    invoices = dataset.agent_named("Invoices")["id"]
    root, options = shared_root
    land(app, ParquetStore(root, storage_options=options), invoices, BASE)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(days: tuple[date, date]) -> None:
        try:  # each landing has a store of its own, as a Dagster run on another machine would
            land(app, ParquetStore(root, storage_options=options), invoices, days, barrier)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(days,)) for days in (ALPHA, BETA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    shared = ParquetStore(root, storage_options=options)
    reference = ParquetStore(str(tmp_path / "reference"))
    land(app, reference, invoices, (BASE[0], BETA[1]))
    landed = rows(shared)
    assert landed == rows(reference) and len(landed["runs"]) > 10
    assert all(len(ids) == len(set(ids)) for ids in landed.values())
    assert set(schemas_per_table(shared).values()) == {1}
    records = next(t for t in shared.list_tables() if t.endswith("/records"))
    schema = shared.table_schema(records)
    record = shared.schema_records.read(records)
    assert schema is not None and {"alpha_ref", "beta_count"} <= set(schema.names)
    assert record is not None and record.schema.equals(schema, check_metadata=True)
    betas = shared.read_table(records, days=[date(2026, 10, 7)], columns=["beta_count"]).column(0)
    assert pc.all(pc.equal(betas, 7)).as_py()
