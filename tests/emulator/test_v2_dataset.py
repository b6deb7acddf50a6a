"""The v1/v2 cutover of the seeded history, the v2 job translation, and the v2 state mutators."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from llamacloud_etl.emulator import Dataset, EmulatorApp, build_dataset
from llamacloud_etl.emulator.wire import parse_timestamp

CUTOVER = date(2026, 9, 22)


@pytest.fixture(scope="module")
def plain() -> Dataset:
    """The history without a cutover."""
    return build_dataset(120, seed=3)


@pytest.fixture(scope="module")
def split() -> Dataset:
    """The same history split at CUTOVER."""
    return build_dataset(120, seed=3, v2_from=CUTOVER)


def test_no_cutover_serves_no_v2_job(plain: Dataset) -> None:
    """Without v2_from every extraction is a v1 run and there is no v2 job."""
    assert (len(plain.runs), plain.v2_jobs, plain.v2_from) == (120, (), None)


def test_cutover_splits_the_history_without_overlap(plain: Dataset, split: Dataset) -> None:
    """Each extraction is a v1 run before the cutover or a v2 job from it on, never both, never lost."""
    cutover = datetime(2026, 9, 22, tzinfo=UTC)
    v1_ids = {run["id"] for run in split.runs}
    v2_ids = {job["id"].removeprefix("ext-") for job in split.v2_jobs}
    assert v1_ids.isdisjoint(v2_ids)
    assert v1_ids | v2_ids == {run["id"] for run in plain.runs}
    assert all(parse_timestamp(run["created_at"]) < cutover for run in split.runs)
    assert all(parse_timestamp(job["created_at"]) >= cutover for job in split.v2_jobs)
    assert {job["id"] for job in split.jobs} == {run["job_id"] for run in split.runs}


def test_cutover_leaves_v1_runs_byte_identical(plain: Dataset, split: Dataset) -> None:
    """The v1 runs left by a cutover are the same bytes as without it."""
    assert all(split.body(run["id"]) == plain.body(run["id"]) for run in split.runs)
    assert split.runs == tuple(run for run in plain.runs if run["id"] in {r["id"] for r in split.runs})


def test_cutover_at_start_makes_everything_v2() -> None:
    """A cutover at the start of the history serves every extraction as a v2 job."""
    dataset = build_dataset(40, seed=1, v2_from=date(2026, 9, 1))
    assert (len(dataset.runs), len(dataset.jobs), len(dataset.v2_jobs)) == (0, 0, 40)


def test_v2_job_translates_its_run(plain: Dataset, split: Dataset) -> None:
    """A completed v2 job carries its run's data, ids with v2 prefixes and lower-case target."""
    job = split.v2_jobs_with_status("COMPLETED")[0]
    run = plain.run(job["id"].removeprefix("ext-"))
    assert job["extract_result"] == run["data"]
    assert job["file_input"] == f"dfl-{run['file_id']}"
    assert job["configuration"]["extraction_target"] == run["config"]["extraction_target"].lower()
    assert job["configuration"]["data_schema"] == run["data_schema"]
    pages = run["extraction_metadata"]["usage"]["num_pages_extracted"]
    assert job["metadata"] == {"usage": {"num_pages_billed": pages, "num_pages_extracted": pages}}
    assert job["usage"]["credits"] == job["usage"]["extract_credits"] + job["usage"]["parse_credits"]


@pytest.mark.parametrize(
    ("v1_status", "v2_statuses"),
    [("SUCCESS", {"COMPLETED"}), ("ERROR", {"FAILED", "CANCELLED"}), ("PENDING", {"RUNNING"})],
)
def test_v2_status_maps_v1_status(
    plain: Dataset, split: Dataset, v1_status: str, v2_statuses: set[str]
) -> None:
    """Each v2 job's status is the v2 word for its run's v1 status."""
    jobs = [j for j in split.v2_jobs if plain.run(j["id"].removeprefix("ext-"))["status"] == v1_status]
    assert jobs
    assert {job["status"] for job in jobs} <= v2_statuses


def test_failed_jobs_have_an_error_message_and_no_result(split: Dataset) -> None:
    """FAILED jobs carry error_message and null result, metadata and extract_metadata."""
    for job in split.v2_jobs_with_status("FAILED"):
        assert job["error_message"]
        assert (job["extract_result"], job["metadata"], job["extract_metadata"]) == (None, None, None)


def test_field_metadata_lands_under_the_targets_key(split: Dataset) -> None:
    """per_doc fills document_metadata; per_page and per_table_row lists align with the result."""
    seen = set()
    for job in split.v2_jobs_with_status("COMPLETED"):
        target = job["configuration"]["extraction_target"]
        key = {"per_doc": "document_metadata", "per_page": "page_metadata", "per_table_row": "row_metadata"}[
            target
        ]
        field_metadata = job["extract_metadata"]["field_metadata"]
        assert [k for k, v in field_metadata.items() if v is not None] == [key]
        if target != "per_doc":
            assert len(field_metadata[key]) == len(job["extract_result"])
        assert job["extract_metadata"]["parse_job_id"].startswith("pjb-")
        seen.add(target)
    assert seen == {"per_doc", "per_page", "per_table_row"}


def test_inline_agent_jobs_have_no_configuration_id(split: Dataset) -> None:
    """The Contracts agent's jobs ran inline: null configuration_id, its schema in configuration."""
    agent = split.agent_named("Contracts")
    jobs = split.v2_jobs_for_agent(agent["id"])
    assert jobs
    assert all(job["configuration_id"] is None for job in jobs)
    assert all(job["configuration"]["data_schema"] == agent["data_schema"] for job in jobs)
    others = [j for j in split.v2_jobs if j not in jobs]
    assert all(
        job["configuration_id"] == f"cfg-{split.v2_extractions[job['id']].run['extraction_agent_id']}"
        for job in others
    )


def test_configurations_name_every_agent_and_one_other_product(split: Dataset) -> None:
    """One extract_v2 configuration per listed agent (cfg-<agent id>, its name), and one parse_v2."""
    extract = [c for c in split.configurations if c["product_type"] == "extract_v2"]
    assert sorted((c["id"], c["name"]) for c in extract) == sorted(
        (f"cfg-{a['id']}", a["name"]) for a in split.agents
    )
    assert [c["product_type"] for c in split.configurations].count("parse_v2") == 1
    invoices = split.configuration(f"cfg-{split.agent_named('Invoices')['id']}")
    assert invoices["parameters"]["data_schema"] == split.agent_named("Invoices")["data_schema"]


def test_complete_v2_job_fills_its_result(split: Dataset) -> None:
    """complete_v2_job turns a RUNNING job COMPLETED with a result, leaving the data set as it was."""
    app = EmulatorApp(split)
    job_id = split.v2_jobs_with_status("RUNNING")[0]["id"]
    job = app.complete_v2_job(job_id)
    assert (job["status"], job["extract_result"] is not None, job["extract_metadata"] is not None) == (
        "COMPLETED",
        True,
        True,
    )
    assert split.v2_job(job_id)["status"] == "RUNNING"
    with pytest.raises(ValueError, match="already COMPLETED"):
        app.complete_v2_job(job_id)


def test_fail_v2_job_sets_the_error_message(split: Dataset) -> None:
    """fail_v2_job turns a RUNNING job FAILED with the given message, or CANCELLED."""
    app = EmulatorApp(split)
    unfinished = [job["id"] for job in split.v2_jobs if job["status"] in ("RUNNING", "PENDING", "THROTTLED")]
    first, second = unfinished[:2]
    assert app.fail_v2_job(first, "parsing_error: corrupt")["error_message"] == "parsing_error: corrupt"
    assert app.fail_v2_job(second, cancelled=True)["status"] == "CANCELLED"


def test_add_and_delete_v2_job(split: Dataset) -> None:
    """add_v2_job adds the newest job of an agent's configuration; delete_v2_job removes it."""
    app = EmulatorApp(split)
    agent_id = split.agent_named("Invoices")["id"]
    job = app.add_v2_job(agent_id, status="COMPLETED")
    assert (job["status"], job["configuration_id"]) == ("COMPLETED", f"cfg-{agent_id}")
    assert app.state.v2.entries()[0].job["id"] == job["id"]
    assert app.add_v2_job(agent_id, inline=True)["configuration_id"] is None
    app.delete_v2_job(job["id"])
    assert app.state.v2.entry(job["id"]) is None
    assert app.state.v2.count == len(split.v2_jobs) + 1


def test_emulator_commands_pass_the_cutover(monkeypatch: pytest.MonkeyPatch) -> None:
    """--v2-from reaches serve_forever from python -m llamacloud_etl.emulator and llamacloud-etl emulator."""
    from click.testing import CliRunner

    import llamacloud_etl.emulator as package
    from llamacloud_etl import cli
    from llamacloud_etl.emulator import __main__ as module

    calls: list[object] = []
    monkeypatch.setattr(module, "serve_forever", lambda **kwargs: calls.append(kwargs["v2_from"]))
    monkeypatch.setattr(package, "serve_forever", lambda **kwargs: calls.append(kwargs["v2_from"]))
    module.main(["--v2-from", "2026-09-22"])
    module.main([])
    result = CliRunner().invoke(cli.main, ["emulator", "--v2-from", "2026-09-22T06:00:00"])
    assert result.exit_code == 0, result.output
    assert calls == [datetime(2026, 9, 22), None, datetime(2026, 9, 22, 6)]


def test_serve_forever_builds_the_cutover(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve_forever serves a data set split at its v2_from and says how many v2 jobs it holds."""
    import io
    import threading

    from llamacloud_etl.emulator import serve_forever

    out, stop = io.StringIO(), threading.Event()
    stop.set()  # returns as soon as it has printed its banner
    serve_forever(port=0, runs=30, seed=1, v2_from=date(2026, 9, 1), stop=stop, out=out)
    assert "and 30 v2 jobs created from 2026-09-01T00:00:00+00:00" in out.getvalue()
