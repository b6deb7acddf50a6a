"""The seeded data set: determinism, coverage of agents, statuses and files, ordering and consistency."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from llamacloud_etl.emulator import Dataset, build_dataset, dumps
from llamacloud_etl.emulator.state import EmulatorState
from llamacloud_etl.emulator.wire import parse_timestamp

from .helpers import succeeded

RUN_KEYS = {
    "id",
    "created_at",
    "updated_at",
    "project_id",
    "extraction_agent_id",
    "job_id",
    "file_id",
    "file",
    "status",
    "error",
    "from_ui",
    "data_schema",
    "config",
    "data",
    "extraction_metadata",
}
CONFIG_KEYS = {
    "extraction_target",
    "extraction_mode",
    "chunk_mode",
    "parse_model",
    "extract_model",
    "priority",
    "system_prompt",
    "use_reasoning",
    "cite_sources",
    "citation_bbox",
    "confidence_scores",
    "high_resolution_mode",
    "invalidate_cache",
    "multimodal_fast_mode",
    "num_pages_context",
    "page_range",
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_same_seed_gives_identical_bytes() -> None:
    """Two builds with the same seed serialize to exactly the same bytes."""
    first, second = build_dataset(150, seed=11), build_dataset(150, seed=11)
    assert dumps([first.agents, first.runs, first.jobs]) == dumps([second.agents, second.runs, second.jobs])


def test_different_seeds_give_different_runs() -> None:
    """Another seed gives other runs but the same agents (their ids are stable across seeds)."""
    first, second = build_dataset(50, seed=1), build_dataset(50, seed=2)
    assert {r["id"] for r in first.runs}.isdisjoint({r["id"] for r in second.runs})
    assert [a["id"] for a in first.agents] == [a["id"] for a in second.agents]


def test_run_count_and_one_job_per_run(full_dataset: Dataset) -> None:
    """The data set has the requested number of runs, each with its own job pointing at the same file."""
    assert len(full_dataset.runs) == 400
    assert len({r["id"] for r in full_dataset.runs}) == 400
    for run in full_dataset.runs:
        job = full_dataset.job_for_run(run["id"])
        assert job["file_id"] == run["file_id"]
        assert job["extraction_agent"]["id"] == run["extraction_agent_id"]


def test_four_agents_cover_every_extraction_target(full_dataset: Dataset) -> None:
    """Four or more agents with distinct schemas cover PER_DOC, PER_PAGE and PER_TABLE_ROW, all with runs."""
    agents = full_dataset.agents
    assert len(agents) >= 4
    assert len({json.dumps(a["data_schema"], sort_keys=True) for a in agents}) == len(agents)
    assert {a["config"]["extraction_target"] for a in agents} == {"PER_DOC", "PER_PAGE", "PER_TABLE_ROW"}
    for agent in agents:
        assert agent["data_schema"]["type"] == "object"
        assert agent["data_schema"]["required"]
        assert all("description" in p or "$ref" in p for p in agent["data_schema"]["properties"].values())
        assert full_dataset.runs_for_agent(agent["id"])


def test_every_run_and_job_status_occurs(full_dataset: Dataset) -> None:
    """Every run status and every job status appears, SUCCESS being the most common."""
    run_statuses = Counter(r["status"] for r in full_dataset.runs)
    assert set(run_statuses) == {"SUCCESS", "ERROR", "PENDING", "CREATED"}
    assert run_statuses.most_common(1)[0][0] == "SUCCESS"
    assert {j["status"] for j in full_dataset.jobs} == {
        "SUCCESS",
        "PARTIAL_SUCCESS",
        "ERROR",
        "CANCELLED",
        "PENDING",
    }


@pytest.mark.parametrize("num_runs", [8, 13, 30])
def test_small_data_sets_still_cover_all_statuses_and_agents(num_runs: int) -> None:
    """Even a tiny data set has a CREATED, a PENDING and an ERROR run, and runs for every agent."""
    ds = build_dataset(num_runs, seed=5)
    assert {r["status"] for r in ds.runs} >= {"CREATED", "PENDING", "ERROR"}
    assert all(ds.runs_for_agent(a["id"]) for a in ds.agents)


def test_job_status_matches_run_status(full_dataset: Dataset) -> None:
    """Each run status goes with its job statuses, and a failed job carries its run's error."""
    allowed = {
        "SUCCESS": {"SUCCESS", "PARTIAL_SUCCESS"},
        "ERROR": {"ERROR", "CANCELLED"},
        "PENDING": {"PENDING"},
        "CREATED": {"PENDING"},
    }
    for run in full_dataset.runs:
        job = full_dataset.job_for_run(run["id"])
        assert job["status"] in allowed[run["status"]]
        assert job["error"] == run["error"]


def test_error_runs_have_error_text_and_null_results(full_dataset: Dataset) -> None:
    """ERROR runs carry a '<category>: <message>' error and null data and extraction_metadata."""
    errors = full_dataset.runs_with_status("ERROR")
    assert errors
    for run in errors:
        assert re.match(r"^[a-z_]+: \S", run["error"])
        assert run["data"] is None
        assert run["extraction_metadata"] is None
    assert any(
        r["error"].startswith("parsing_error: Error on parsing: Result for Parsing Job") for r in errors
    )


def test_unfinished_runs_are_recent_and_empty(full_dataset: Dataset) -> None:
    """CREATED and PENDING runs have null data and metadata and sit in the last days of the history."""
    unfinished = [r for r in full_dataset.runs if r["status"] in ("CREATED", "PENDING")]
    assert unfinished
    for run in unfinished:
        assert run["data"] is None
        assert run["extraction_metadata"] is None
        assert run["error"] is None
        assert parse_timestamp(run["created_at"]) >= full_dataset.end - timedelta(days=2)


def test_success_runs_have_data_and_metadata(full_dataset: Dataset) -> None:
    """SUCCESS runs have data shaped by their target and metadata with field_metadata and usage."""
    for run in succeeded(full_dataset):
        target = run["config"]["extraction_target"]
        assert isinstance(run["data"], dict if target == "PER_DOC" else list)
        assert set(run["extraction_metadata"]) == {"field_metadata", "usage"}
        usage = run["extraction_metadata"]["usage"]
        assert set(usage) == {"num_pages_extracted", "num_document_tokens", "num_output_tokens"}
        assert all(type(v) is int and v > 0 for v in usage.values())
        if target == "PER_PAGE":
            assert len(run["data"]) == usage["num_pages_extracted"]


def test_every_run_has_all_fields_and_full_config(full_dataset: Dataset) -> None:
    """Every run has every ExtractRun key (explicit nulls) and all 16 config keys; so do agent configs."""
    for run in full_dataset.runs:
        assert set(run) == RUN_KEYS
        assert set(run["config"]) == CONFIG_KEYS
    for agent in (*full_dataset.agents, *full_dataset.default_agents):
        assert set(agent["config"]) == CONFIG_KEYS


def test_timestamps_are_utc_millis_and_span_weeks(full_dataset: Dataset) -> None:
    """Timestamps have milliseconds and a Z, updated_at follows created_at, and runs span several weeks."""
    created = []
    for run in full_dataset.runs:
        assert TIMESTAMP.match(run["created_at"])
        assert TIMESTAMP.match(run["updated_at"])
        assert run["updated_at"] >= run["created_at"]
        created.append(parse_timestamp(run["created_at"]))
    assert max(created) - min(created) >= timedelta(days=35)
    assert min(created).date() >= full_dataset.start
    assert max(created) < full_dataset.end


def test_runs_are_listed_newest_first(full_dataset: Dataset) -> None:
    """Dataset.runs is ordered like the API: created_at descending, then id descending."""
    keys = [(r["created_at"], r["id"]) for r in full_dataset.runs]
    assert keys == sorted(keys, reverse=True)


def test_runs_on_and_runs_for_agent_partition_the_runs(full_dataset: Dataset) -> None:
    """runs_on over every day and runs_for_agent over every agent each return every run exactly once."""
    days = [full_dataset.start + timedelta(days=i) for i in range(full_dataset.days)]
    by_day = [r["id"] for day in days for r in full_dataset.runs_on(day)]
    by_agent = [r["id"] for a in full_dataset.agents for r in full_dataset.runs_for_agent(a["id"])]
    assert sorted(by_day) == sorted(by_agent) == sorted(r["id"] for r in full_dataset.runs)
    assert full_dataset.runs_on(date(2000, 1, 1)) == []


def test_partial_success_jobs_have_a_field_error(full_dataset: Dataset) -> None:
    """Runs behind PARTIAL_SUCCESS jobs are SUCCESS with a root field_metadata error."""
    partial = [j for j in full_dataset.jobs if j["status"] == "PARTIAL_SUCCESS"]
    assert partial
    for job in partial:
        run = next(r for r in full_dataset.runs if r["job_id"] == job["id"])
        assert run["status"] == "SUCCESS"
        assert "error" in run["extraction_metadata"]["field_metadata"]


def test_invoice_schema_changed_partway(full_dataset: Dataset) -> None:
    """Older invoice runs used a schema without po_number; newer ones and the agent have it."""
    agent = full_dataset.agent_named("Invoices")
    runs = full_dataset.runs_for_agent(agent["id"])
    versions = {json.dumps(r["data_schema"], sort_keys=True) for r in runs}
    assert len(versions) == 2
    assert "po_number" in agent["data_schema"]["properties"]
    newest, oldest = runs[0], runs[-1]
    assert "po_number" in newest["data_schema"]["properties"]
    assert "po_number" not in oldest["data_schema"]["properties"]
    for run in runs:
        if run["status"] == "SUCCESS":
            assert ("po_number" in run["data"]) == ("po_number" in run["data_schema"]["properties"])


def test_default_agent_is_separate(full_dataset: Dataset) -> None:
    """The default agent has custom_configuration 'default' and no runs; listed agents have null."""
    (default,) = full_dataset.default_agents
    assert default["custom_configuration"] == "default"
    assert full_dataset.runs_for_agent(default["id"]) == []
    assert all(a["custom_configuration"] is None for a in full_dataset.agents)


def test_files_are_described(full_dataset: Dataset) -> None:
    """Most runs carry the deprecated file object (pdf, png or docx with a size); a few have null."""
    files = [r["file"] for r in full_dataset.runs]
    present = [f for f in files if f is not None]
    assert len(present) < len(files)
    assert {f["file_type"] for f in present} == {"pdf", "png", "docx"}
    for run in full_dataset.runs:
        if run["file"] is not None:
            assert run["file"]["id"] == run["file_id"]
            assert type(run["file"]["file_size"]) is int
            assert run["file"]["name"].endswith("." + run["file"]["file_type"])


def test_invalid_arguments_are_rejected() -> None:
    """A negative run count or an empty history is a ValueError."""
    with pytest.raises(ValueError, match="num_runs"):
        build_dataset(-1)
    with pytest.raises(ValueError, match="days"):
        build_dataset(10, days=0)


def test_agent_weights_give_every_run_to_one_agent_or_share_them_equally() -> None:
    """``agent_weights`` gives all runs to the one agent weighted, or shares them out equally; every agent
    stays listed, and unknown ids, negative or all-zero weights are a ValueError."""
    ids = [a["id"] for a in build_dataset(8).agents]
    alone = build_dataset(300, agent_weights={ids[2]: 1.0})
    assert {r["extraction_agent_id"] for r in alone.runs} == {ids[2]} and len(alone.runs) == 300
    assert [a["id"] for a in alone.agents] == ids
    shares = Counter(
        r["extraction_agent_id"] for r in build_dataset(4000, agent_weights=dict.fromkeys(ids, 1)).runs
    )
    assert set(shares) == set(ids) and all(900 < n < 1100 for n in shares.values()), shares
    for bad in ({"nope": 1.0}, {ids[0]: -1.0, ids[1]: 2.0}, {ids[0]: 0.0}):
        with pytest.raises(ValueError, match="agent_weights"):
            build_dataset(10, agent_weights=bad)


def test_a_lazy_dataset_serves_the_runs_an_eager_one_holds() -> None:
    """A lazy data set keeps plans only, and its emulator lists every agent's runs in the eager bytes."""
    eager, lazy = build_dataset(120, seed=4), build_dataset(120, seed=4, lazy=True)
    assert lazy.runs == () and len(lazy.plans) == 120
    eager_state, lazy_state = EmulatorState(eager), EmulatorState(lazy)
    for agent in eager.agents:
        served = [entry.body for entry in lazy_state.runs_of(agent["id"])]
        assert served == [entry.body for entry in eager_state.runs_of(agent["id"])]
    with pytest.raises(ValueError, match="v1 only"):
        build_dataset(10, lazy=True, v2_from=eager.start)


def test_a_lazy_dataset_keeps_the_agent_weights() -> None:
    """agent_weights shape a lazy data set's runs as they shape an eager one's."""
    one = build_dataset(8).agents[2]["id"]
    eager = build_dataset(60, seed=4, agent_weights={one: 1.0})
    lazy = build_dataset(60, seed=4, agent_weights={one: 1.0}, lazy=True)
    eager_state, lazy_state = EmulatorState(eager), EmulatorState(lazy)
    served = [entry.body for entry in lazy_state.runs_of(one)]
    assert len(served) == 60
    assert served == [entry.body for entry in eager_state.runs_of(one)]
