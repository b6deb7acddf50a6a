"""The multi_run benchmark's table comparison finds differing rows, duplicate ``_row_id``, extra schemas."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from benchmarks._tables import compare_roots
from llamacloud_etl.storage import ParquetStore

DAYS = (date(2026, 9, 1), date(2026, 9, 2))
TABLE = "agents/a-1/records"


def _land(root: Path, records: list[pa.Table], fetched_at: str) -> None:
    store = ParquetStore(str(root))
    for day, table in zip(DAYS, records, strict=True):
        runs = pa.table({"run_id": [f"r{day.day}"], "status": ["SUCCESS"], "fetched_at": [fetched_at]})
        store.replace_day(day, {"runs": runs, TABLE: table})


def test_the_comparison_ignores_fetched_at_and_finds_changed_rows_duplicates_and_extra_schemas(
    tmp_path: Path,
) -> None:
    """Roots differing only in ``fetched_at`` are the same; an extra row (its ``_row_id`` repeated) and a
    day in another schema are each found and counted."""
    same = [pa.table({"_row_id": ["r1/0"], "total": [1.5]}), pa.table({"_row_id": ["r2/0"], "total": [2.0]})]
    _land(tmp_path / "whole", same, "2026-10-01")
    _land(tmp_path / "same", same, "2026-10-02")
    clean = compare_roots(tmp_path / "same", tmp_path / "whole")
    assert clean.same_rows and clean.duplicates == 0 and set(clean.schemas_per_folder.values()) == {1}
    other = [
        pa.table({"_row_id": ["r1/0", "r1/0"], "total": [1.5, 9.0]}),
        pa.table({"_row_id": ["r2/0"], "total": [2]}),
    ]
    _land(tmp_path / "other", other, "2026-10-02")
    found = compare_roots(tmp_path / "other", tmp_path / "whole")
    records = next(t for t in found.tables if t.table == TABLE)
    assert not found.same_rows and records.rows == (3, 2) and records.only_left == 1
    assert found.duplicate_row_ids == {TABLE: 1} and found.schemas_per_folder == {"runs": 1, TABLE: 2}
