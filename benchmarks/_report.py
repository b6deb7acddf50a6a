"""Printing the results table and writing the JSON summary."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from benchmarks._harness import Measurement

_HEADERS = (
    "benchmark",
    "contender",
    "runs",
    "seconds",
    "runs/s",
    "peak RSS MiB",
    "work +MiB",
    "ratio",
    "target",
    "met?",
)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _target(m: Measurement) -> str:
    if m.target is None:
        return ""
    return f"{'<=' if m.at_most else '>='} {m.target:g}x"


def _met(m: Measurement) -> str:
    return {True: "yes", False: "NO", None: ""}[m.met]


def _cells(m: Measurement) -> tuple[str, ...]:
    if m.status != "ok":
        return (m.benchmark, m.contender, "", "", m.status.upper(), "", "", "", _target(m), "")
    rate = _num(m.rate) + ("*" if m.extrapolated else "")
    ratio = "" if m.ratio is None else f"{m.ratio:.2f}x"
    return (
        m.benchmark,
        m.contender,
        f"{m.runs:,}",
        _num(m.seconds, 2),
        rate,
        _num(m.peak_rss_mib, 0),
        _num(m.work_mib, 0),
        ratio,
        _target(m),
        _met(m),
    )


def print_table(results: Sequence[Measurement], out: TextIO = sys.stdout) -> None:
    """The compact table, then one ratio line per target, then the notes."""
    rows = [_HEADERS, *(_cells(m) for m in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    right = {2, 3, 4, 5, 6, 7}
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    print(file=out)
    for m in results:
        if m.target is None and not m.ratio_of:
            continue
        value = "not measured" if m.ratio is None else f"{m.ratio:.2f}x"
        verdict = {True: "met", False: "NOT met", None: "n/a"}[m.met]
        judged = "(for reference)" if m.target is None else f"(target {_target(m)}) {verdict}"
        print(f"ratio {m.benchmark:<8} {m.ratio_of.format(row=m.contender)}: {value} {judged}", file=out)
    for m in results:
        for check, passed in (m.info.get("checks") or {}).items():
            print(f"check {m.benchmark:<8} {m.contender}: {check}: {'yes' if passed else 'NO'}", file=out)
    notes = [m for m in results if m.note]
    if notes:
        print(file=out)
    for m in notes:
        print(f"note  {m.benchmark:<8} {m.contender}: {m.note}", file=out)
    if any(m.extrapolated for m in results):
        print("* rate measured on a subset of the runs and extrapolated (see the note).", file=out)
    print(
        "\npeak RSS: the contender's whole process (imports and inputs included); work +MiB: what the timed "
        "work added on top of the memory resident when it began.",
        file=out,
    )


def summary(results: Sequence[Measurement], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document written to ``benchmarks/results/latest.json``."""
    rows = []
    for m in results:
        row = asdict(m)
        row["runs_per_second"] = m.rate
        row["work_added_mib"] = m.work_mib
        row["met"] = m.met
        rows.append(row)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": dict(settings),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": rows,
    }


def write_summary(path: Path, document: Mapping[str, Any]) -> None:
    """Write the summary as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
