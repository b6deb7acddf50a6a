"""Where things live under an output root: table paths, day partitions, file names.

::

    <root>/runs/run_date=2024-05-01/part-0.parquet                 a table written whole per day
    <root>/runs/run_date=2024-05-01/invoices-eu-c47a1e90.parquet   ... or in named parts
    <root>/agents/<agent-slug>/records/run_date=2024-05-01/part-0.parquet
    <root>/agents/<agent-slug>/records__line_items/run_date=.../part-0.parquet

A *table path* is the folder of a table relative to the root (``runs``,
``agents/invoices-eu-c47a1e90/records``). Its components are ASCII letters, digits, ``_`` and
``-``, never starting with ``_`` or ``-``: no ``..``, no hidden folders, and no ``=``, which is
reserved for the ``run_date=YYYY-MM-DD`` partition folders below it.

Data files end in ``.parquet`` and never start with ``.`` or ``_``. Temporary files start with
``.`` and end in ``.tmp``, so a reader's ``*.parquet`` glob never sees them.
"""

from __future__ import annotations

import re
from datetime import date, datetime

RUNS_TABLE = "runs"
"""The table of runs, shared by every agent: one part per agent and day."""
FIELD_METADATA_TABLE = "field_metadata"
"""The table of per-field metadata, shared by every agent: one part per agent and day."""
AGENTS_FOLDER = "agents"
"""The folder holding one folder per agent (``agents/<slug>/``), each with the agent's own tables."""

PARTITION_KEY = "run_date"
"""The hive partition key. It lives in folder names only, never as a column in the files."""

PARQUET_SUFFIX = ".parquet"
WHOLE_DAY_FILE = "part-0.parquet"
"""The one file of a table-day written whole (the deterministic name that each rewrite replaces)."""

TEMP_SUFFIX = ".tmp"

_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_PARTITION = re.compile(re.escape(PARTITION_KEY) + r"=(\d{4}-\d{2}-\d{2})")


def check_table_path(table: str) -> str:
    """Return ``table`` if it is a valid table path, else raise :class:`ValueError`."""
    if not isinstance(table, str) or not table:
        raise ValueError(f"a table path must be a non-empty string, not {table!r}")
    for component in table.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise ValueError(
                f"invalid table path {table!r}: each '/'-separated part must match "
                "[A-Za-z0-9][A-Za-z0-9_-]* (no '..', no hidden folders, no '=')"
            )
    return table


def check_part(part: str) -> str:
    """Return ``part`` if it can name a part file of a table-day, else raise :class:`ValueError`."""
    if not isinstance(part, str) or not _COMPONENT.fullmatch(part):
        raise ValueError(f"invalid part name {part!r}: it must match [A-Za-z0-9][A-Za-z0-9_-]*")
    if part + PARQUET_SUFFIX == WHOLE_DAY_FILE:
        raise ValueError(f"the part name {part!r} is reserved for tables written whole per day")
    return part


def check_day(run_date: date) -> date:
    """Return ``run_date`` if it is a plain :class:`~datetime.date`, else raise :class:`TypeError`.

    A :class:`~datetime.datetime` is refused although it is a ``date`` subclass: the caller must
    decide which UTC day a moment falls on, not this module.
    """
    if isinstance(run_date, datetime) or not isinstance(run_date, date):
        raise TypeError(f"run_date must be a datetime.date (the UTC day), not {type(run_date).__name__}")
    return run_date


def partition_name(run_date: date) -> str:
    """The folder name of a day: ``run_date=YYYY-MM-DD``."""
    return f"{PARTITION_KEY}={run_date.isoformat()}"


def parse_partition_name(name: str) -> date | None:
    """The day a ``run_date=YYYY-MM-DD`` folder name stands for; None for any other name."""
    match = _PARTITION.fullmatch(name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match[1])
    except ValueError:
        return None


def part_file_name(part: str | None) -> str:
    """The file name of a part, or of the whole-day file when ``part`` is None."""
    return WHOLE_DAY_FILE if part is None else part + PARQUET_SUFFIX


def is_data_file(name: str) -> bool:
    """Whether a file name is one readers load: ``*.parquet``, not hidden."""
    return name.endswith(PARQUET_SUFFIX) and not name.startswith((".", "_"))


def temp_file_name(name: str, token: str) -> str:
    """The hidden temporary name a write of file ``name`` goes through (``.<name>.<token>.tmp``)."""
    return f".{name}.{token}{TEMP_SUFFIX}"


def is_temp_file(name: str, of: str | None = None) -> bool:
    """Whether a file name is one of this package's temporary files (a crashed write's leftover),
    of the file ``of`` when given."""
    prefix = "." if of is None else f".{of}."
    return name.startswith(prefix) and name.endswith(TEMP_SUFFIX)


def check_scope_entry(entry: str) -> str:
    """Normalise a scope entry (a table path, or a prefix ending in ``/``) to a table-path prefix."""
    stripped = entry.strip("/") if isinstance(entry, str) else entry
    return check_table_path(stripped)


def in_scope(table: str, prefix: str) -> bool:
    """Whether ``table`` is the table path ``prefix`` or lies below it (component-wise)."""
    return table == prefix or table.startswith(prefix + "/")


def agent_prefix(slug: str) -> str:
    """The folder of an agent's own tables, as a scope prefix: ``agents/<slug>/``."""
    return f"{AGENTS_FOLDER}/{slug}/"


def agent_table(slug: str, name: str) -> str:
    """The table path of an agent's table: ``agents/<slug>/<name>``.

    Examples:
        >>> agent_table("invoices-eu-c47a1e90", "records__line_items")
        'agents/invoices-eu-c47a1e90/records__line_items'
    """
    return f"{AGENTS_FOLDER}/{slug}/{name}"


def split_agent_table(table: str) -> tuple[str, str] | None:
    """``(slug, name)`` of an agent's table path; None for any other table (``runs``, ...).

    Examples:
        >>> split_agent_table("agents/invoices-eu-c47a1e90/records"), split_agent_table("runs")
        (('invoices-eu-c47a1e90', 'records'), None)
    """
    parts = table.split("/")
    if len(parts) == 3 and parts[0] == AGENTS_FOLDER:
        return parts[1], parts[2]
    return None
