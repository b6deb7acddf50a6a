"""SQL over the landed dataset: an in-memory DuckDB with one view per table.

Views, one per table path that holds at least one day (table path -> view)::

    runs                                              -> runs
    field_metadata                                    -> field_metadata
    agents/invoices-eu-c47a1e90/records               -> invoices_eu_records
    agents/invoices-eu-c47a1e90/records__line_items   -> invoices_eu_records__line_items

An agent's views are named after the *name part* of its slug (the slug without its ``-<8 hex>``
ID suffix), dashes turned into underscores, when no other agent in the dataset has the same
name part; otherwise after the full slug (``invoices_eu_c47a1e90_records``), so two agents
named alike never share a view. A short name therefore holds only until a second agent with
the same name part lands; :func:`describe_dataset` maps every view to its table path. View
names are lower-case; folders that do not follow the layout get their path with ``/`` turned
into ``__``.

Each view reads ``<table>/run_date=*/*.parquet`` with ``hive_partitioning`` (so ``run_date`` is
a ``DATE`` column, and a ``WHERE run_date = DATE '...'`` filter skips the other days' files)
and ``union_by_name`` (so days written before a column was added read it as NULL). The glob is
resolved at each query, so a long-lived connection sees days landed after it was opened (but
not tables that first appear after it; open a new one for those). ``union_by_name`` reads every
file's footer when a query is planned, so planning cost grows with the number of days.

Local roots are read by DuckDB directly; any other fsspec root (``s3://``, ``memory://``) is
read through the same fsspec filesystem the writer uses, registered with DuckDB, so the same
``storage_options`` (credentials) apply and no DuckDB extension is needed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from llamacloud_etl.errors import QueryError, StorageError
from llamacloud_etl.storage import PARTITION_KEY, ParquetStore, split_agent_table, split_slug

VIEW_COMMENT_PREFIX = "llamacloud-etl table "
"""Each view's DuckDB comment is this prefix and its table path; :func:`describe_dataset` reads it."""


@dataclass(frozen=True)
class ViewInfo:
    """One view of an opened dataset.

    Attributes:
        name: the view's name in SQL.
        table_path: the table's folder relative to the root.
        row_count: rows over all days.
        days: number of ``run_date`` partitions.
        first_day: the oldest ``run_date``.
        last_day: the newest ``run_date``.
    """

    name: str
    table_path: str
    row_count: int
    days: int
    first_day: date | None
    last_day: date | None


def view_names(table_paths: Iterable[str]) -> dict[str, str]:
    """Name a view for each table path, by the rules in the module docstring.

    Raises:
        StorageError: two table paths still map to one view name after agents fall back to
            their full slugs (only possible with folders that do not follow the layout).

    Examples:
        >>> view_names(["runs", "agents/invoices-eu-c47a1e90/records", "agents/invoices-eu-00aa11bb/records"])
        {'runs': 'runs', 'agents/invoices-eu-c47a1e90/records': 'invoices_eu_c47a1e90_records', \
'agents/invoices-eu-00aa11bb/records': 'invoices_eu_00aa11bb_records'}
    """
    tables = list(dict.fromkeys(table_paths))
    slugs = sorted({agent[0] for agent in map(split_agent_table, tables) if agent is not None})
    by_short: dict[str, list[str]] = defaultdict(list)
    for slug in slugs:
        by_short[_short_name(slug)].append(slug)
    full = {slug for group in by_short.values() if len(group) > 1 for slug in group}
    while True:
        names = {table: _view_name(table, full) for table in tables}
        clashes: dict[str, list[str]] = defaultdict(list)
        for table, name in names.items():
            clashes[name].append(table)
        promote: set[str] = set()
        for name, group in clashes.items():
            if len(group) < 2:
                continue
            involved = {agent[0] for agent in map(split_agent_table, group) if agent is not None} - full
            if not involved:
                raise StorageError(f"tables {', '.join(sorted(group))} would all be the view {name!r}")
            promote |= involved
        if not promote:
            return names
        full |= promote


def _short_name(slug: str) -> str:
    try:
        return split_slug(slug)[0]
    except ValueError:
        return slug


def _view_name(table: str, full: set[str]) -> str:
    agent = split_agent_table(table)
    if agent is None:
        name = "__".join(table.split("/"))
    else:
        slug, child = agent
        name = f"{slug if slug in full else _short_name(slug)}_{child}"
    return name.replace("-", "_").lower()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_dataset(
    root: str | os.PathLike[str], *, storage_options: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB with one view per table of the dataset at ``root``.

    The caller closes the connection (it is a context manager). A root without tables gives a
    connection without views.

    Raises:
        StorageError: the root cannot be listed, its path holds a glob character (``*?[``),
            or DuckDB cannot read a table (for example two days disagree on a column's type).

    Examples:
        >>> import pyarrow as pa
        >>> from datetime import date
        >>> store = ParquetStore("memory://doctest-store")
        >>> _ = store.replace_day(date(2026, 6, 1), {"runs": pa.table({"run_id": ["r1", "r2"]})})
        >>> with open_dataset("memory://doctest-store") as con:
        ...     con.sql("SELECT run_date, count(*) AS n FROM runs GROUP BY ALL ORDER BY 1").fetchall()
        [(datetime.date(2026, 6, 1), 2)]
    """
    return _open(ParquetStore(root, storage_options=storage_options))


def _open(store: ParquetStore) -> duckdb.DuckDBPyConnection:
    if any(char in store.path for char in "*?["):
        raise StorageError(f"cannot query {store.uri()}: DuckDB would read the glob characters in its path")
    tables = store.list_tables()
    names = view_names(tables)
    con = duckdb.connect(":memory:")
    try:
        if not store.is_local:
            con.register_filesystem(store.fs)
        for table in tables:
            _create_view(con, store, table, names[table])
    except BaseException:
        con.close()
        raise
    return con


def _create_view(con: duckdb.DuckDBPyConnection, store: ParquetStore, table: str, name: str) -> None:
    folder = f"{store.path.rstrip('/')}/{table}"
    files = f"{folder}/{PARTITION_KEY}=*/*.parquet"
    source = files if store.is_local else str(store.fs.unstrip_protocol(files))
    # A view's definition cannot hold bound parameters, so names and paths are spliced in, quoted
    # by _identifier/_literal; they come from the folder layout, never from a user's SQL.
    options = f"hive_partitioning = true, union_by_name = true, hive_types = {{'{PARTITION_KEY}': 'DATE'}}"
    try:
        con.execute(
            f"CREATE VIEW {_identifier(name)} AS "  # noqa: S608 - quoted, see above
            f"SELECT * FROM read_parquet({_literal(source)}, {options})"
        )
        con.execute(f"COMMENT ON VIEW {_identifier(name)} IS {_literal(VIEW_COMMENT_PREFIX + table)}")
    except duckdb.Error as exc:
        raise StorageError(f"cannot open {store.uri(table)} in DuckDB: {exc}") from exc


def describe_dataset(con: duckdb.DuckDBPyConnection) -> list[ViewInfo]:
    """List the dataset's views with their table paths, row counts and days.

    Shared tables (``runs``, ``field_metadata``) come first, then agent tables, each sorted by
    table path.
    """
    found = con.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND starts_with(comment, ?)",
        [VIEW_COMMENT_PREFIX],
    ).fetchall()
    views: list[ViewInfo] = []
    for name, comment in found:
        table = str(comment)[len(VIEW_COMMENT_PREFIX) :]
        key = PARTITION_KEY
        # fetchall, not fetchone: DuckDB 2 refuses further work on a connection with an unfinished result.
        [row] = con.execute(
            f"SELECT count(*), count(DISTINCT {key}), min({key}), max({key}) "  # noqa: S608 - a quoted view name
            f"FROM {_identifier(str(name))}"
        ).fetchall()
        views.append(ViewInfo(str(name), table, int(row[0]), int(row[1]), row[2], row[3]))
    return sorted(views, key=lambda view: ("/" in view.table_path, view.table_path))


def run_query(
    root: str | os.PathLike[str], sql: str, *, storage_options: Mapping[str, Any] | None = None
) -> pa.Table:
    """Run one SQL statement (or several; the last one's result is returned) over the dataset at ``root``.

    Returns:
        The result as an Arrow table (DuckDB answers statements such as ``SET`` with a status
        column; a DuckDB that answers them with nothing gives an empty table).

    Raises:
        StorageError: the dataset cannot be opened.
        QueryError: DuckDB rejects the SQL (the message names the views there are); a
            :class:`StorageError` when the data fails it.

    Examples:
        >>> import pyarrow as pa
        >>> from datetime import date
        >>> store = ParquetStore("memory://doctest-store")
        >>> _ = store.replace_day(date(2026, 6, 1), {"runs": pa.table({"run_id": ["r1", "r2"]})})
        >>> run_query("memory://doctest-store", "SELECT count(*) AS n FROM runs").to_pylist()
        [{'n': 2}]
    """
    store = ParquetStore(root, storage_options=storage_options)
    with _open(store) as con:
        try:
            relation = con.sql(sql)
            if relation is None:
                return pa.table({})
            result = relation.to_arrow_table()
        except duckdb.Error as exc:
            views = ", ".join(view.name for view in describe_dataset(con)) or "none"
            # Bad SQL (a syntax error, an unknown view or column) is the caller's; the rest the data's.
            sql_error = isinstance(
                exc, duckdb.ParserException | duckdb.CatalogException | duckdb.BinderException
            )
            error = QueryError if sql_error else StorageError
            raise error(f"query failed on {store.uri()}: {exc} (views: {views})") from exc
        return result if result is not None else pa.table({})


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as an aligned plain-text table; numbers are right-aligned."""
    cells = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in [list(header), *cells]) for i in range(len(header))]
    numeric = {i for i in range(len(header)) if rows and all(isinstance(r[i], int | float) for r in rows)}

    def line(values: Sequence[str]) -> str:
        padded = [
            v.rjust(w) if i in numeric else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(list(header)), *(line(r) for r in cells)])


_RUNS_PER_AGENT = """
SELECT agent_name AS agent, coalesce(api_version, 'v1') AS api, extraction_target AS target,
       count(*) FILTER (WHERE status IN ('SUCCESS', 'COMPLETED')) AS succeeded,
       count(*) FILTER (WHERE status IN ('ERROR', 'FAILED', 'CANCELLED')) AS failed,
       sum(record_count) AS records,
       sum(num_pages_extracted) AS pages
FROM runs GROUP BY ALL ORDER BY agent, api
"""
"""Finished runs per agent and API version: v1 says SUCCESS / ERROR, v2 COMPLETED / FAILED /
CANCELLED. Rows landed before ``api_version`` existed are v1 runs (their column reads null)."""

_LOWEST_CONFIDENCE = """
SELECT r.agent_name AS agent, regexp_replace(f.field_path, '\\[\\d+\\]', '[]', 'g') AS field,
       round(avg(f.confidence), 3) AS avg_confidence, count(*) AS scored,
       count(*) FILTER (WHERE f.confidence < 0.5) AS below_0_5
FROM field_metadata f JOIN runs r USING (run_id)
WHERE f.confidence IS NOT NULL AND (f.citation_index IS NULL OR f.citation_index = 0)
GROUP BY ALL ORDER BY avg_confidence, agent, field LIMIT 8
"""


def _rows_or_none(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """The rows of a summary query, or none when the dataset lacks the columns it reads."""
    try:
        return con.sql(sql).fetchall()
    except duckdb.BinderException:
        return []


def demo_summary(root: str | os.PathLike[str], *, storage_options: Mapping[str, Any] | None = None) -> str:
    """A plain-text summary for the CLI: views with rows and days, runs per agent, lowest-confidence fields.

    Examples:
        >>> import pyarrow as pa
        >>> from datetime import date
        >>> store = ParquetStore("memory://doctest-store")
        >>> _ = store.replace_day(date(2026, 6, 1), {"runs": pa.table({"run_id": ["r1", "r2"]})})
        >>> print(demo_summary("memory://doctest-store"))
        Dataset at memory:///doctest-store: 1 view
        view  rows  days  first day   last day    table path
        runs     2     1  2026-06-01  2026-06-01  runs
    """
    store = ParquetStore(root, storage_options=storage_options)
    with _open(store) as con:
        views = describe_dataset(con)
        if not views:
            return f"Dataset at {store.uri()}: no tables yet"
        names = {v.name for v in views}
        per_agent = _rows_or_none(con, _RUNS_PER_AGENT) if "runs" in names else []
        lowest = _rows_or_none(con, _LOWEST_CONFIDENCE) if {"runs", "field_metadata"} <= names else []
    plural = "s" if len(views) != 1 else ""
    parts = [
        f"Dataset at {store.uri()}: {len(views)} view{plural}",
        text_table(
            ("view", "rows", "days", "first day", "last day", "table path"),
            [(v.name, v.row_count, v.days, v.first_day, v.last_day, v.table_path) for v in views],
        ),
    ]
    if per_agent:
        parts += [
            "",
            "Runs per agent",
            text_table(("agent", "api", "target", "succeeded", "failed", "records", "pages"), per_agent),
        ]
    if lowest:
        parts += [
            "",
            "Lowest-confidence fields (combined confidence, first citation of each field)",
            text_table(("agent", "field", "avg confidence", "scored", "< 0.5"), lowest),
        ]
    return "\n".join(parts)
