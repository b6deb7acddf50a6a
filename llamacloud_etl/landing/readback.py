"""Read what a landing wrote back from storage, and check it: duplicate IDs, succeeded runs missing.

Each group of agents reads back its own days right after writing them, in the process that wrote
them (:func:`read_back`); :func:`verify` reads a whole landing again. :class:`Verification` is the
evidence the Dagster asset checks report.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow.compute as pc

from llamacloud_etl.storage import RUNS_TABLE, ParquetStore, split_agent_table

if TYPE_CHECKING:
    from llamacloud_etl.landing.report import DayResult, LandingReport


@dataclass
class ReadBack:
    """What reading days a landing wrote back from storage shows.

    Attributes:
        runs_read: ``runs`` rows read back.
        duplicate_run_ids: ``run_id`` values found more than once in a day of ``runs``.
        duplicate_row_ids: per agent table, ``_row_id`` values found more than once in a day.
        missing_success: succeeded runs the listing showed (that did not vanish since) that no
            ``runs`` file of their day holds.
    """

    runs_read: int = 0
    duplicate_run_ids: int = 0
    duplicate_row_ids: dict[str, int] = field(default_factory=dict)
    missing_success: list[str] = field(default_factory=list)

    def add(self, other: ReadBack) -> None:
        """Fold in the read-back of other days, or of other agents' files of the same days."""
        self.runs_read += other.runs_read
        self.duplicate_run_ids += other.duplicate_run_ids
        for table, count in other.duplicate_row_ids.items():
            self.duplicate_row_ids[table] = self.duplicate_row_ids.get(table, 0) + count
        self.missing_success = sorted([*self.missing_success, *other.missing_success])


def read_back(
    store: ParquetStore, days: Iterable[DayResult], parts: Collection[str] | None = None
) -> ReadBack:
    """Read the ID columns of ``days`` back from storage and check them.

    Duplicates are counted per day partition (a run belongs to exactly one day). With ``parts``
    (agent IDs), only those agents' parts of the shared ``runs`` table are read: each worker
    process reads back its own agents, and the sums are the whole landing's.
    """
    found = ReadBack()
    for day in days:
        tables = sorted({w.table for w in day.written})
        landed: set[str] = set()
        if RUNS_TABLE in tables:
            ids = store.read_table(RUNS_TABLE, days=[day.day], columns=["run_id"], parts=parts)
            column = ids.column("run_id")
            found.runs_read += len(column)
            found.duplicate_run_ids += len(column) - pc.count_distinct(column).as_py()
            landed = {str(v) for v in column.to_pylist()}
        found.missing_success.extend(sorted(day.success_listed - landed))
        for table in tables:
            if split_agent_table(table) is not None:
                rows = store.read_table(table, days=[day.day], columns=["_row_id"]).column("_row_id")
                dup = len(rows) - pc.count_distinct(rows).as_py()
                if dup:
                    found.duplicate_row_ids[table] = found.duplicate_row_ids.get(table, 0) + dup
    found.missing_success.sort()
    return found


@dataclass(frozen=True)
class Verification:
    """The asset checks' evidence: what reading the landed days back showed, and what the landing counted.

    A run whose data could not be flattened has its ``runs`` row but no records: it is reported
    apart, in ``flatten_failed``, not as missing.
    """

    runs_read: int
    duplicate_run_ids: int
    duplicate_row_ids: dict[str, int]
    missing_success: list[str]
    flatten_failed: list[str]
    low_confidence: int
    scored: int

    @classmethod
    def of(cls, report: LandingReport, found: ReadBack | None = None) -> Verification:
        """The verification of ``report``, from ``found`` or else the read-back the landing did."""
        found = report.read_back if found is None else found
        return cls(
            runs_read=found.runs_read,
            duplicate_run_ids=found.duplicate_run_ids,
            duplicate_row_ids=dict(found.duplicate_row_ids),
            missing_success=list(found.missing_success),
            flatten_failed=sorted(r for d in report.days for r in d.flatten_failed),
            low_confidence=sum(d.low_confidence_fields for d in report.days),
            scored=sum(d.scored_fields for d in report.days),
        )


def verify(report: LandingReport, store: ParquetStore) -> Verification:
    """Read every day of ``report`` back from storage now, and check it (see :func:`read_back`).

    A landing already reads back what it wrote, each group of agents right after its days
    (``report.read_back``, in the process that wrote them); this reads it all again.
    """
    return Verification.of(report, read_back(store, report.days))
