"""Landing into an ``s3://`` root, against moto's S3 server over HTTP on loopback (``tests/s3_server.py``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from landing_fakes import KEY, LAST, Evolving, paged

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.landing import land_days
from llamacloud_etl.query import run_query
from llamacloud_etl.run import Agent
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore

FETCHED_AT = datetime(2026, 10, 20, 12, tzinfo=UTC)
# Four days with SUCCESS, ERROR and unfinished runs: each request to the server costs a round trip.
FIRST = LAST - timedelta(days=3)


@pytest.fixture
def bucket_store(s3_root: str, s3_options: dict) -> ParquetStore:
    """An empty dataset root in a fresh bucket."""
    return ParquetStore(s3_root, storage_options=s3_options)


def objects(admin, store: ParquetStore) -> dict[str, bytes]:
    """Every object under the store's root (relative key -> body), as the server holds them now."""
    admin.invalidate_cache()
    return {
        path.removeprefix(store.path + "/"): admin.cat_file(path) for path in sorted(admin.find(store.path))
    }


def files(root: Path) -> dict[str, bytes]:
    """Every file under a local root (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def new_source(app: EmulatorApp) -> V1Source:
    """A v1 source with a client of its own over the in-process emulator."""
    client = LlamaCloudClient(
        api_key=KEY, base_url="http://127.0.0.1", transport=httpx.WSGITransport(app=app)
    )
    return V1Source(client, page_size=DEFAULT_PAGE_SIZE)


def test_landing_into_s3_puts_the_objects_a_local_landing_writes(
    source: V1Source, bucket_store: ParquetStore, store: ParquetStore, s3_admin, tmp_path: Path
) -> None:
    """A range landed into the bucket holds the same keys and bytes as the same range landed on disk."""
    report = land_days(paged(source, 5), bucket_store, FIRST, LAST, fetched_at=FETCHED_AT)
    land_days(paged(source, 5), store, FIRST, LAST, fetched_at=FETCHED_AT)
    landed = objects(s3_admin, bucket_store)
    assert len(landed) > 10 and landed == files(tmp_path)
    assert {w.uri.removeprefix(bucket_store.root + "/") for w in report.written} <= set(landed)


def test_relanding_into_s3_gives_identical_objects_and_no_leftovers(
    source: V1Source, bucket_store: ParquetStore, agents: list[Agent], s3_admin
) -> None:
    """Landing the same range again leaves exactly the same objects, byte for byte."""
    chosen = [agents[0].id, agents[1].id]
    land_days(paged(source, 5), bucket_store, FIRST, LAST, agents_allow=chosen)
    before = objects(s3_admin, bucket_store)
    land_days(paged(source, 5), bucket_store, FIRST, LAST, agents_allow=chosen)
    assert objects(s3_admin, bucket_store) == before


def test_schema_growth_conforms_every_day_in_the_bucket(
    source: V1Source, bucket_store: ParquetStore, dataset: Dataset, s3_admin
) -> None:
    """Older days that grow an agent's schema get every day of its table in the bucket in one schema."""
    invoices = dataset.agent_named("Invoices")["id"]
    evolving = Evolving(paged(source, 5), invoices)
    mid = Evolving.MID.date()
    land_days(evolving, bucket_store, mid, mid + timedelta(days=2), agents_allow=[invoices])
    report = land_days(
        evolving, bucket_store, mid - timedelta(days=3), mid - timedelta(days=1), agents_allow=[invoices]
    )
    bodies = [
        body
        for key, body in objects(s3_admin, bucket_store).items()
        if key.startswith("agents/invoices-") and "/records/" in key and key.endswith(".parquet")
    ]
    schemas = [pq.read_schema(pa.BufferReader(body)) for body in bodies]
    assert len(schemas) >= 3 and report.conformed > 0 and report.unconformed == []
    assert (
        all(s.equals(schemas[0], check_metadata=True) for s in schemas) and "legacy_ref" in schemas[0].names
    )


def test_concurrent_landings_of_different_agents_into_one_bucket_both_land_whole(
    app: EmulatorApp,
    source: V1Source,
    bucket_store: ParquetStore,
    store: ParquetStore,
    agents: list[Agent],
    s3_admin,
    tmp_path: Path,
) -> None:
    """Two landings of different agents at once into one bucket leave what one landing of both would."""
    chosen = [agents[0].id, agents[1].id]
    errors: list[BaseException] = []

    def land(agent_id: str) -> None:
        try:
            with new_source(app) as own:
                land_days(own, bucket_store, FIRST, LAST, agents_allow=[agent_id], fetched_at=FETCHED_AT)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=land, args=(agent_id,)) for agent_id in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    land_days(source, store, FIRST, LAST, agents_allow=chosen, fetched_at=FETCHED_AT)
    assert errors == []
    assert objects(s3_admin, bucket_store) == files(tmp_path)


def test_duckdb_counts_the_bucket_like_the_local_landing(
    source: V1Source, bucket_store: ParquetStore, store: ParquetStore, s3_options: dict, tmp_path: Path
) -> None:
    """DuckDB over the bucket counts the same rows per table as over the same range landed on disk."""
    land_days(source, bucket_store, FIRST, LAST, fetched_at=FETCHED_AT)
    land_days(source, store, FIRST, LAST, fetched_at=FETCHED_AT)
    sql = "SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM field_metadata) AS fields"
    remote = run_query(bucket_store.root, sql, storage_options=s3_options)
    assert remote == run_query(str(tmp_path), sql)
    assert remote.column("runs")[0].as_py() > 0
