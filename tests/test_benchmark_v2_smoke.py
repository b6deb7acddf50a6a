"""Smoke tests of the v2 benchmarks (``seek_v2``, ``e2e_v2``) at tiny sizes; figures are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bench(tmp_path: Path, name: str, runs: int) -> tuple[str, list[dict[str, Any]]]:
    """Run ``--only name --quick --runs runs`` at 0 ms latency; its stdout and the summary's rows."""
    summary_path = tmp_path / "latest.json"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks", "--only", name, "--quick", "--runs", str(runs)),
            *("--latency-ms", "0", "--output", str(summary_path)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, json.loads(summary_path.read_text(encoding="utf-8"))["results"]


@pytest.mark.timeout(180)
def test_quick_v2_seek_benchmark_lands_both_weeks_of_v2_jobs_and_prints_its_ratio(tmp_path: Path) -> None:
    """``--only seek_v2`` lands the oldest and the newest week of v2 jobs and prints the time ratio and the
    requests per agent."""
    stdout, results = _bench(tmp_path, "seek_v2", 300)
    assert [(r["benchmark"], r["status"]) for r in results] == [("seek_v2", "ok"), ("seek_v2", "ok")]
    assert all("v2" in r["contender"] for r in results)
    assert all(r["runs"] > 0 and r["info"]["requests_per_agent"] > 0 for r in results)
    ratio_lines = [line for line in stdout.splitlines() if line.startswith("ratio seek_v2")]
    assert len(ratio_lines) == 1 and "oldest week" in ratio_lines[0]
    assert "requests per agent" in stdout


@pytest.mark.timeout(180)
def test_quick_v2_throughput_benchmark_lands_the_same_extractions_as_v1_and_v2(tmp_path: Path) -> None:
    """``--only e2e_v2`` lands the same extractions as v1 runs and as v2 jobs, the same number succeeding,
    and prints the v2 / v1 ratio of runs per second."""
    stdout, results = _bench(tmp_path, "e2e_v2", 200)
    assert [(r["benchmark"], r["status"]) for r in results] == [("e2e_v2", "ok"), ("e2e_v2", "ok")]
    v2, v1 = results
    assert "v2" in v2["contender"] and "v1" in v1["contender"]
    assert v1["runs"] > 0 and v2["runs"] == v1["runs"]
    assert v1["info"]["runs_landed"] == v2["info"]["runs_landed"]
    ratio_lines = [line for line in stdout.splitlines() if line.startswith("ratio e2e_v2")]
    assert len(ratio_lines) == 1 and f"runs/s of {v2['contender']} / {v1['contender']}" in ratio_lines[0]
