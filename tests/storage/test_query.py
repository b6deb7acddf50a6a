"""The DuckDB query layer: one view per table, hive run_date, union by name, names per the rules."""

from __future__ import annotations

import os
import re
from datetime import date

import pyarrow as pa
import pytest

from llamacloud_etl.errors import StorageError
from llamacloud_etl.query import ViewInfo, demo_summary, describe_dataset, open_dataset, run_query, view_names

from .helpers import DAY1, DAY2, LINE_ITEMS, OTHER_RECORDS, RECORD_SCHEMA, RECORDS, SLUG, records, runs

WIDER = RECORD_SCHEMA.append(pa.field("currency", pa.string()))


def views(con):
    return sorted(
        row[0] for row in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    )


def column_types(con, view):
    return {name: kind for name, kind, *_ in con.execute(f'DESCRIBE "{view}"').fetchall()}


def test_one_view_per_table(store, root):
    """Shared tables, each agent's records and each child table get a view."""
    store.replace_day(DAY1, {"runs": runs("r1"), "field_metadata": runs("r1")})
    store.replace_day(DAY1, {RECORDS: records("a"), LINE_ITEMS: records("x"), OTHER_RECORDS: records("b")})
    with open_dataset(root) as con:
        assert views(con) == [
            "field_metadata",
            "invoices_eu_records",
            "invoices_eu_records__line_items",
            "receipts_records",
            "runs",
        ]
        assert con.execute("SELECT _row_id FROM invoices_eu_records__line_items").fetchall() == [("x",)]


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        pytest.param(["runs", "field_metadata"], ["runs", "field_metadata"], id="shared"),
        pytest.param(
            [RECORDS, LINE_ITEMS], ["invoices_eu_records", "invoices_eu_records__line_items"], id="unique"
        ),
        pytest.param(
            ["agents/invoices-c47a1e90/records", "agents/invoices-00aa11bb/records"],
            ["invoices_c47a1e90_records", "invoices_00aa11bb_records"],
            id="same-name-part",
        ),
        pytest.param(
            ["agents/agent-c47a1e90/records", "agents/agent-00aa11bb/records", "agents/x-11111111/records"],
            ["agent_c47a1e90_records", "agent_00aa11bb_records", "x_records"],
            id="two-unnamed-agents",
        ),
        pytest.param(
            ["agents/a-c47a1e90/records", "agents/a-deadbeef/records", "agents/a-c47a1e90-00aa11bb/records"],
            ["a_c47a1e90_records", "a_deadbeef_records", "a_c47a1e90_00aa11bb_records"],
            id="short-name-clashes-with-full-slug",
        ),
        pytest.param(["agents/hand-made/records"], ["hand_made_records"], id="folder-not-a-slug"),
        pytest.param(["extra/nested-table"], ["extra__nested_table"], id="other-layout"),
        pytest.param(["agents/Mixed-c47a1e90/Records"], ["mixed_c47a1e90_records"], id="lower-cased"),
    ],
)
def test_view_name_rules(tables, expected):
    """Each table path maps to the view name the documented rules give."""
    assert list(view_names(tables).values()) == expected


def test_view_names_that_cannot_be_told_apart_raise():
    """Table paths that map to one view name whatever the rules do raise StorageError."""
    with pytest.raises(StorageError, match="would all be the view"):
        view_names(["a-b", "a_b"])


def test_views_of_agents_sharing_a_name_use_full_slugs(store, root):
    """Two agents with the same name part get views named by their full slugs."""
    store.replace_day(DAY1, {"agents/invoices-c47a1e90/records": records("a")})
    store.replace_day(DAY1, {"agents/invoices-00aa11bb/records": records("b")})
    with open_dataset(root) as con:
        assert views(con) == ["invoices_00aa11bb_records", "invoices_c47a1e90_records"]
        assert con.execute("SELECT _row_id FROM invoices_00aa11bb_records").fetchall() == [("b",)]


def test_view_names_needing_quotes_work(store, root):
    """A view whose name starts with a digit (an agent named '2024 Reports') is queryable."""
    store.replace_day(DAY1, {"agents/2024-reports-c47a1e90/records": records("a")})
    with open_dataset(root) as con:
        assert con.execute('SELECT count(*) FROM "2024_reports_records"').fetchall() == [(1,)]


def test_run_date_is_a_date_column_from_the_path(store, root):
    """Each view has run_date as a DATE column taken from the partition folder."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(DAY2, {RECORDS: records("b", "c")})
    with open_dataset(root) as con:
        assert column_types(con, "invoices_eu_records")["run_date"] == "DATE"
        rows = con.execute("SELECT run_date, _row_id FROM invoices_eu_records ORDER BY 2").fetchall()
        assert rows == [(DAY1, "a"), (DAY2, "b"), (DAY2, "c")]


def test_run_date_filter_prunes_other_days(store, root):
    """A run_date filter returns that day's rows and scans only that day's file."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(DAY2, {RECORDS: records("b")})
    query = "SELECT _row_id FROM invoices_eu_records WHERE run_date = DATE '2024-05-02'"
    with open_dataset(root) as con:
        assert con.execute(query).fetchall() == [("b",)]
        plan = "\n".join(row[1] for row in con.execute("EXPLAIN " + query).fetchall())
        assert re.search(r"Scanning Files:\s*1/2", plan), plan


def test_data_column_named_date_is_not_shadowed(store, root):
    """A data column called 'date' keeps its own values next to run_date."""
    store.replace_day(DAY1, {RECORDS: records("abc")})
    with open_dataset(root) as con:
        assert con.execute("SELECT date, run_date FROM invoices_eu_records").fetchall() == [
            ("2024-01-03", DAY1)
        ]


def test_days_with_an_added_column_are_unioned_by_name(store, root):
    """Days written before a column was added read it as NULL alongside newer days."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(
        DAY2, {RECORDS: records("b", schema=WIDER).set_column(4, "currency", pa.array(["EUR"]))}
    )
    with open_dataset(root) as con:
        rows = con.execute("SELECT _row_id, currency FROM invoices_eu_records ORDER BY 1").fetchall()
        assert rows == [("a", None), ("b", "EUR")]


def test_all_null_columns_keep_their_type_across_days(store, root):
    """A column that is all null in one day keeps its declared type, and DuckDB reads both days with it."""
    schema = pa.schema(
        [("_row_id", pa.string()), ("total", pa.float64()), ("due", pa.timestamp("us", tz="UTC"))]
    )
    empty_day = pa.table({"_row_id": ["a"], "total": [None], "due": [None]}, schema=schema)
    full_day = pa.table({"_row_id": ["b"], "total": [9.5], "due": [1_714_521_600_000_000]}, schema=schema)
    store.replace_day(DAY1, {RECORDS: empty_day})
    store.replace_day(DAY2, {RECORDS: full_day})
    with open_dataset(root) as con:
        types = column_types(con, "invoices_eu_records")
        assert (types["total"], types["due"]) == ("DOUBLE", "TIMESTAMP WITH TIME ZONE")
        rows = con.execute(
            "SELECT _row_id, total, epoch_us(due) FROM invoices_eu_records ORDER BY 1"
        ).fetchall()
        assert rows == [("a", None, None), ("b", 9.5, 1_714_521_600_000_000)]


def test_parts_of_a_shared_table_read_as_one_view(store, root):
    """A shared table written in per-agent parts reads as one view with every part's rows."""
    store.replace_day(DAY1, {("runs", SLUG): runs("r1"), ("runs", "receipts-00aa11bb"): runs("r2")})
    with open_dataset(root) as con:
        assert con.execute("SELECT run_id FROM runs ORDER BY 1").fetchall() == [("r1",), ("r2",)]


def test_views_see_days_landed_after_opening(store, root):
    """An open connection's views pick up days written after it was opened."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    with open_dataset(root) as con:
        store.replace_day(DAY2, {RECORDS: records("b")})
        assert con.execute("SELECT count(*) FROM invoices_eu_records").fetchall() == [(2,)]


def test_describe_dataset_lists_views_with_counts(store, root):
    """describe_dataset gives each view's name, table path, rows and days, shared tables first."""
    store.replace_day(DAY1, {RECORDS: records("a", "b"), "runs": runs("r1")})
    store.replace_day(DAY2, {RECORDS: records("c"), "runs": runs("r2")})
    with open_dataset(root) as con:
        con.execute("CREATE VIEW mine AS SELECT 1")
        assert describe_dataset(con) == [
            ViewInfo("runs", "runs", 2, 2, DAY1, DAY2),
            ViewInfo("invoices_eu_records", RECORDS, 3, 2, DAY1, DAY2),
        ]


def test_empty_root_opens_without_views(root):
    """A root with no tables (or none at all) gives a connection without views."""
    with open_dataset(root) as con:
        assert views(con) == []
        assert describe_dataset(con) == []


def test_run_query_returns_an_arrow_table(store, root):
    """run_query returns the query's result as a pyarrow Table."""
    store.replace_day(DAY1, {"runs": runs("r1", "r2")})
    result = run_query(root, "SELECT run_id, run_date FROM runs ORDER BY run_id")
    assert result.to_pylist() == [{"run_id": "r1", "run_date": DAY1}, {"run_id": "r2", "run_date": DAY1}]


def test_run_query_accepts_statements_without_rows(root):
    """A statement that returns no rows (SET) still gives a pyarrow Table."""
    assert isinstance(run_query(root, "SET threads = 1"), pa.Table)


def test_run_query_failure_names_the_views(store, root):
    """A query DuckDB rejects raises StorageError listing the views there are."""
    store.replace_day(DAY1, {"runs": runs("r1")})
    with pytest.raises(StorageError, match=r"(?s)query failed .*nope.*\(views: runs\)"):
        run_query(root, "SELECT * FROM nope")


def test_days_with_conflicting_types_fail_the_query_with_storage_error(store, root):
    """Two days whose column types cannot be unified make run_query raise StorageError naming the file."""
    store.replace_day(DAY1, {"runs": pa.table({"n": pa.array([1], pa.int64())})})
    store.replace_day(DAY2, {"runs": pa.table({"n": pa.array([{"a": 1}], pa.struct([("a", pa.int64())]))})})
    with pytest.raises(StorageError, match=r"run_date=2024-05-01/part-0\.parquet"):
        run_query(root, "SELECT * FROM runs")


def test_glob_characters_in_the_root_are_refused(tmp_path):
    """A root whose path holds glob characters raises StorageError instead of reading other folders."""
    root = tmp_path / "data[1]"
    os.makedirs(root)
    with pytest.raises(StorageError, match="glob"):
        open_dataset(str(root))


def test_run_date_type_is_date_not_string(store, root):
    """run_date compares with dates, not with strings of another shape."""
    store.replace_day(date(2024, 12, 31), {"runs": runs("r1")})
    with open_dataset(root) as con:
        assert con.execute("SELECT max(run_date) + 1 FROM runs").fetchall() == [(date(2025, 1, 1),)]


def test_demo_summary_tabulates_the_views(store, root):
    """demo_summary lists each view with its rows, days and table path, numbers right-aligned."""
    store.replace_day(DAY1, {RECORDS: records("a", "b"), "runs": runs("r1")})
    store.replace_day(DAY2, {"runs": runs("r2")})
    assert demo_summary(root).splitlines() == [
        f"Dataset at file://{root}: 2 views",
        "view                 rows  days  first day   last day    table path",
        "runs                    2     2  2024-05-01  2024-05-02  runs",
        f"invoices_eu_records     2     1  2024-05-01  2024-05-01  {RECORDS}",
    ]


def test_demo_summary_of_an_empty_root_says_so(root):
    """demo_summary of a root without tables says there are none yet."""
    assert demo_summary(root) == f"Dataset at file://{root}: no tables yet"
