"""Benchmarks 4 and 5, seek: the oldest week of a long history lands about as fast as the newest week.

``seek`` (v1): the v1 list is newest first with ``skip``/``limit`` and no date filter. Without a seek,
landing the oldest week of a 20,000-run history paged through every newer run (about 5 times the
requests of the newest week); the client now searches over ``skip`` with one-run pages (interpolating
on ``created_at``) for where the range ends, then pages through the range only.

``seek_v2``: the same history served as v2 jobs only (the cutover at its start), landed from the v2
source, whose listings carry the server-side ``created_at_on_or_after`` / ``created_at_on_or_before``
filters, so an old week costs what it holds.

Each week is landed by :func:`land_days` in its own fresh process and root, on the same emulator (four
agents, 20 ms latency per request).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from benchmarks._harness import Measurement, attempt, dataset, emulator, median_of

FULL_RUNS = 20_000
QUICK_RUNS = 400
DAYS = 60
QUICK_DAYS = 14
WEEK = 7
TARGET_TIME = 1.2
TARGET_EXTRA_REQUESTS = 20
BENCHMARK = {"v1": "seek", "v2": "seek_v2"}
"""The benchmark's name for each API version it is run with."""


def contenders(api_version: str) -> tuple[str, str]:
    """The names of the oldest and the newest week's rows for ``api_version``."""
    via = "land_days" if api_version == "v1" else f"land_days {api_version}"
    return f"ours: {via}, oldest week", f"ours: {via}, newest week"


OLDEST, NEWEST = contenders("v1")


def run(
    *,
    num_runs: int,
    latency_ms: float,
    workdir: Path,
    days: int = DAYS,
    repeat: int = 1,
    api_version: str = "v1",
) -> list[Measurement]:
    """Land the oldest and the newest week of a ``num_runs`` history of ``days`` days, ``repeat`` times.

    With ``api_version`` ``v2`` the history is served as v2 jobs only and landed from the v2 source
    (benchmark ``seek_v2``). The oldest week's row carries the time ratio (oldest / newest, a ceiling
    of :data:`TARGET_TIME`) and, in its note, the requests per agent of both weeks (goal: at most
    :data:`TARGET_EXTRA_REQUESTS` more for the oldest).
    """
    benchmark = BENCHMARK[api_version]
    oldest_name, newest_name = contenders(api_version)
    data = dataset(num_runs, days, api_version)
    weeks = {
        "oldest": (oldest_name, data.start),
        "newest": (newest_name, data.start + timedelta(days=data.days - WEEK)),
    }
    measured: dict[str, list[Measurement]] = {oldest_name: [], newest_name: []}
    folder = workdir / benchmark
    with emulator(data, latency_ms=latency_ms) as url:
        for i in range(repeat):
            for name, (contender, first) in weeks.items():
                params = {
                    "base_url": url,
                    "output": str(folder / f"{name}-{i}"),
                    "first": first.isoformat(),
                    "last": (first + timedelta(days=WEEK - 1)).isoformat(),
                    "api_version": api_version,
                }
                measured[contender].append(
                    attempt(benchmark, contender, "benchmarks.contenders.seek:land_week", params)
                )
            shutil.rmtree(folder, ignore_errors=True)
    oldest, newest = median_of(measured[oldest_name]), median_of(measured[newest_name])
    compare_weeks(oldest, newest)
    return [newest, oldest]


def compare_weeks(oldest: Measurement, newest: Measurement) -> None:
    """Put the time ratio and the requests per agent of both weeks on the oldest week's row."""
    oldest.target = TARGET_TIME
    oldest.at_most = True
    oldest.ratio_of = f"seconds of {{row}} / {newest.contender}"
    if oldest.status == newest.status == "ok" and newest.seconds > 0:
        oldest.ratio = oldest.seconds / newest.seconds
        old, new = oldest.info.get("requests_per_agent"), newest.info.get("requests_per_agent")
        if old is not None and new is not None:
            extra = old - new
            verdict = "met" if extra <= TARGET_EXTRA_REQUESTS else "NOT met"
            requests = (
                f"requests per agent {old:.0f} vs {new:.0f} for the newest week: {extra:+.0f} "
                f"(goal <= +{TARGET_EXTRA_REQUESTS}) {verdict}"
            )
            oldest.note = "; ".join(part for part in (requests, oldest.note) if part)
