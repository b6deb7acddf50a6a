"""The demo data set lands as the same tree, file for file, as the golden digests recorded.

``golden/demo_tree.json`` was recorded by landing ``build_dataset(400, seed=0)`` with a fixed
``fetched_at`` before the landing was split into a package and the flattener took normalised
runs: it holds, per file, a digest of the file's schema (metadata included), row groups,
compression and every column's values. A structural change must leave every digest as it was;
a change of behaviour must re-record them on purpose (``python tests/landing/test_golden_tree.py``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from llamacloud_etl.emulator import EmulatorApp, EmulatorServer, build_dataset
from llamacloud_etl.landing import land_days
from llamacloud_etl.settings import ApiSettings
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import SCHEMA_FOLDER, ParquetStore

GOLDEN = Path(__file__).parent / "golden" / "demo_tree.json"
KEY = "llx-golden-tree-key"
FETCHED_AT = datetime(2026, 11, 1, tzinfo=UTC)


def file_digest(path: Path) -> str:
    """A digest of a Parquet file's content: schema with metadata, row groups, codecs, values."""
    parquet = pq.ParquetFile(path)
    meta = parquet.metadata
    table = parquet.read()
    digest = hashlib.sha256(table.schema.to_string(show_schema_metadata=True).encode())
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    codecs = sorted(
        {meta.row_group(0).column(j).compression for j in range(meta.num_columns)} if groups else ()
    )
    digest.update(json.dumps([meta.num_rows, meta.num_row_groups, groups, codecs]).encode())
    for name in table.column_names:
        digest.update(name.encode())
        digest.update(json.dumps(table.column(name).to_pylist(), default=str, sort_keys=True).encode())
    return digest.hexdigest()


def land_demo(root: Path, processes: int) -> dict[str, str]:
    """Land the demo data set into ``root`` over loopback; every file's digest, by relative path."""
    dataset = build_dataset(400, seed=0)
    first, last = dataset.start, dataset.start + timedelta(days=dataset.days - 1)
    with EmulatorServer(EmulatorApp(dataset, api_key=KEY)) as server:
        settings = ApiSettings(api_key=KEY, base_url=server.url)
        with V1Source.connect(settings) as source:
            land_days(
                source,
                ParquetStore(str(root)),
                first,
                last,
                fetched_at=FETCHED_AT,
                processes=processes,
                settings=settings,
            )
    files = sorted(p for p in root.rglob("*") if p.is_file() and SCHEMA_FOLDER not in p.parts)
    return {str(p.relative_to(root)): file_digest(p) for p in files}


def record_mismatches(root: Path) -> list[str]:
    """Agent tables whose schema record is missing or differs from a data file's schema."""
    store = ParquetStore(str(root))
    wrong = []
    for table in store.list_tables():
        if table.startswith("agents/"):
            record = store.schema_records.read(table)
            days = [store.day_schema(table, day) for day in store.list_days(table)]
            if record is None or not all(s and s.equals(record.schema, check_metadata=True) for s in days):
                wrong.append(table)
    return wrong


@pytest.mark.parametrize("processes", [1, 2])
def test_the_demo_data_set_lands_as_the_golden_tree(tmp_path: Path, processes: int) -> None:
    """Every data file of the landed demo data set has the recorded digest, and no file is missing or new.

    The schema records (``<table>/_schema/``, added after the digests were recorded) are not data
    files: each agent table must have one, holding the schema of the table's files.
    """
    golden = json.loads(GOLDEN.read_text())
    landed = land_demo(tmp_path / "lake", processes)
    assert sorted(landed) == sorted(golden)
    assert {path for path, digest in landed.items() if golden[path] != digest} == set()
    assert record_mismatches(tmp_path / "lake") == []


if __name__ == "__main__":  # re-record the golden digests on purpose
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        GOLDEN.write_text(json.dumps(land_demo(Path(scratch), 1), indent=0, sort_keys=True))
    sys.exit(0)
