"""The Dagster Component: a dg project's defs.yaml loads it, and the day it lands is the emulator's."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster.components.core.package_entry import (
    DG_PLUGIN_ENTRY_POINT_GROUP,
    discover_entry_point_package_objects,
)
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox
from loopback import API_KEY

from llamacloud_etl.defs import JOB_NAME
from llamacloud_etl.defs.component import LlamaCloudComponent
from llamacloud_etl.defs.runner import dagster_instance, run_range
from llamacloud_etl.emulator import Dataset, EmulatorServer
from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.query import open_dataset

ROOT = Path(__file__).resolve().parents[2]
TYPE = "llamacloud_etl.defs.component.LlamaCloudComponent"

# Dagster 1.13's own warnings while it loads a defs folder, not ours: it parses defs.yaml with
# pydantic's deprecated parse_obj_as, and rebuilds the definitions with beta classes and parameters
# (code references, owners).
pytestmark = [
    pytest.mark.filterwarnings("ignore:`parse_obj_as` is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::dagster.BetaWarning"),
]


@pytest.fixture
def sandbox() -> Iterator[DefsFolderSandbox]:
    """A throwaway dg project (dg.toml, src/<name>/defs/), as `dg scaffold project` lays one out."""
    with create_defs_folder_sandbox() as created:
        yield created


def _load(sandbox: DefsFolderSandbox, defs_yaml: str) -> tuple[dg.Component, dg.Definitions]:
    """Write ``defs_yaml`` to defs/llamacloud/defs.yaml and load the project's definitions from it."""
    folder = sandbox.defs_folder_path / "llamacloud"
    folder.mkdir()
    (folder / "defs.yaml").write_text(defs_yaml)
    with sandbox.load_component_and_build_defs(defs_path=folder) as loaded:
        return loaded


def _busy_day(dataset: Dataset) -> tuple[date, str]:
    """A day on which runs of two agents or more finished, and one of those agents' names."""
    for day in (dataset.start + timedelta(days=i) for i in range(dataset.days)):
        finished = [r for r in dataset.runs_on(day) if r["status"] in ("SUCCESS", "ERROR")]
        agents = sorted({r["extraction_agent_id"] for r in finished})
        if len(agents) >= 2:
            return day, dataset.agent(agents[0])["name"]
    raise AssertionError("the data set has no day with two agents' finished runs")


def test_a_defs_yaml_lands_one_day_of_the_chosen_agent(
    sandbox: DefsFolderSandbox,
    server: EmulatorServer,
    dataset: Dataset,
    lake: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A defs.yaml naming an agent, output root and start date lands that agent's finished runs of a day."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", API_KEY)
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", server.url)
    day, agent = _busy_day(dataset)
    component, defs = _load(
        sandbox,
        f"""
type: {TYPE}
attributes:
  agents: ["{agent}"]
  api_version: v1
  output: {lake}
  start_date: {dataset.start.isoformat()}
  lookback_days: 2
  schedule: true
""",
    )
    assert isinstance(component, LlamaCloudComponent)
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, day, day, instance=instance)
    assert outcome.ok, outcome.error or outcome.failed_checks
    expected = {
        r["id"]
        for r in dataset.runs_on(day)
        if r["status"] in ("SUCCESS", "ERROR") and dataset.agent(r["extraction_agent_id"])["name"] == agent
    }
    with open_dataset(lake) as con:
        landed = con.sql("select run_id, agent_name from runs").fetchall()
    assert {run_id for run_id, _ in landed} == expected
    assert {name for _, name in landed} == {agent}


def test_schedule_false_leaves_the_schedule_out(sandbox: DefsFolderSandbox) -> None:
    """`schedule: false` gives the job and the completion sensor but no schedule."""
    _, defs = _load(sandbox, f"type: {TYPE}\nattributes:\n  schedule: false\n")
    assert defs.resolve_job_def(JOB_NAME) is not None
    assert [s.name for s in defs.schedules or []] == []
    assert [s.name for s in defs.sensors or []] == ["llamacloud_completed_runs"]


def test_lookback_days_reaches_the_schedule(sandbox: DefsFolderSandbox) -> None:
    """`lookback_days` sets how many days before today the daily schedule lands again."""
    _, defs = _load(sandbox, f"type: {TYPE}\nattributes:\n  lookback_days: 5\n")
    assert "last 5 days" in (defs.resolve_schedule_def("llamacloud_daily").description or "")


def test_an_unknown_api_version_is_refused_naming_the_known_ones() -> None:
    """`api_version: v3` fails to load with an error that names the versions that exist."""
    with pytest.raises(ConfigurationError, match=r"unknown API version 'v3': expected one of v1, v2, both"):
        LlamaCloudComponent.resolve_from_yaml("api_version: v3")


def test_the_entry_point_registers_the_component(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's dagster_dg_cli.registry_modules entry point makes dg's discovery find the component."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    entry_points = declared[DG_PLUGIN_ENTRY_POINT_GROUP]
    # Install the entry points as pyproject declares them, ahead of any installed copy of the package.
    dist_info = tmp_path / "llamacloud_etl-0.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: llamacloud-etl\nVersion: 0.0.0\n")
    lines = "".join(f"{name} = {module}\n" for name, module in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{DG_PLUGIN_ENTRY_POINT_GROUP}]\n{lines}")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = {key.to_typename(): obj for key, obj in discover_entry_point_package_objects().items()}
    assert found.get(TYPE) is LlamaCloudComponent


def test_the_readme_yaml_loads(sandbox: DefsFolderSandbox) -> None:
    """The defs.yaml the README shows loads as the component with the settings it spells out."""
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in readme.split("```yaml\n")[1:] if b.startswith(f"type: {TYPE}"))
    component, defs = _load(sandbox, block.split("```")[0])
    assert component == LlamaCloudComponent(
        agents=["Invoices", "Contracts"],
        api_version="v1",
        output="s3://my-bucket/llamaextract",
        start_date="2026-01-01",
        lookback_days=3,
        schedule=True,
    )
    assert defs.resolve_schedule_def("llamacloud_daily") is not None
