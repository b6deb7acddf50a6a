"""The seeded data set generator: a deterministic history of agents, runs and jobs as wire JSON.

:func:`build_dataset` is a pure function of its arguments: the same seed gives the same bytes, in any
process, on any day. Nothing reads the clock and every random draw comes from a
:class:`random.Random` seeded with a string derived from the seed and the run's index, so run ``i`` does
not change when ``num_runs`` grows, and a status fix-up (below) never shifts another run's values.

Shape of the history: runs spread over ``days`` days from ``start`` (mostly business hours, UTC) and
over the four agents of :mod:`.agents` by their ``weight``. Most runs are SUCCESS; a few are ERROR
(some of them behind a CANCELLED job) and a few PER_DOC jobs are PARTIAL_SUCCESS (run SUCCESS, some
fields null and a root ``field_metadata.error``). Unfinished runs (CREATED or PENDING, with null
``data`` and ``extraction_metadata``) are drawn only among the runs of the last 36 hours. When the data
set has at least 8 runs it always holds a CREATED, a PENDING and an ERROR run (if chance gave none, the
newest, respectively oldest, plain SUCCESS run is switched), and with at least 4 runs every agent has
runs (every agent given a weight, when ``agent_weights`` shares the runs out instead of the agents' own
weights: one agent alone, say, or four equal ones).

The v2 API (:mod:`.v2wire`) serves the same history split at a cutover, ``v2_from``: extractions created
before it are v1 runs (and jobs), those created at or after it v2 jobs only, never both. ``None`` (the
default) keeps everything v1, byte for byte as without the knob; a cutover at or before ``start`` makes
everything v2. The split never changes an extraction's values, only which API serves it. Every agent also
has a saved ``extract_v2`` configuration, listed with one ``parse_v2`` configuration; the jobs of the
``v2_inline_agents`` (by default the Contracts agent) ran with an inline configuration instead.

**Lazy mode** (``build_dataset(..., lazy=True)``), for data sets too big to hold (a run is about 40 KB
of JSON and a millisecond to generate): only each run's plan is kept (:attr:`Dataset.plans`, newest
first), and the emulator generates a run's JSON from its own seed each time it is served
(:meth:`Dataset.generate`), the same JSON the eager mode holds. ``runs``, ``jobs`` and ``facts`` are then
empty, v1 only (no cutover), and ties of ``created_at`` are listed by plan index, not by id.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, partial
from typing import Any

from llamacloud_etl.emulator.agents import (
    AGENT_SPECS,
    DEFAULT_AGENT_SPEC,
    ORGANIZATION_ID,
    PROJECT_ID,
    AgentSpec,
)
from llamacloud_etl.emulator.plans import RunPlan, plan_runs
from llamacloud_etl.emulator.runs import RunFacts, error_text, fill_result, new_run
from llamacloud_etl.emulator.v2wire import (
    V2Extraction,
    configuration_json,
    job_id_for,
    parse_configuration_json,
    sort_key,
    v2_job_json,
    v2_status,
)
from llamacloud_etl.emulator.wire import JSON, agent_json, dumps, job_json, job_status_for, ms
from llamacloud_etl.models import ExtractState

DEFAULT_START = date(2026, 9, 1)
DEFAULT_DAYS = 42
DEFAULT_NUM_RUNS = 400

# The agent whose v2 jobs run with an inline configuration unless v2_inline_agents says otherwise.
DEFAULT_V2_INLINE_AGENTS = (AGENT_SPECS[3].id,)


@dataclass(frozen=True, eq=False)
class Dataset:
    """The ground truth the emulator serves, for tests to compare against.

    The dicts are the exact wire JSON (all keys present, explicit nulls). Treat them as read-only: the
    emulator app copies them, so mutating the app never changes the data set, and vice versa.

    Attributes:
        seed: the seed the data set was built from.
        start: first day of the history (UTC).
        days: length of the history in days.
        project_id: the one project everything belongs to.
        organization_id: the project's organization.
        agents: the listed agents, newest first.
        default_agents: agents listed only with ``include_default=true``.
        runs: every v1 run, newest first (``created_at`` desc, then ``id`` desc), like the API's list order.
        jobs: one v1 job per run, in the same order as ``runs``.
        facts: generation facts per run id (file type, pages, schema version), v1 runs only.
        v2_from: the cutover (aware, UTC): extractions created at or after it are v2 jobs; None: none are.
        v2_jobs: every v2 job (``ExtractV2Job``, every expandable key filled), newest first.
        v2_extractions: what each v2 job was made of, by job id (for the emulator's state).
        configurations: the saved configurations, newest first: one ``extract_v2`` per listed agent
            (``cfg-<agent id>``) and one ``parse_v2``; none without a cutover (a project that never used v2).
    """

    seed: int
    start: date
    days: int
    project_id: str
    organization_id: str
    agents: tuple[JSON, ...]
    default_agents: tuple[JSON, ...]
    runs: tuple[JSON, ...]
    jobs: tuple[JSON, ...]
    facts: Mapping[str, RunFacts]
    v2_from: datetime | None = None
    v2_jobs: tuple[JSON, ...] = ()
    v2_extractions: Mapping[str, V2Extraction] = field(default_factory=dict)
    configurations: tuple[JSON, ...] = ()
    plans: tuple[RunPlan, ...] = ()
    """Lazy mode only: every run's plan, newest first (see the module docstring)."""

    @property
    def end(self) -> datetime:
        """The end of the history (exclusive): midnight UTC after the last day."""
        return datetime.combine(self.start, time(0), tzinfo=UTC) + timedelta(days=self.days)

    @cached_property
    def _runs_by_id(self) -> dict[str, JSON]:
        return {run["id"]: run for run in self.runs}

    @cached_property
    def _jobs_by_id(self) -> dict[str, JSON]:
        return {job["id"]: job for job in self.jobs}

    @cached_property
    def _bodies(self) -> dict[str, bytes]:
        # Serialized once per data set: every app built on it reuses these bytes.
        return {item["id"]: dumps(item) for item in (*self.runs, *self.jobs)}

    def body(self, item_id: str) -> bytes:
        """The exact wire bytes of the run or job with this id, as the emulator serves them."""
        return self._bodies[item_id]

    @cached_property
    def _agents_by_id(self) -> dict[str, JSON]:
        return {a["id"]: a for a in self.agents}

    def generate(self, plan: RunPlan) -> tuple[JSON, JSON, RunFacts]:
        """A planned run's wire JSON, its job's and its facts, generated from the run's own seed."""
        origin = datetime.combine(self.start, time(0), tzinfo=UTC)
        agent = self._agents_by_id[plan.spec.id]
        return _generate(plan, seed=self.seed, origin=origin, days=self.days, agent=agent)

    def run(self, run_id: str) -> JSON:
        """The run with this id (KeyError if none)."""
        return self._runs_by_id[run_id]

    def job(self, job_id: str) -> JSON:
        """The job with this id (KeyError if none)."""
        return self._jobs_by_id[job_id]

    def job_for_run(self, run_id: str) -> JSON:
        """The job of this run."""
        return self._jobs_by_id[self.run(run_id)["job_id"]]

    def agent(self, agent_id: str) -> JSON:
        """The agent (listed or default) with this id (KeyError if none)."""
        for agent in (*self.agents, *self.default_agents):
            if agent["id"] == agent_id:
                return agent
        raise KeyError(agent_id)

    def agent_named(self, name: str) -> JSON:
        """The listed agent with this name (KeyError if none)."""
        for agent in self.agents:
            if agent["name"] == name:
                return agent
        raise KeyError(name)

    def runs_for_agent(self, agent_id: str) -> list[JSON]:
        """The agent's runs, newest first."""
        return [run for run in self.runs if run["extraction_agent_id"] == agent_id]

    def runs_on(self, day: date) -> list[JSON]:
        """Runs created on this UTC day, newest first."""
        prefix = day.isoformat()
        return [run for run in self.runs if run["created_at"].startswith(prefix)]

    def runs_with_status(self, status: str) -> list[JSON]:
        """Runs with this status, newest first."""
        return [run for run in self.runs if run["status"] == status]

    @cached_property
    def _v2_jobs_by_id(self) -> dict[str, JSON]:
        return {job["id"]: job for job in self.v2_jobs}

    def v2_job(self, job_id: str) -> JSON:
        """The v2 job with this id, every expandable key filled (KeyError if none)."""
        return self._v2_jobs_by_id[job_id]

    def v2_jobs_with_status(self, status: str) -> list[JSON]:
        """v2 jobs with this v2 status (``COMPLETED``, ``RUNNING``...), newest first."""
        return [job for job in self.v2_jobs if job["status"] == status]

    def v2_jobs_for_agent(self, agent_id: str) -> list[JSON]:
        """The v2 jobs of an agent's extractions (inline ones included), newest first."""
        return [
            j for j in self.v2_jobs if self.v2_extractions[j["id"]].run["extraction_agent_id"] == agent_id
        ]

    def configuration(self, config_id: str) -> JSON:
        """The saved configuration with this id (KeyError if none)."""
        for configuration in self.configurations:
            if configuration["id"] == config_id:
                return configuration
        raise KeyError(config_id)


def build_dataset(
    num_runs: int = DEFAULT_NUM_RUNS,
    *,
    seed: int = 0,
    start: date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    v2_from: date | datetime | None = None,
    v2_inline_agents: Collection[str] = DEFAULT_V2_INLINE_AGENTS,
    agent_weights: Mapping[str, float] | None = None,
    lazy: bool = False,
) -> Dataset:
    """Build the emulator's data set: four agents (plus a default one), ``num_runs`` runs and their jobs.

    Args:
        num_runs: number of extractions (v1 runs plus v2 jobs) over all agents.
        seed: the only source of variation; the same seed gives byte-identical JSON.
        start: first day of the history (UTC).
        days: number of days the runs are spread over.
        v2_from: the cutover: extractions created at or after it are v2 jobs (a date means midnight
            UTC, a naive datetime UTC); None keeps every extraction v1.
        v2_inline_agents: ids of the agents whose v2 jobs have an inline configuration
            (``configuration_id`` null).
        agent_weights: each listed agent's share of the runs, by agent id (an agent left out gets
            none, but is still listed); None: the agents' own weights, byte for byte as without it.
        lazy: keep only the runs' plans; the emulator generates each run when served (see the
            module docstring). Not with ``v2_from``.

    Examples:
        >>> ds = build_dataset(40, seed=1)
        >>> len(ds.runs), len(ds.agents)
        (40, 4)
    """
    _check(num_runs, days, lazy=lazy, v2_from=v2_from)
    origin = datetime.combine(start, time(0), tzinfo=UTC)
    agents = _agents(origin, days)
    listed = tuple(sorted(agents.values(), key=lambda a: (a["created_at"], a["id"]), reverse=True))
    default_created = origin - timedelta(days=60)
    default_agent = agent_json(DEFAULT_AGENT_SPEC, created_at=default_created, updated_at=default_created)
    dataset = partial(
        Dataset,
        seed=seed,
        start=start,
        days=days,
        project_id=PROJECT_ID,
        organization_id=ORGANIZATION_ID,
        agents=listed,
        default_agents=(default_agent,),
    )
    if lazy:  # the runs' plans only, newest first
        plans = tuple(reversed(plan_runs(num_runs, seed, origin, days, agent_weights)))
        return dataset(runs=(), jobs=(), facts={}, plans=plans)

    cutover = _cutover(v2_from)
    runs: list[JSON] = []
    jobs: list[JSON] = []
    facts: dict[str, RunFacts] = {}
    extractions: list[V2Extraction] = []
    for plan in plan_runs(num_runs, seed, origin, days, agent_weights):
        run, job, run_facts = _generate(plan, seed=seed, origin=origin, days=days, agent=agents[plan.spec.id])
        if cutover is None or plan.created < cutover:
            runs.append(run)
            jobs.append(job)
            facts[run["id"]] = run_facts
        else:
            extractions.append(_v2_extraction(run, job, run_facts, plan.spec.id in v2_inline_agents))
    v2_jobs = sorted((v2_job_json(e) for e in extractions), key=sort_key, reverse=True)
    # A project that never used v2 (no cutover) has no saved v2 configurations either.
    configurations = []
    if cutover is not None:
        configurations = [configuration_json(a) for a in agents.values()] + [parse_configuration_json(origin)]

    order = sorted(range(len(runs)), key=lambda i: (runs[i]["created_at"], runs[i]["id"]), reverse=True)
    return dataset(
        runs=tuple(runs[i] for i in order),
        jobs=tuple(jobs[i] for i in order),
        facts=facts,
        v2_from=cutover,
        v2_jobs=tuple(v2_jobs),
        v2_extractions={job_id_for(e.run["id"]): e for e in extractions},
        configurations=tuple(sorted(configurations, key=sort_key, reverse=True)),
    )


def _check(num_runs: int, days: int, *, lazy: bool, v2_from: date | datetime | None) -> None:
    if num_runs < 0:
        raise ValueError("num_runs must be >= 0")
    if days < 1:
        raise ValueError("days must be >= 1")
    if lazy and v2_from is not None:
        raise ValueError("a lazy data set is v1 only: no v2_from")


def _v2_extraction(run: JSON, job: JSON, facts: RunFacts, inline: bool) -> V2Extraction:
    """An extraction served as a v2 job (its status in v2's words)."""
    status = v2_status(run["status"], job["status"], run["id"])
    return V2Extraction(run=run, facts=facts, status=status, inline=inline)


def _cutover(v2_from: date | datetime | None) -> datetime | None:
    """The cutover as an aware UTC datetime: a date is its midnight UTC, a naive datetime is UTC."""
    if v2_from is None:
        return None
    if not isinstance(v2_from, datetime):
        return datetime.combine(v2_from, time(0), tzinfo=UTC)
    return v2_from.replace(tzinfo=UTC) if v2_from.tzinfo is None else v2_from.astimezone(UTC)


def _agents(origin: datetime, days: int) -> dict[str, JSON]:
    """The listed agents' wire objects by id, created before the history; a new schema moves updated_at."""
    agents: dict[str, JSON] = {}
    for n, spec in enumerate(AGENT_SPECS):
        created = origin - timedelta(days=30 - 3 * n, hours=2 * n + 9)
        updated = created
        if len(spec.schemas) > 1:
            updated = origin + timedelta(days=days * spec.schema_changed_at)
        agents[spec.id] = agent_json(spec, created_at=created, updated_at=updated)
    return agents


def _generate(
    plan: RunPlan, *, seed: int, origin: datetime, days: int, agent: JSON
) -> tuple[JSON, JSON, RunFacts]:
    """The planned run (with its result or error), its job and its facts, from the run's own seed."""
    rng = random.Random(f"llamacloud-emulator/{seed}/run/{plan.index}")
    spec = plan.spec
    version = len(spec.schemas)
    if version > 1 and plan.created < origin + timedelta(days=days * spec.schema_changed_at):
        version -= 1
    if plan.status in (ExtractState.SUCCESS, ExtractState.ERROR):
        updated = plan.created + ms(rng.uniform(3, 300))
    elif plan.status == ExtractState.PENDING:
        updated = plan.created + ms(rng.uniform(0.2, 5))
    else:
        updated = plan.created
    run, run_facts = new_run(
        spec,
        rng=rng,
        created_at=plan.created,
        status=plan.status,
        updated_at=updated,
        schema_version=version,
        config_overrides=_config_overrides(spec, rng),
        with_file=rng.random() >= 0.05,
        from_ui=rng.random() < 0.05,
    )
    if plan.status == ExtractState.SUCCESS:
        fill_result(run, spec=spec, facts=run_facts, rng=rng, partial=plan.partial, field_error_rate=0.03)
    elif plan.status == ExtractState.ERROR:
        name = run["file"]["name"] if run["file"] else "the document"
        run["error"] = error_text(rng, file_name=name, cancelled=plan.cancelled)
    job_status = job_status_for(plan.status, partial=plan.partial, cancelled=plan.cancelled)
    job = job_json(job_id=run["job_id"], agent=agent, status=job_status, error=run["error"], run=run)
    return run, job, run_facts


def _config_overrides(spec: AgentSpec, rng: random.Random) -> dict[str, Any]:
    """Per-run config overrides (a job's ``config_override``); each agent keeps one metadata flag on."""
    over: dict[str, Any] = {}
    roll = rng.random()
    if spec.key == "invoices":
        if roll < 0.15:
            over["confidence_scores"] = False
        elif roll < 0.25:
            over["priority"] = "high"
        elif roll < 0.30:
            over["invalidate_cache"] = True
        elif roll < 0.35:
            over["extract_model"] = "acme-invoice-ft-2026-07"  # not in the SDK enum; must be accepted
    elif spec.key == "report-pages":
        if roll < 0.25:
            over["page_range"] = "1-4"
        elif roll < 0.35:
            over["high_resolution_mode"] = True
    elif spec.key == "price-list-rows":
        if roll < 0.15:
            over["extraction_mode"] = "PREMIUM"  # bounding boxes on pdf/png
        elif roll < 0.25:
            over["priority"] = "low"
    elif spec.key == "contracts" and roll < 0.1:
        over["confidence_scores"] = False
    return over
