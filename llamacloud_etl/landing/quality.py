"""Extraction quality of a day: per agent, the numbers a team watches, kept small enough to ship.

:func:`day_quality` boils one day's flattened batch down to one :class:`Quality` per agent:
counts and sums (runs, errors, pages, tokens, records, scored and low-confidence fields), an
exact 10th percentile of the agent's confidences, and the confidences counted in 1% bins.
Qualities add up (:meth:`Quality.__add__`): a day's total over every agent keeps exact counts,
sums and means; its 10th percentile then comes from the summed bins, to within 0.01 (an exact
percentile of several agents would need every score, which a day result must not carry).

The 10th percentile is the *lower* one: the sorted scores' element at index
``floor(0.1 * (n - 1))`` (numpy's ``method="lower"``, an actual score, never an interpolation).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from llamacloud_etl.flatten import FlattenedBatch

P10 = 0.1
BINS = 100
"""Confidences are counted in bins of width ``1 / BINS``; bin ``BINS`` holds exactly 1.0."""


@dataclass(frozen=True, slots=True)
class Quality:
    """Extraction quality of one agent's day, or of several summed.

    Attributes:
        runs: Finished runs landed.
        errored: Those that did not succeed.
        pages: ``num_pages_extracted`` summed (a run that reports none counts 0).
        document_tokens: ``num_document_tokens`` summed.
        output_tokens: ``num_output_tokens`` summed.
        credits: Credits used; None while the API gives none (v1 reports no credits).
        records: Records landed.
        scored: ``field_metadata`` rows with a confidence.
        low: Those below the low-confidence threshold.
        confidence_sum: Their confidences summed.
        exact_p10: The exact 10th percentile when one agent's scores are all here; else None.
        bins: ``(bin, count)`` of the non-empty bins of :data:`BINS`, ascending, packed as
            pairs of the narrowest unsigned integers that hold them (see :func:`pack_bins`): a
            landing keeps one per agent and day.
    """

    runs: int = 0
    errored: int = 0
    pages: int = 0
    document_tokens: int = 0
    output_tokens: int = 0
    credits: float | None = None
    records: int = 0
    scored: int = 0
    low: int = 0
    confidence_sum: float = 0.0
    exact_p10: float | None = None
    bins: bytes = b""

    def __add__(self, other: Quality) -> Quality:
        """Both (of disjoint runs) as one: sums, bins merged, an exact p10 kept if one side has none."""
        counts: dict[int, int] = dict(unpack_bins(self.bins))
        for index, count in unpack_bins(other.bins):
            counts[index] = counts.get(index, 0) + count
        if other.scored == 0:
            exact = self.exact_p10
        elif self.scored == 0:
            exact = other.exact_p10
        else:
            exact = None
        return Quality(
            runs=self.runs + other.runs,
            errored=self.errored + other.errored,
            pages=self.pages + other.pages,
            document_tokens=self.document_tokens + other.document_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            credits=_add_optional(self.credits, other.credits),
            records=self.records + other.records,
            scored=self.scored + other.scored,
            low=self.low + other.low,
            confidence_sum=self.confidence_sum + other.confidence_sum,
            exact_p10=exact,
            bins=pack_bins(sorted(counts.items())),
        )

    @property
    def error_rate(self) -> float:
        """Share of the finished runs that did not succeed; 0 with no runs."""
        return self.errored / self.runs if self.runs else 0.0

    @property
    def confidence_mean(self) -> float | None:
        """Mean confidence of the scored fields; None when none was scored."""
        return self.confidence_sum / self.scored if self.scored else None

    @property
    def confidence_p10(self) -> float | None:
        """The 10th percentile: exact for one agent, else the lower edge of its 1% bin; None unscored."""
        if self.exact_p10 is not None or not self.scored:
            return self.exact_p10
        rank = math.floor(P10 * (self.scored - 1))
        seen = 0
        for index, count in unpack_bins(self.bins):
            seen += count
            if seen > rank:
                return index / BINS
        return None  # unreachable: the bins hold every scored field

    @property
    def low_share(self) -> float | None:
        """Share of the scored fields below the threshold; None when none was scored."""
        return self.low / self.scored if self.scored else None


_WIDTHS = ("H", "I", "Q")
"""Typecodes of :func:`pack_bins`, narrowest first: a day's counts mostly fit 16 bits."""


def pack_bins(pairs: Iterable[tuple[int, int]]) -> bytes:
    """``(bin, count)`` pairs as one ``bytes``: the typecode of the narrowest unsigned ``array`` that
    holds every count, then the pairs in it (a tuple of tuples costs ten times more).

    Examples:
        >>> packed = pack_bins([(3, 2), (99, 70_000)])
        >>> (len(packed), unpack_bins(packed))
        (17, [(3, 2), (99, 70000)])
    """
    flat = [n for pair in pairs for n in pair]
    if not flat:
        return b""
    top = max(flat)
    code = next(c for c in _WIDTHS if top < 1 << (8 * array(c).itemsize))
    return code.encode() + array(code, flat).tobytes()


def unpack_bins(packed: bytes) -> list[tuple[int, int]]:
    """The ``(bin, count)`` pairs of :func:`pack_bins`."""
    if not packed:
        return []
    flat = array(chr(packed[0]), packed[1:])
    return list(zip(flat[::2], flat[1::2], strict=True))


def total(qualities: Iterable[Quality]) -> Quality:
    """Every agent's quality summed."""
    result = Quality()
    for quality in qualities:
        result = result + quality
    return result


def day_quality(
    batch: FlattenedBatch, agent_ids: Sequence[str], threshold: float, succeeded: Collection[str]
) -> dict[str, Quality]:
    """One :class:`Quality` per agent of ``agent_ids`` that has runs in the batch.

    ``succeeded`` holds the IDs of the runs that succeeded (whatever the API's word for it); every
    other finished run counts as errored.
    """
    found: dict[str, Quality] = {}
    success_ids = pa.array(sorted(succeeded), type=pa.string())
    runs_agent = batch.runs.column("extraction_agent_id")
    scores_agent = batch.field_metadata.column("extraction_agent_id")
    for agent_id in agent_ids:
        runs = batch.runs.filter(pc.equal(runs_agent, pa.scalar(agent_id)))
        if runs.num_rows == 0:
            continue
        scores = batch.field_metadata.filter(pc.equal(scores_agent, pa.scalar(agent_id))).column("confidence")
        tables = batch.agents.get(agent_id)
        records = tables.tables.get("records") if tables is not None else None
        found[agent_id] = Quality(
            runs=runs.num_rows,
            errored=runs.num_rows - _count_true(pc.is_in(runs.column("run_id"), value_set=success_ids)),
            pages=_sum(runs.column("num_pages_extracted")),
            document_tokens=_sum(runs.column("num_document_tokens")),
            output_tokens=_sum(runs.column("num_output_tokens")),
            records=records.num_rows if records is not None else 0,
        ) + _confidence(scores, threshold)
    return found


def _confidence(scores: pa.ChunkedArray[Any], threshold: float) -> Quality:
    """The confidence part of one agent's :class:`Quality`, from its scores (nulls are not scored)."""
    values = sorted(float(score) for score in scores.to_pylist() if score is not None)
    if not values:
        return Quality()
    counts = Counter(min(max(math.floor(score * BINS), 0), BINS) for score in values)
    return Quality(
        scored=len(values),
        low=sum(1 for score in values if score < threshold),
        confidence_sum=math.fsum(values),
        exact_p10=values[math.floor(P10 * (len(values) - 1))],
        bins=pack_bins(sorted(counts.items())),
    )


def _add_optional(a: float | None, b: float | None) -> float | None:
    """A sum that stays None while neither side has a value (credits of a source that reports none)."""
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


def _sum(column: pa.ChunkedArray[Any]) -> int:
    return int(pc.sum(column).as_py() or 0)


def _count_true(mask: pa.Array[Any] | pa.ChunkedArray[Any]) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)
