"""The seeded data set: determinism, coverage of shapes and statuses, and consistency (spec §3-§6, §10)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from llamacloud_etl.emulator import Dataset, build_dataset, dumps
from llamacloud_etl.emulator.wire import parse_timestamp

from .helpers import citations, conforms, is_leaf, mirror_problems, walk

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


def _succeeded(ds: Dataset) -> list[dict[str, Any]]:
    return ds.runs_with_status("SUCCESS")


def _all_metadata(ds: Dataset) -> list[Any]:
    return [run["extraction_metadata"]["field_metadata"] for run in _succeeded(ds)]


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
    """Job and run statuses agree as §10.5 says, and a failed job carries its run's error."""
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
    for run in _succeeded(full_dataset):
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


def test_data_conforms_to_the_run_schema(full_dataset: Dataset) -> None:
    """Every SUCCESS run's data (or each item of it) conforms to the data_schema the run used."""
    for run in _succeeded(full_dataset):
        schema = run["data_schema"]
        items = run["data"] if isinstance(run["data"], list) else [run["data"]]
        for item in items:
            assert conforms(item, schema, schema) == [], run["id"]


def test_field_metadata_mirrors_data(full_dataset: Dataset) -> None:
    """For every SUCCESS run, field_metadata mirrors data: same keys, aligned lists, leaves at scalars."""
    for run in _succeeded(full_dataset):
        meta = run["extraction_metadata"]["field_metadata"]
        if run["config"]["extraction_target"] == "PER_DOC":
            assert mirror_problems(run["data"], meta) == [], run["id"]
        else:
            assert isinstance(meta, list)
            assert len(meta) == len(run["data"])
            for item, item_meta in zip(run["data"], meta, strict=True):
                assert set(item_meta) == set(item)
                assert mirror_problems(item, item_meta) == [], run["id"]


def test_leaf_keys_follow_the_run_flags(full_dataset: Dataset) -> None:
    """Leaf keys follow the flags: citation with cite_sources, confidence with confidence_scores."""
    for run in _succeeded(full_dataset):
        config = run["config"]
        for node in walk(run["extraction_metadata"]["field_metadata"]):
            if not is_leaf(node):
                continue
            assert ("citation" in node) == config["cite_sources"]
            assert ("confidence" in node) == config["confidence_scores"]
            if "reasoning" in node and not config["use_reasoning"]:
                assert node["reasoning"] in ("VERBATIM EXTRACTION", "INFERRED FROM TEXT")


def test_citations_with_and_without_bounding_boxes(full_dataset: Dataset) -> None:
    """Some citations have bounding boxes with page dimensions, others only page and matching text."""
    found = [c for meta in _all_metadata(full_dataset) for c in citations(meta)]
    with_boxes = [c for c in found if "bounding_boxes" in c]
    plain = [c for c in found if "bounding_boxes" not in c]
    assert with_boxes
    assert plain
    assert all(set(c) == {"page", "matching_text"} for c in plain)
    for cite in with_boxes:
        assert set(cite["page_dimensions"]) == {"width", "height"}
        for box in cite["bounding_boxes"]:
            assert set(box) == {"x", "y", "w", "h"}
            assert all(type(v) is float for v in box.values())
            assert box["x"] + box["w"] <= cite["page_dimensions"]["width"]
    assert all(type(c["page"]) is int and c["page"] >= 1 for c in found)


def test_bounding_boxes_are_all_or_nothing_within_a_run(full_dataset: Dataset) -> None:
    """Within one run either every citation has bounding boxes or none has (§10.8)."""
    for meta in _all_metadata(full_dataset):
        kinds = {"bounding_boxes" in c for c in citations(meta)}
        assert len(kinds) <= 1


def test_root_reasoning_and_error_occur(full_dataset: Dataset) -> None:
    """Some PER_DOC field_metadata carries a root-level reasoning string and some a root-level error."""
    roots = [m for m in _all_metadata(full_dataset) if isinstance(m, dict)]
    assert any(isinstance(m.get("reasoning"), str) for m in roots)
    assert any(isinstance(m.get("error"), str) for m in roots)


def test_partial_success_jobs_have_a_field_error(full_dataset: Dataset) -> None:
    """Runs behind PARTIAL_SUCCESS jobs are SUCCESS with a root field_metadata error."""
    partial = [j for j in full_dataset.jobs if j["status"] == "PARTIAL_SUCCESS"]
    assert partial
    for job in partial:
        run = next(r for r in full_dataset.runs if r["job_id"] == job["id"])
        assert run["status"] == "SUCCESS"
        assert "error" in run["extraction_metadata"]["field_metadata"]


def test_low_confidence_scores_occur(full_dataset: Dataset) -> None:
    """Some confidence scores are below 0.5, and all are floats in [0, 1]."""
    scores = [
        node[key]
        for meta in _all_metadata(full_dataset)
        for node in walk(meta)
        if isinstance(node, dict)
        for key in ("confidence", "extraction_confidence", "parsing_confidence")
        if key in node
    ]
    assert any(s < 0.5 for s in scores)
    assert all(type(s) is float and 0 <= s <= 1 for s in scores)


def test_empty_arrays_occur(full_dataset: Dataset) -> None:
    """Empty arrays appear: line items, taxes, tags, bullet points and whole PER_TABLE_ROW results."""
    runs = _succeeded(full_dataset)
    invoices = [r["data"] for r in runs if r["data_schema"].get("title") == "Invoice"]
    assert any(d["tags"] == [] for d in invoices)
    assert any(d["line_items"] == [] for d in invoices)
    assert any(li["taxes"] == [] for d in invoices for li in d["line_items"])
    pages = [p for r in runs if r["config"]["extraction_target"] == "PER_PAGE" for p in r["data"]]
    assert any(p["bullet_points"] == [] for p in pages)
    assert any(r["data"] == [] for r in runs if r["config"]["extraction_target"] == "PER_TABLE_ROW")


def test_unicode_values_occur(full_dataset: Dataset) -> None:
    """Extracted values include accented Latin, CJK and emoji characters, which survive a JSON round trip."""
    strings = [v for r in _succeeded(full_dataset) for v in walk(r["data"]) if isinstance(v, str)]
    assert any(re.search(r"[éüöçãñ]", s) for s in strings)
    assert any(re.search(r"[\u4e00-\u9fff\u3040-\u30ff]", s) for s in strings)
    assert any(re.search(r"[\U0001F300-\U0001FAFF\u2705]", s) for s in strings)
    assert json.loads(dumps(strings)) == strings


def test_integers_stay_integers_and_floats_stay_floats(full_dataset: Dataset) -> None:
    """After a JSON round trip integer fields are ints and number fields floats, whole floats included."""
    runs = [json.loads(dumps(r)) for r in _succeeded(full_dataset)]
    invoices = [r["data"] for r in runs if r["data_schema"].get("title") == "Invoice"]
    lines = [li for d in invoices for li in d["line_items"]]
    assert all(type(li["quantity"]) is int for li in lines)
    assert all(type(li["unit_price"]) is float and type(li["amount"]) is float for li in lines)
    assert all(type(d["total"]) is float for d in invoices)
    contracts = [r["data"] for r in runs if r["data_schema"].get("title") == "Contract"]
    assert all(type(d["term_months"]) is int for d in contracts)
    rows = [row for r in runs if r["config"]["extraction_target"] == "PER_TABLE_ROW" for row in r["data"]]
    whole = [row["unit_price"] for row in rows if row["unit_price"].is_integer()]
    assert whole, "expected some whole-number prices such as 12.0"
    assert all(type(p) is float for p in whole)
    assert b'"unit_price":' + str(whole[0]).encode() in b"".join(dumps(r) for r in runs)


def test_special_field_names_are_present(full_dataset: Dataset) -> None:
    """The invoice schema has fields named 'date' and 'run_id', an enum, $defs/$ref and anyOf-null."""
    invoices = full_dataset.agent_named("Invoices")
    schema = invoices["data_schema"]
    assert {"date", "run_id", "currency"} <= set(schema["properties"])
    assert "enum" in schema["properties"]["currency"]
    assert schema["properties"]["vendor"]["properties"]["address"] == {"$ref": "#/$defs/Address"}
    assert {"type": "null"} in schema["properties"]["due_date"]["anyOf"]
    assert schema["properties"]["notes"]["type"] == ["string", "null"]


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


def test_reasoning_agent_has_citations_and_reasoning(full_dataset: Dataset) -> None:
    """The contracts agent uses cite_sources and use_reasoning, and its leaves carry free-text reasoning."""
    agent = full_dataset.agent_named("Contracts")
    assert agent["config"]["cite_sources"]
    assert agent["config"]["use_reasoning"]
    run = next(r for r in full_dataset.runs_for_agent(agent["id"]) if r["status"] == "SUCCESS")
    meta = run["extraction_metadata"]["field_metadata"]
    assert len(meta["term_months"]["reasoning"]) > 30
    assert isinstance(meta["governing_law"]["reasoning"], str)
    assert is_leaf(meta["governing_law"]["venue_cities"])
    assert is_leaf(meta["parties"][0]["signatory"]["name"])


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
