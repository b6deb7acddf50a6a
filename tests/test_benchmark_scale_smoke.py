"""Smoke tests of the benchmarks (``one_agent``, ``multi_run``) at tiny sizes; no figures asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bench(tmp_path: Path, name: str) -> tuple[str, list[dict[str, Any]]]:
    """Run ``--only name --quick``; its stdout and the summary's rows."""
    summary_path = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", name, "--quick", "--output", str(summary_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, json.loads(summary_path.read_text(encoding="utf-8"))["results"]


@pytest.mark.timeout(240)
def test_quick_one_agent_benchmark_lands_with_one_and_two_processes_and_prints_both_speedups(
    tmp_path: Path,
) -> None:
    """``--only one_agent`` lands one agent and four equal agents with 1 and 2 processes, the same runs each
    way, and prints the one agent's speedup against its target and the four agents' for reference."""
    stdout, results = _bench(tmp_path, "one_agent")
    assert [(r["benchmark"], r["status"], r["info"]["processes"]) for r in results] == [
        ("one_agent", "ok", 2),
        ("one_agent", "ok", 1),
    ] * 2
    assert [r["info"]["agents"] for r in results] == [1, 1, 4, 4]
    assert results[0]["runs"] == results[1]["runs"] > 0 and results[2]["runs"] == results[3]["runs"] > 0
    ratio_lines = [line for line in stdout.splitlines() if line.startswith("ratio one_agent")]
    assert len(ratio_lines) == 2
    assert "one agent" in ratio_lines[0] and "target >= 1.7x" in ratio_lines[0]
    assert "four equal agents" in ratio_lines[1] and "for reference" in ratio_lines[1]


@pytest.mark.timeout(240)
def test_quick_multi_run_benchmark_gives_the_rows_of_one_run_and_prints_its_checks(tmp_path: Path) -> None:
    """``--only multi_run`` lands four concurrent Dagster runs and one run, finds the same rows, no duplicate
    ``_row_id`` and one schema per table folder, and prints its checks and the wall-time ratio."""
    stdout, results = _bench(tmp_path, "multi_run")
    assert [(r["benchmark"], r["status"]) for r in results] == [("multi_run", "ok")] * 2
    split, whole = results
    assert len(split["info"]["dagster_runs"]) == 4 and split["runs"] == whole["runs"] > 0
    assert split["info"]["checks"] == {
        "same rows as one run": True,
        "no duplicate _row_id": True,
        "one schema per table folder": True,
    }
    assert [line for line in stdout.splitlines() if line.startswith("check multi_run")]
    assert any(line.startswith("ratio multi_run") for line in stdout.splitlines())
