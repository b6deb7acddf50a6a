"""Materialization metadata of a ranged run, read back from the Dagster instance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from loopback import first_last

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.assets import FIELD_METADATA_KEY, RECORDS_KEY, RUNS_KEY
from llamacloud_etl.defs.keys import agent_key
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import RangeOutcome, dagster_instance, run_range
from llamacloud_etl.emulator import Dataset
from llamacloud_etl.query import open_dataset
from llamacloud_etl.run import Agent

Metadata = Mapping[str, Any]


def _agents(dataset: Dataset) -> list[Agent]:
    return [Agent(a["id"], a["name"]) for a in dataset.agents]


def _ranged_run(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, agents: list[Agent] | None = None
) -> tuple[RangeOutcome, dict[dg.AssetKey, dict[str, Metadata]]]:
    """Land the whole data set in one ranged run; its outcome, and each asset's metadata by day."""
    first, last = first_last(dataset)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource, agent_assets=agents)
    by_key: dict[dg.AssetKey, dict[str, Metadata]] = {}
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, first, last, instance=instance)
        for key in (RUNS_KEY, FIELD_METADATA_KEY, RECORDS_KEY, *map(agent_key, agents or ())):
            by_key[key] = {}
            for record in instance.fetch_materializations(key, limit=1000).records:
                event = record.asset_materialization
                assert event is not None and event.partition is not None
                by_key[key][event.partition] = event.metadata
    return outcome, by_key


def _row_counts(by_day: dict[str, Metadata]) -> dict[str, int]:
    return {day: int(meta["dagster/partition_row_count"].value) for day, meta in by_day.items()}


def _rows_by_day(lake: Path, view: str) -> dict[str, int]:
    con = open_dataset(str(lake))
    try:
        rows = con.sql(f"SELECT CAST(run_date AS VARCHAR), count(*) FROM {view} GROUP BY 1").fetchall()
    finally:
        con.close()
    return {day: int(n) for day, n in rows}


def test_a_ranged_run_gives_each_day_partition_its_own_row_count(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """``dagster/partition_row_count`` of each day is that day's rows, not the run's total."""
    outcome, by_key = _ranged_run(dataset, lake, resource)
    runs, field_metadata, records = (
        _row_counts(by_key[key]) for key in (RUNS_KEY, FIELD_METADATA_KEY, RECORDS_KEY)
    )
    assert outcome.success, outcome.error
    assert len(runs) == len(field_metadata) == len(records) == dataset.days
    landed = _rows_by_day(lake, "runs")
    assert {d: n for d, n in runs.items() if n} == landed and len(set(landed.values())) > 1
    assert {d: n for d, n in field_metadata.items() if n} == _rows_by_day(lake, "field_metadata")
    assert sum(records.values()) == outcome.metadata["llamacloud/records"]["dagster/row_count"]


def test_column_schemas_and_previews_go_on_the_newest_day_only(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """Heavy run-wide entries are on the newest partition; every runs partition has its day's counts."""
    _, by_key = _ranged_run(dataset, lake, resource)
    first, last = first_last(dataset)
    newest, older = last.isoformat(), first.isoformat()
    for key in (RUNS_KEY, FIELD_METADATA_KEY):
        assert {"dagster/column_schema", "preview"} <= by_key[key][newest].keys()
        assert not {"dagster/column_schema", "preview"} & by_key[key][older].keys()
    assert any(name.startswith("columns: ") for name in by_key[RECORDS_KEY][newest])
    assert not any(name.startswith("columns: ") for name in by_key[RECORDS_KEY][older])
    landed = {
        day: meta["day_runs_landed"].value + meta["day_runs_pending"].value
        for day, meta in by_key[RUNS_KEY].items()
    }
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    assert sum(landed.values()) == sum(len(dataset.runs_on(day)) for day in days)


def _run_truth(dataset: Dataset, day: date, agent_id: str | None = None) -> dict[str, float]:
    """The emulator's own numbers for a day's finished runs (of one agent, or all)."""
    runs = [
        r
        for r in dataset.runs_on(day)
        if r["status"] in ("SUCCESS", "ERROR") and agent_id in (None, r["extraction_agent_id"])
    ]
    usage = [(r.get("extraction_metadata") or {}).get("usage") or {} for r in runs]
    errored = sum(1 for r in runs if r["status"] == "ERROR")
    return {
        "day_runs_landed": len(runs),
        "day_runs_errored": errored,
        "day_error_rate": errored / len(runs) if runs else 0.0,
        "day_pages_extracted": sum(u.get("num_pages_extracted") or 0 for u in usage),
        "day_document_tokens": sum(u.get("num_document_tokens") or 0 for u in usage),
        "day_output_tokens": sum(u.get("num_output_tokens") or 0 for u in usage),
    }


def _scores(lake: Path) -> dict[tuple[str, str], list[float]]:
    """Every landed confidence, by (day, agent ID)."""
    con = open_dataset(str(lake))
    try:
        rows = con.sql(
            "SELECT CAST(run_date AS VARCHAR), extraction_agent_id, confidence FROM field_metadata "
            "WHERE confidence IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    found: dict[tuple[str, str], list[float]] = {}
    for day, agent, score in rows:
        found.setdefault((day, agent), []).append(float(score))
    return found


def _confidence_truth(scores: list[float]) -> dict[str, float]:
    ordered = sorted(scores)
    return {
        "day_scored_fields": len(ordered),
        "day_low_confidence_fields": sum(1 for s in ordered if s < 0.5),
        "day_low_confidence_share": sum(1 for s in ordered if s < 0.5) / len(ordered),
        "day_confidence_mean": math.fsum(ordered) / len(ordered),
        "day_confidence_p10": ordered[math.floor(0.1 * (len(ordered) - 1))],
    }


def _assert_entries(meta: Metadata, truth: Mapping[str, float], *, p10_within: float = 1e-9) -> None:
    for name, expected in truth.items():
        got = meta[name].value
        tolerance = p10_within if name == "day_confidence_p10" else 1e-9
        assert got <= expected + 1e-9 and math.isclose(got, expected, abs_tol=tolerance), (
            name,
            got,
            expected,
        )


def test_each_day_partition_has_the_days_quality_numbers(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """Each day's runs, errors, pages, tokens and confidence, in total and per agent, are the emulator's."""
    agents = _agents(dataset)
    outcome, by_key = _ranged_run(dataset, lake, resource, agents)
    assert outcome.success, outcome.error
    scores = _scores(lake)
    days = sorted(by_key[RUNS_KEY])
    assert len(days) == dataset.days and all(len(by_key[agent_key(a)]) == dataset.days for a in agents)
    for day in days:
        _assert_entries(by_key[RUNS_KEY][day], _run_truth(dataset, date.fromisoformat(day)))
        day_scores = [s for (d, _), found in scores.items() if d == day for s in found]
        if day_scores:
            # The day's p10 over all agents comes from 1% bins: at most 0.01 under the exact one.
            _assert_entries(by_key[FIELD_METADATA_KEY][day], _confidence_truth(day_scores), p10_within=0.0101)
        else:
            assert "day_confidence_mean" not in by_key[FIELD_METADATA_KEY][day]
        for agent in agents:
            meta = by_key[agent_key(agent)][day]
            _assert_entries(meta, _run_truth(dataset, date.fromisoformat(day), agent.id))
            if (day, agent.id) in scores:
                _assert_entries(meta, _confidence_truth(scores[(day, agent.id)]))
    totals = by_key[RUNS_KEY].values()
    assert sum(m["day_runs_errored"].value for m in totals) and sum(
        m["day_output_tokens"].value for m in totals
    )
    assert len(scores) > dataset.days  # several agents scored on most days: the totals combine agents
    assert "day_credits" not in by_key[RUNS_KEY][days[-1]]  # v1 reports no credits: no number is made up
