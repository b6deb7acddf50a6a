"""The Dagster definitions load, and the project validates as `dagster dev` would load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from llamacloud_etl.defs.assets import PROCESSES_ENV, LandingConfig
from llamacloud_etl.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


def test_defs_load() -> None:
    """definitions.py exposes a Definitions object with the landing job, schedule and sensor."""
    sys.path.insert(0, str(ROOT))
    try:
        from definitions import defs
    finally:
        sys.path.remove(str(ROOT))
    assert isinstance(defs, dg.Definitions)
    assert defs.resolve_job_def("land_llamacloud").partitions_def is not None
    assert defs.resolve_schedule_def("llamacloud_daily") is not None
    assert defs.resolve_sensor_def("llamacloud_completed_runs") is not None


def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    """`dagster definitions validate` accepts workspace.yaml."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-w",
            str(ROOT / "workspace.yaml"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_processes_default_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLAMACLOUD_ETL_PROCESSES sets the landing's worker processes; unset means one per core (0)."""
    monkeypatch.delenv(PROCESSES_ENV, raising=False)
    assert LandingConfig().processes == 0
    monkeypatch.setenv(PROCESSES_ENV, "3")
    assert LandingConfig().processes == 3


def test_a_processes_setting_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed LLAMACLOUD_ETL_PROCESSES is a configuration error that names the variable."""
    monkeypatch.setenv(PROCESSES_ENV, "many")
    with pytest.raises(ConfigurationError, match=PROCESSES_ENV):
        LandingConfig()
