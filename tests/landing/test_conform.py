"""Unit tests of llamacloud_etl.landing.conform: every day of an agent table in the table's one schema."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from landing_fakes import FIRST, LAST, Evolving, created, paged

from llamacloud_etl.emulator import Dataset
from llamacloud_etl.landing import land_days
from llamacloud_etl.landing.conform import conform
from llamacloud_etl.landing.writer import DayWriter
from llamacloud_etl.run import Agent
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore, agent_slug


def test_land_days_gives_every_day_of_a_table_one_schema_when_an_older_version_grows_it(
    source: V1Source, store: ParquetStore, dataset: Dataset, tmp_path: Path
) -> None:
    """Days written newest first are rewritten once an older schema version adds and widens columns."""
    invoices = dataset.agent_named("Invoices")
    report = land_days(Evolving(paged(source, 5), invoices["id"]), store, FIRST, LAST)
    files = sorted(tmp_path.glob("agents/invoices-*/records/run_date=*/*.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    assert len(files) > 3 and all(s.equals(schemas[0], check_metadata=True) for s in schemas)
    assert report.unconformed == []
    rows = {
        r["run_id"]: r
        for r in store.read_table(files[0].parent.parent.relative_to(tmp_path).as_posix()).to_pylist()
    }
    new = [r for r in dataset.runs if r["extraction_agent_id"] == invoices["id"] and r["status"] == "SUCCESS"]
    for run in new:
        if FIRST <= created(run).date() <= LAST:
            older = created(run) < Evolving.MID
            expected = (f"L-{run['id'][:4]}", 2.5) if older else (None, 3.0)
            assert (rows[run["id"]]["legacy_ref"], rows[run["id"]]["page_count"]) == expected


def test_land_days_rewrites_days_outside_its_range_when_it_grows_a_stored_table(
    source: V1Source, store: ParquetStore, dataset: Dataset, tmp_path: Path
) -> None:
    """Landing older days whose schema adds columns also rewrites the newer days already on disk."""
    evolving = Evolving(paged(source, 5), dataset.agent_named("Invoices")["id"])
    newer = land_days(evolving, store, Evolving.MID.date(), LAST)
    report = land_days(evolving, store, FIRST, Evolving.MID.date() - timedelta(days=1))
    files = sorted(tmp_path.glob("agents/invoices-*/records/run_date=*/*.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    earlier = {w.run_date for w in newer.written if w.table.startswith("agents/invoices-")}
    assert len(earlier) > 1 and report.conformed == len(earlier)
    assert (
        all(s.equals(schemas[0], check_metadata=True) for s in schemas) and "legacy_ref" in schemas[0].names
    )


def test_land_days_after_schema_growth_lands_the_same_bytes_again(
    source: V1Source, store: ParquetStore, dataset: Dataset, tmp_path: Path
) -> None:
    """A rewritten (conformed) day and the same day flattened in the grown schema are the same file."""
    evolving = Evolving(paged(source, 5), dataset.agent_named("Invoices")["id"])
    land_days(evolving, store, FIRST, LAST)
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.parquet"))}
    land_days(evolving, store, FIRST, LAST)
    assert before == {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.parquet"))}


def test_conform_skips_a_day_whose_table_file_is_gone(store: ParquetStore) -> None:
    """A day written earlier in the landing, whose file a later rewrite removed, is not conformed."""
    agent = Agent("11111111-2222-3333-4444-555555555555", "Inv")
    table = f"agents/{agent_slug(agent.name, agent.id)}/records"
    grown = pa.schema([("a", pa.float64()), ("b", pa.string())])
    store.replace_day(date(2026, 1, 2), {table: pa.table({"a": [1.0], "b": ["x"]}, schema=grown)})
    writer = DayWriter(store, [agent], datetime.now(UTC), 0.5)
    writer.schemas.written[(table, date(2026, 1, 1))] = pa.schema([("a", pa.int64())])
    conformed = conform(store, writer.schemas, {})
    assert (conformed.rewritten, conformed.unconformed) == (0, [])
