"""What a landing did: one :class:`DayResult` per day written, one :class:`LandingReport` built from them.

Every count of a landing comes from its days: the report is built once, at the end, from the
per-day results (and the few facts that belong to no day: runs listed, conformed partitions,
requests). A day landed twice (a run listed after its day was written) keeps only its second
result, so nothing is ever added and then taken back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date

from llamacloud_etl.flatten import SchemaConflict
from llamacloud_etl.landing.quality import Quality
from llamacloud_etl.landing.readback import ReadBack
from llamacloud_etl.landing.runids import RunIds
from llamacloud_etl.landing.written import WrittenFiles
from llamacloud_etl.run import Agent
from llamacloud_etl.storage import WrittenPartition


@dataclass(slots=True)
class DayResult:
    """What landing one day (for one group of agents, or all of them) did.

    Attributes:
        day: The ``run_date`` partition.
        written: Every file written for the day.
        runs_landed: IDs of the finished runs that landed.
        success_listed: IDs of the runs among them that succeeded.
        pending_ids: IDs of unfinished runs of the day: counted, not landed.
        vanished: IDs of runs that were gone (404) when the day was landed again.
        flatten_failed: IDs of succeeded runs whose data could not be flattened.

    Every day of a landing keeps its result until the report is built, so the ID sets are stored
    as compact :class:`RunIds` (any set given is converted), the files as compact
    :class:`WrittenFiles` (any sequence given is converted), and the rest are numbers.
        low_confidence_fields: Field metadata rows below the low-confidence threshold.
        scored_fields: Field metadata rows with a confidence.
        records: Records landed.
        off_schema_values: Values that broke their schema, kept in ``_extra``.
        flatten_errors: The flatten errors, as text.
        schema_conflicts: Type clashes met while unifying the day's schemas.
        quality: Extraction quality of each agent with runs that day, by agent ID.
        agent_runs: Runs landed per agent name, every agent of the group listed (0 for none).
    """

    day: date
    written: Sequence[WrittenPartition]
    runs_landed: Set[str]
    success_listed: Set[str]
    pending_ids: Set[str]
    vanished: list[str]
    flatten_failed: Set[str]
    low_confidence_fields: int
    scored_fields: int
    records: int = 0
    off_schema_values: int = 0
    flatten_errors: list[str] = field(default_factory=list)
    schema_conflicts: list[SchemaConflict] = field(default_factory=list)
    quality: dict[str, Quality] = field(default_factory=dict)
    agent_runs: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.written, WrittenFiles):
            self.written = WrittenFiles(self.written)
        for name in ("runs_landed", "success_listed", "pending_ids", "flatten_failed"):
            ids = getattr(self, name)
            if not isinstance(ids, RunIds):
                setattr(self, name, RunIds(ids))

    @property
    def pending(self) -> int:
        """Unfinished runs of the day: counted, not landed."""
        return len(self.pending_ids)

    @property
    def errored(self) -> int:
        """Finished runs of the day that did not succeed."""
        return len(self.runs_landed) - len(self.success_listed)

    def combine(self, other: DayResult) -> DayResult:
        """One day's results of two groups of agents (they write disjoint files)."""
        return DayResult(
            day=self.day,
            written=sorted([*self.written, *other.written], key=lambda w: (w.table, w.part or "")),
            runs_landed=self.runs_landed | other.runs_landed,
            success_listed=self.success_listed | other.success_listed,
            pending_ids=self.pending_ids | other.pending_ids,
            vanished=sorted([*self.vanished, *other.vanished]),
            flatten_failed=self.flatten_failed | other.flatten_failed,
            low_confidence_fields=self.low_confidence_fields + other.low_confidence_fields,
            scored_fields=self.scored_fields + other.scored_fields,
            records=self.records + other.records,
            off_schema_values=self.off_schema_values + other.off_schema_values,
            flatten_errors=[*self.flatten_errors, *other.flatten_errors],
            schema_conflicts=[*self.schema_conflicts, *other.schema_conflicts],
            quality={
                agent: self.quality.get(agent, Quality()) + other.quality.get(agent, Quality())
                for agent in sorted(self.quality.keys() | other.quality.keys())
            },
            agent_runs=self.agent_runs | other.agent_runs,
        )


def merge_days(*parts: Iterable[DayResult]) -> list[DayResult]:
    """Day results of disjoint agents folded into one result per day, oldest day first."""
    merged: dict[date, DayResult] = {}
    for results in parts:
        for result in results:
            before = merged.get(result.day)
            merged[result.day] = result if before is None else before.combine(result)
    return [merged[d] for d in sorted(merged)]


@dataclass
class LandingReport:
    """What a landing did, for metadata, checks and the CLI; every count is summed over :attr:`days`.

    Attributes:
        agents: The agents landed.
        days: One result per day written, oldest first.
        listed: Runs the listings returned, of the range or newer.
        unconformed: Partitions left in an earlier schema, with the reason.
        conformed: Partitions rewritten in their table's grown schema.
        api_requests: Requests made by the groups' own sources (the caller's source counts its own).
        api_retries: Retries made by them.
        read_back: What reading the written days back showed.
    """

    agents: list[Agent] = field(default_factory=list)
    days: list[DayResult] = field(default_factory=list)
    listed: int = 0
    unconformed: list[str] = field(default_factory=list)
    conformed: int = 0
    api_requests: int = 0
    api_retries: int = 0
    read_back: ReadBack = field(default_factory=ReadBack)

    @property
    def fetched(self) -> int:
        """Finished runs of the range received, listed or fetched by ID."""
        return sum(len(d.runs_landed) for d in self.days)

    @property
    def success(self) -> int:
        """Succeeded runs landed."""
        return sum(len(d.success_listed) for d in self.days)

    @property
    def errored(self) -> int:
        """Finished runs landed that did not succeed."""
        return sum(d.errored for d in self.days)

    @property
    def pending(self) -> int:
        """Unfinished runs of the range: counted, not landed."""
        return sum(d.pending for d in self.days)

    @property
    def vanished(self) -> int:
        """Runs gone (404) by the time their day was landed again."""
        return sum(len(d.vanished) for d in self.days)

    @property
    def records(self) -> int:
        """Records landed."""
        return sum(d.records for d in self.days)

    @property
    def off_schema_values(self) -> int:
        """Values that broke their schema, kept in ``_extra``."""
        return sum(d.off_schema_values for d in self.days)

    @property
    def flatten_errors(self) -> list[str]:
        """Every flatten error, as text."""
        return [e for d in self.days for e in d.flatten_errors]

    @property
    def schema_conflicts(self) -> dict[str, SchemaConflict]:
        """Every schema conflict once, by its text, however many days met it."""
        found: dict[str, SchemaConflict] = {}
        for day in self.days:
            for conflict in day.schema_conflicts:
                found.setdefault(str(conflict), conflict)
        return found

    @property
    def incompatible_conflicts(self) -> list[SchemaConflict]:
        """Type clashes that could not be reconciled (off-type values went to ``_extra``)."""
        return [c for c in self.schema_conflicts.values() if c.resolution != "widened"]

    @property
    def written(self) -> list[WrittenPartition]:
        """Every partition file written, in order."""
        return [w for d in self.days for w in d.written]


def merge_reports(agents: Sequence[Agent], reports: Iterable[LandingReport]) -> LandingReport:
    """One report of landings of disjoint agents (groups of agents, worker processes)."""
    parts = list(reports)
    read_back = ReadBack()
    for part in parts:
        read_back.add(part.read_back)
    return LandingReport(
        agents=list(agents),
        days=merge_days(*(part.days for part in parts)),
        listed=sum(part.listed for part in parts),
        unconformed=[u for part in parts for u in part.unconformed],
        conformed=sum(part.conformed for part in parts),
        api_requests=sum(part.api_requests for part in parts),
        api_retries=sum(part.api_retries for part in parts),
        read_back=read_back,
    )
