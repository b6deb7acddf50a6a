"""Smoke test of the benchmark harness (``python -m benchmarks --quick``); figures are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)
def test_quick_benchmarks_run_every_contender_and_print_ratio_lines(tmp_path: Path) -> None:
    """``python -m benchmarks --quick`` (fetch, flatten, e2e) exits 0, runs or skips each contender, prints a
    ratio per target."""
    summary_path = tmp_path / "latest.json"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks", "--quick", "--output", str(summary_path)),
            *("--only", "fetch", "--only", "flatten", "--only", "e2e"),  # seek: test_benchmark_seek_smoke
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ratio_lines = [line for line in proc.stdout.splitlines() if line.startswith("ratio ")]
    results = json.loads(summary_path.read_text(encoding="utf-8"))["results"]
    assert {r["benchmark"] for r in results} == {"fetch", "flatten", "e2e"}
    assert all(r["status"] in ("ok", "skipped") for r in results)
    assert len(ratio_lines) == sum(1 for r in results if r["target"] is not None) == 6
