"""Two landed roots compared table by table with DuckDB: same rows, duplicate ``_row_id``, schemas per folder.

Every table folder of either root is read with ``read_parquet(..., union_by_name = true)`` (the day
folders' hive column included). ``fetched_at`` is left out: it is each landing's own clock. A table is
the same in both roots when its columns are, its rows are as many, and no row of one is missing from
the other (``EXCEPT ALL`` both ways, every column compared, nested ones included): ``runs`` rows
meet by ``run_id`` and values, agent tables' rows by ``_row_id`` and values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from llamacloud_etl.storage import ParquetStore
from llamacloud_etl.storage.layout import PARTITION_KEY

IGNORED_COLUMNS = frozenset({"fetched_at"})


@dataclass
class TableDiff:
    """One table of both roots: its rows in each and the rows of each that the other lacks."""

    table: str
    rows: tuple[int, int]
    only_left: int = 0
    only_right: int = 0
    columns_differ: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        """Same columns, same number of rows, no row of one missing from the other."""
        return (
            not self.columns_differ and self.rows[0] == self.rows[1] and not self.only_left + self.only_right
        )


@dataclass
class Comparison:
    """What comparing the tables of ``left`` (the split landing) with ``right`` (one run) found."""

    tables: list[TableDiff]
    duplicate_row_ids: dict[str, int]
    schemas_per_folder: dict[str, int]

    @property
    def same_rows(self) -> bool:
        """Every table the same in both roots (and at least one table)."""
        return bool(self.tables) and all(t.same for t in self.tables)

    @property
    def duplicates(self) -> int:
        """Duplicate ``_row_id`` values over every table of the left root."""
        return sum(self.duplicate_row_ids.values())

    def summary(self) -> str:
        """One line: the verdicts and the counts behind them."""
        differing = [t.table for t in self.tables if not t.same]
        many = {table: n for table, n in self.schemas_per_folder.items() if n != 1}
        rows = sum(t.rows[0] for t in self.tables)
        return "; ".join(
            (
                f"same rows as one run: {'yes' if self.same_rows else 'NO'} ({len(self.tables)} tables, "
                f"{rows:,} rows{', differing: ' + ', '.join(differing) if differing else ''})",
                f"duplicate _row_id: {self.duplicates}",
                f"schemas per table folder: {'1 each' if not many and self.schemas_per_folder else many} "
                f"({len(self.schemas_per_folder)} folders)",
            )
        )


def _source(root: Path, table: str) -> str:
    path = f"{root}/{table}/{PARTITION_KEY}=*/*.parquet".replace("'", "''")
    return f"read_parquet('{path}', hive_partitioning = true, union_by_name = true)"


def _columns(con: duckdb.DuckDBPyConnection, source: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()} - IGNORED_COLUMNS


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def diff_table(con: duckdb.DuckDBPyConnection, left: Path, right: Path, table: str) -> TableDiff:
    """Compare ``table`` of both roots (a table missing from one root has no columns and no rows there)."""
    sources = [_source(root, table) if (root / table).is_dir() else None for root in (left, right)]
    columns = [_columns(con, s) if s else set() for s in sources]
    rows = tuple(_count(con, f"SELECT count(*) FROM {s}") if s else 0 for s in sources)
    diff = TableDiff(table, (rows[0], rows[1]), columns_differ=sorted(columns[0] ^ columns[1]))
    if diff.columns_differ or None in sources:
        return diff
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in sorted(columns[0]))
    a, b = (f"SELECT {names} FROM {s}" for s in sources)
    diff.only_left = _count(con, f"SELECT count(*) FROM ({a} EXCEPT ALL {b})")
    diff.only_right = _count(con, f"SELECT count(*) FROM ({b} EXCEPT ALL {a})")
    return diff


def compare_roots(left: Path, right: Path) -> Comparison:
    """Compare every table of both roots; count ``left``'s duplicate ``_row_id`` and schemas per folder."""
    stores = [ParquetStore(str(root)) for root in (left, right)]
    tables = sorted(set(stores[0].list_tables()) | set(stores[1].list_tables()))
    duplicates: dict[str, int] = {}
    with duckdb.connect(":memory:") as con:
        diffs = [diff_table(con, left, right, table) for table in tables]
        for table in stores[0].list_tables():
            source = _source(left, table)
            if "_row_id" in _columns(con, source):
                duplicates[table] = _count(con, f"SELECT count(*) - count(DISTINCT _row_id) FROM {source}")
    return Comparison(diffs, duplicates, schemas_per_folder(stores[0]))


def schemas_per_folder(store: ParquetStore) -> dict[str, int]:
    """How many distinct Arrow schemas (as printed, metadata included) the data files of each table
    folder have, every file of every day read."""
    root = Path(store.path)
    return {
        table: len({str(pq.read_schema(path)) for path in root.glob(f"{table}/{PARTITION_KEY}=*/*.parquet")})
        for table in store.list_tables()
    }
