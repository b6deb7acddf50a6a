"""Smoke test of the memory benchmark (``python -m benchmarks --only memory --quick``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)
def test_quick_memory_benchmark_lands_both_backfills_and_the_big_day(tmp_path: Path) -> None:
    """``--only memory --quick`` exits 0, lands three ranges, prints the flat ratio and the day budget."""
    summary_path = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "memory", "--quick", "--output", str(summary_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(summary_path.read_text(encoding="utf-8"))["results"]
    assert [(r["benchmark"], r["status"]) for r in results] == [("memory", "ok")] * 3
    assert all(r["runs"] > 0 and r["peak_rss_mib"] > 0 for r in results)
    assert [r["info"]["days"] for r in results] == [2, 1, 1]
    ratio_lines = [line for line in proc.stdout.splitlines() if line.startswith("ratio memory")]
    assert len(ratio_lines) == 2 and "day budget of 1 MB" in ratio_lines[1]
