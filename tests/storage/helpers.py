"""Shared test data for the storage and query tests."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

DAY1 = date(2024, 5, 1)
DAY2 = date(2024, 5, 2)
AGENT_ID = "c47a1e90-4a3b-4c1d-9e2f-0123456789ab"
OTHER_AGENT_ID = "00aa11bb-4a3b-4c1d-9e2f-0123456789ab"
SLUG = "invoices-eu-c47a1e90"
OTHER_SLUG = "receipts-00aa11bb"
RECORDS = f"agents/{SLUG}/records"
LINE_ITEMS = f"agents/{SLUG}/records__line_items"
OTHER_RECORDS = f"agents/{OTHER_SLUG}/records"

RECORD_SCHEMA = pa.schema(
    [
        pa.field("_row_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string()),
        pa.field("total", pa.float64()),
        pa.field("date", pa.string()),
    ]
)


def records(*row_ids: str, schema: pa.Schema = RECORD_SCHEMA) -> pa.Table:
    """A records table with one row per id; the other columns derive from the id."""
    columns = {
        "_row_id": list(row_ids),
        "run_id": [f"run-{row_id}" for row_id in row_ids],
        "total": [float(len(row_id)) for row_id in row_ids],
        "date": [f"2024-01-{len(row_id):02d}" for row_id in row_ids],
    }
    data = {field.name: columns.get(field.name, [None] * len(row_ids)) for field in schema}
    return pa.table(data, schema=schema)


def runs(*run_ids: str) -> pa.Table:
    """A runs table with the given run ids."""
    return pa.table({"run_id": list(run_ids), "status": ["SUCCESS"] * len(run_ids)})
