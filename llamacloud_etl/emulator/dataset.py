"""The emulator's deterministic data set: agents, runs and jobs as wire JSON (spec §3, §4, §6, §10).

:func:`build_dataset` is a pure function of its arguments: the same seed gives the same bytes, in any
process, on any day. Nothing reads the clock and every random draw comes from a
:class:`random.Random` seeded with a string derived from the seed and the run's index, so run ``i`` does
not change when ``num_runs`` grows, and a status fix-up (below) never shifts another run's values.

Shape of the history: runs spread over ``days`` days from ``start`` (mostly business hours, UTC),
about 40/20/20/20 % over the four agents of :mod:`.agents`. Mostly SUCCESS; about 7 % ERROR (some of
them behind a CANCELLED job); a few PARTIAL_SUCCESS jobs (run SUCCESS, some fields null and a root
``field_metadata.error``). Unfinished runs (CREATED or PENDING, with null ``data`` and
``extraction_metadata``) are drawn only among the runs of the last 36 hours. When the data set has at
least 8 runs it always holds a CREATED, a PENDING and an ERROR run (if chance gave none, the newest,
respectively oldest, plain SUCCESS run is switched), and with at least 4 runs every agent has runs.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from llamacloud_etl.emulator.agents import (
    AGENT_SPECS,
    DEFAULT_AGENT_SPEC,
    ORGANIZATION_ID,
    PROJECT_ID,
    AgentSpec,
    GenContext,
)
from llamacloud_etl.emulator.metadata import build_extraction_metadata
from llamacloud_etl.models import ExtractState, JobStatus

JSON = dict[str, Any]

DEFAULT_START = date(2026, 9, 1)
DEFAULT_DAYS = 42
DEFAULT_NUM_RUNS = 400

# Only runs this close to the end of the history may still be unfinished.
_UNFINISHED_WINDOW = timedelta(hours=36)


def dumps(value: Any) -> bytes:
    """Serialize like FastAPI's JSONResponse: compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z`` (§10.11), e.g. ``2026-09-01T08:15:02.481Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by :func:`format_timestamp`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic, unlike :func:`uuid.uuid4`)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ms(seconds: float) -> timedelta:
    return timedelta(milliseconds=round(seconds * 1000))


@dataclass(frozen=True)
class RunFacts:
    """What the generator knew about a run that the wire JSON does not show (the file may be null)."""

    agent_key: str
    file_type: str
    pages: int
    schema_version: int


def agent_json(spec: AgentSpec, *, created_at: datetime, updated_at: datetime) -> JSON:
    """The ExtractAgent wire object of ``spec``, showing its current (last) schema."""
    return {
        "id": spec.id,
        "name": spec.name,
        "project_id": PROJECT_ID,
        "data_schema": spec.schemas[-1],
        "config": spec.config,
        "custom_configuration": "default" if spec is DEFAULT_AGENT_SPEC else None,
        "created_at": format_timestamp(created_at),
        "updated_at": format_timestamp(updated_at),
    }


def file_json(*, file_id: str, name: str, file_type: str, file_size: int, created_at: datetime) -> JSON:
    """The deprecated File wire object, every key present."""
    stamp = format_timestamp(created_at)
    return {
        "id": file_id,
        "name": name,
        "project_id": PROJECT_ID,
        "created_at": stamp,
        "updated_at": stamp,
        "last_modified_at": None,
        "expires_at": None,
        "external_file_id": None,
        "file_type": file_type,
        "file_size": file_size,
        "purpose": "extract",
        "data_source_id": None,
        "resource_info": None,
        "permission_info": None,
    }


def job_json(*, job_id: str, agent: JSON, status: str, error: str | None, run: JSON) -> JSON:
    """The ExtractJob wire object: the full agent embedded, no timestamps, no run id (§3)."""
    return {
        "id": job_id,
        "extraction_agent": agent,
        "status": status,
        "error": error,
        "file_id": run["file_id"],
        "file": run["file"],
    }


def job_status_for(run_status: str, *, partial: bool = False, cancelled: bool = False) -> str:
    """The job status that goes with a run status (§10.5)."""
    if run_status == ExtractState.SUCCESS:
        return JobStatus.PARTIAL_SUCCESS.value if partial else JobStatus.SUCCESS.value
    if run_status == ExtractState.ERROR:
        return JobStatus.CANCELLED.value if cancelled else JobStatus.ERROR.value
    return JobStatus.PENDING.value


def error_text(rng: random.Random, *, file_name: str, cancelled: bool = False) -> str:
    """An ``error`` string in the observed ``<category>: <message>`` form (§4)."""
    if cancelled:
        return "cancelled: Job was cancelled by the user before extraction finished."
    choice = rng.randrange(5)
    if choice == 0:
        return (
            f"parsing_error: Error on parsing: Result for Parsing Job {new_uuid(rng)} not found. "
            "Check job status to see if it has completed."
        )
    if choice == 1:
        return f"parsing_error: Could not read {file_name}: the file is encrypted or corrupted."
    if choice == 2:
        return "extraction_error: The model output did not match the data schema after 3 attempts."
    if choice == 3:
        return "timeout_error: Extraction did not finish within 1800 seconds."
    return "internal_error: An unexpected error occurred. Please retry the job."


def _nullable(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    type_ = node.get("type")
    if isinstance(type_, list) and "null" in type_:
        return True
    return any(isinstance(b, dict) and b.get("type") == "null" for b in node.get("anyOf", []))


def _null_some_fields(rng: random.Random, schema: JSON, data: JSON, count: int) -> list[str]:
    """Null ``count`` nullable, non-null top-level fields of PER_DOC ``data``; return their names.

    Only fields the schema allows to be null, so partial results still conform to the schema.
    """
    properties = schema.get("properties", {})
    candidates = [k for k, node in properties.items() if _nullable(node) and data.get(k) is not None]
    chosen = sorted(rng.sample(candidates, k=min(count, len(candidates))))
    for key in chosen:
        data[key] = None
    return chosen


def fill_result(
    run: JSON,
    *,
    spec: AgentSpec,
    facts: RunFacts,
    rng: random.Random,
    partial: bool = False,
    field_error_rate: float = 0.0,
) -> None:
    """Set ``data`` and ``extraction_metadata`` of a SUCCESS run, in place.

    Args:
        run: the run wire dict; its ``data_schema`` and ``config`` drive the result.
        spec: the run's agent.
        facts: file type, page count and schema version of the run.
        rng: seeded randomness.
        partial: a PARTIAL_SUCCESS job: some optional fields are null and field metadata carries ``error``.
        field_error_rate: chance of a root ``field_metadata.error`` on a complete PER_DOC result.
    """
    ctx = GenContext(
        created=parse_timestamp(run["created_at"]), pages=facts.pages, schema_version=facts.schema_version
    )
    data = spec.generate(rng, ctx)
    field_error: str | None = None
    if isinstance(data, dict):
        if partial:
            missing = _null_some_fields(rng, run["data_schema"], data, 2)
            named = ", ".join(f"'{k}'" for k in missing) or "some fields"
            field_error = f"extraction_error: partial result; could not extract {named}"
        elif rng.random() < field_error_rate:
            missing = _null_some_fields(rng, run["data_schema"], data, 1)
            if missing:
                field_error = (
                    f"validation_error: value of '{missing[0]}' did not match the schema and was dropped"
                )
    run["data"] = data
    run["extraction_metadata"] = build_extraction_metadata(
        schema=run["data_schema"],
        data=data,
        target=run["config"]["extraction_target"],
        config=run["config"],
        file_type=facts.file_type,
        pages=facts.pages,
        rng=rng,
        field_error=field_error,
    )


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


def _file_name(spec: AgentSpec, rng: random.Random, created: datetime, file_type: str) -> str:
    special = {
        "invoices": ["Facture-été-2026", "請求書_0412", "Rechnung Nr. 7 (Kopie)"],
        "contracts": ["Contrat_de_service_signé", "賃貸借契約書"],
    }.get(spec.key, [])
    if special and rng.random() < 0.08:
        stem = rng.choice(special)
    else:
        stem = f"{spec.file_prefix}-{created:%Y%m%d}-{rng.randint(1, 9999):04d}"
    return f"{stem}.{file_type}"


def _file_size(rng: random.Random, file_type: str, pages: int) -> int:
    if file_type == "png":
        return rng.randint(300_000, 3_000_000)
    if file_type == "docx":
        return rng.randint(15_000, 60_000) * pages
    return rng.randint(40_000, 250_000) * pages


def new_run(
    spec: AgentSpec,
    *,
    rng: random.Random,
    created_at: datetime,
    status: str,
    updated_at: datetime | None = None,
    schema_version: int | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    with_file: bool = True,
    from_ui: bool = False,
    error: str | None = None,
) -> tuple[JSON, RunFacts]:
    """Build a run wire dict (without ``data``/``extraction_metadata``, which stay null) and its facts.

    The caller fills the result with :func:`fill_result` for SUCCESS runs.
    """
    file_type = rng.choice(list(spec.file_types))
    total_pages = 1 if file_type == "png" else rng.randint(*spec.pages)
    config = {**spec.config, **(config_overrides or {})}
    pages = total_pages
    if config["page_range"] == "1-4":
        pages = min(total_pages, 4)
    version = schema_version if schema_version is not None else len(spec.schemas)
    file_id = new_uuid(rng)
    name = _file_name(spec, rng, created_at, file_type)
    file_obj = file_json(
        file_id=file_id,
        name=name,
        file_type=file_type,
        file_size=_file_size(rng, file_type, total_pages),
        created_at=created_at - _ms(rng.uniform(0.5, 90)),
    )
    run: JSON = {
        "id": new_uuid(rng),
        "created_at": format_timestamp(created_at),
        "updated_at": format_timestamp(updated_at or created_at),
        "project_id": PROJECT_ID,
        "extraction_agent_id": spec.id,
        "job_id": new_uuid(rng),
        "file_id": file_id,
        "file": file_obj if with_file else None,
        "status": status,
        "error": error,
        "from_ui": from_ui,
        "data_schema": spec.schemas[version - 1],
        "config": config,
        "data": None,
        "extraction_metadata": None,
    }
    return run, RunFacts(agent_key=spec.key, file_type=file_type, pages=pages, schema_version=version)


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
        runs: every run, newest first (``created_at`` desc, then ``id`` desc), like the API's list order.
        jobs: one job per run, in the same order as ``runs``.
        facts: generation facts per run id (file type, pages, schema version).
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


@dataclass
class _Plan:
    index: int
    spec: AgentSpec
    created: datetime
    status: str = ExtractState.SUCCESS.value
    cancelled: bool = False
    partial: bool = False


def _created_at(rng: random.Random, start: datetime, days: int) -> datetime:
    """A creation time: a random day, mostly in business hours (UTC), with milliseconds."""
    day = rng.randrange(days)
    seconds = rng.uniform(7 * 3600, 19 * 3600) if rng.random() < 0.8 else rng.uniform(0, 24 * 3600)
    return start + timedelta(days=day) + _ms(seconds)


def _plan_runs(num_runs: int, seed: int, start: datetime, days: int) -> list[_Plan]:
    weights = [spec.weight for spec in AGENT_SPECS]
    end = start + timedelta(days=days)
    plans: list[_Plan] = []
    for i in range(num_runs):
        rng = random.Random(f"llamacloud-emulator/{seed}/plan/{i}")
        # The first runs go to each agent in turn so that even a tiny data set covers every agent.
        spec = AGENT_SPECS[i] if i < len(AGENT_SPECS) else rng.choices(AGENT_SPECS, weights=weights)[0]
        plan = _Plan(index=i, spec=spec, created=_created_at(rng, start, days))
        if plan.created >= end - _UNFINISHED_WINDOW and rng.random() < 0.45:
            plan.status = ExtractState.CREATED.value if rng.random() < 0.4 else ExtractState.PENDING.value
        elif rng.random() < 0.07:
            plan.status = ExtractState.ERROR.value
            plan.cancelled = rng.random() < 0.15
        elif spec.target == "PER_DOC" and rng.random() < 0.04:
            plan.partial = True
        plans.append(plan)
    plans.sort(key=lambda p: (p.created, p.index))
    if num_runs >= 8:
        _ensure_status(plans, ExtractState.PENDING.value, newest=True)
        _ensure_status(plans, ExtractState.CREATED.value, newest=True)
        _ensure_status(plans, ExtractState.ERROR.value, newest=False)
    return plans


def _ensure_status(plans: list[_Plan], status: str, *, newest: bool) -> None:
    """Give ``status`` to one plain SUCCESS run if no run has it (the newest one, or the oldest)."""
    if any(p.status == status for p in plans):
        return
    ordered = reversed(plans) if newest else iter(plans)
    for plan in ordered:
        if plan.status == ExtractState.SUCCESS.value and not plan.partial:
            plan.status = status
            return


def build_dataset(
    num_runs: int = DEFAULT_NUM_RUNS,
    *,
    seed: int = 0,
    start: date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
) -> Dataset:
    """Build the emulator's data set: four agents (plus a default one), ``num_runs`` runs and their jobs.

    Args:
        num_runs: number of runs (and jobs) over all agents.
        seed: the only source of variation; the same seed gives byte-identical JSON.
        start: first day of the history (UTC).
        days: number of days the runs are spread over.

    Examples:
        >>> ds = build_dataset(40, seed=1)
        >>> len(ds.runs), len(ds.agents)
        (40, 4)
    """
    if num_runs < 0:
        raise ValueError("num_runs must be >= 0")
    if days < 1:
        raise ValueError("days must be >= 1")
    origin = datetime.combine(start, time(0), tzinfo=UTC)
    agents: dict[str, JSON] = {}
    for n, spec in enumerate(AGENT_SPECS):
        created = origin - timedelta(days=30 - 3 * n, hours=2 * n + 9)
        updated = created
        if len(spec.schemas) > 1:
            updated = origin + timedelta(days=days * spec.schema_changed_at)
        agents[spec.id] = agent_json(spec, created_at=created, updated_at=updated)
    default_created = origin - timedelta(days=60)
    default_agent = agent_json(DEFAULT_AGENT_SPEC, created_at=default_created, updated_at=default_created)

    runs: list[JSON] = []
    jobs: list[JSON] = []
    facts: dict[str, RunFacts] = {}
    for plan in _plan_runs(num_runs, seed, origin, days):
        rng = random.Random(f"llamacloud-emulator/{seed}/run/{plan.index}")
        spec = plan.spec
        version = len(spec.schemas)
        if version > 1 and plan.created < origin + timedelta(days=days * spec.schema_changed_at):
            version -= 1
        if plan.status in (ExtractState.SUCCESS, ExtractState.ERROR):
            updated = plan.created + _ms(rng.uniform(3, 300))
        elif plan.status == ExtractState.PENDING:
            updated = plan.created + _ms(rng.uniform(0.2, 5))
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
        job = job_json(
            job_id=run["job_id"],
            agent=agents[spec.id],
            status=job_status,
            error=run["error"],
            run=run,
        )
        runs.append(run)
        jobs.append(job)
        facts[run["id"]] = run_facts

    order = sorted(range(len(runs)), key=lambda i: (runs[i]["created_at"], runs[i]["id"]), reverse=True)
    listed = sorted(agents.values(), key=lambda a: (a["created_at"], a["id"]), reverse=True)
    return Dataset(
        seed=seed,
        start=start,
        days=days,
        project_id=PROJECT_ID,
        organization_id=ORGANIZATION_ID,
        agents=tuple(listed),
        default_agents=(default_agent,),
        runs=tuple(runs[i] for i in order),
        jobs=tuple(jobs[i] for i in order),
        facts=facts,
    )
