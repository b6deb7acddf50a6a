"""Smoke test of the seek benchmark (``python -m benchmarks --only seek --quick``); figures never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)
def test_quick_seek_benchmark_lands_both_weeks_and_prints_its_ratio(tmp_path: Path) -> None:
    """``--only seek --quick`` exits 0, lands the oldest and the newest week, prints the time ratio and the
    requests per agent."""
    summary_path = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "seek", "--quick", "--output", str(summary_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(summary_path.read_text(encoding="utf-8"))["results"]
    assert [(r["benchmark"], r["status"]) for r in results] == [("seek", "ok"), ("seek", "ok")]
    assert all(r["runs"] > 0 and r["info"]["requests_per_agent"] > 0 for r in results)
    ratio_lines = [line for line in proc.stdout.splitlines() if line.startswith("ratio seek")]
    assert len(ratio_lines) == 1 and "oldest week" in ratio_lines[0]
    assert "requests per agent" in proc.stdout
