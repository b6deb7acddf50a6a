"""The parent side: data sets, the emulator on loopback, and contenders run in fresh subprocesses."""

from __future__ import annotations

import functools
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llamacloud_etl.emulator import (
    DEFAULT_DAYS,
    DEFAULT_START,
    Dataset,
    EmulatorApp,
    EmulatorServer,
    build_dataset,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
KEY_ENV = "LLAMA_CLOUD_API_KEY"
# Settings that must not leak from the developer's shell into a contender, or must be pinned there.
_SCRUBBED_ENV = (
    "LLAMA_CLOUD_BASE_URL",
    "LLAMA_PARSE_API_KEY",
    "LLAMA_CLOUD_PROJECT_ID",
    "LLAMA_CLOUD_ORGANIZATION_ID",
    "DAGSTER_HOME",
    "LLAMACLOUD_ETL_AGENTS",
    "LLAMACLOUD_ETL_API_VERSION",
)
_PINNED_ENV = {
    "DAGSTER_DISABLE_TELEMETRY": "yes",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "PYTHONUNBUFFERED": "1",
}


class ContenderError(RuntimeError):
    """A contender's process failed; the message carries the tail of its stderr."""


@dataclass
class Measurement:
    """One contender's figures, as printed and as written to ``latest.json``.

    A ratio sits on the row it compares ours *against*: on a baseline's row, ``ratio`` is our rate
    divided by that baseline's rate; on the row of ours at a small size, it is our peak RSS at the full
    size divided by the peak on that row (``at_most``: the target is a ceiling).

    Attributes:
        benchmark: ``fetch``, ``flatten`` or ``e2e``.
        contender: who did the work (``ours: ...``, ``official SDK ...``, ``pandas ...``, ``dlt ...``).
        runs: how many runs the rate counts (for e2e: SUCCESS runs landed).
        seconds: wall time of the measured work only.
        peak_rss_mib: peak resident memory of the contender's whole process.
        setup_rss_mib: resident memory when the measured work began (imports plus inputs).
        work_peak_mib: high-water mark of resident memory during the measured work alone (None where
            the kernel cannot tell); ``work_peak_mib - setup_rss_mib`` is what the work itself added.
        ratio: see above; None on rows that are not compared.
        ratio_of: what ``ratio`` divides, in words (``{row}`` stands for this row's contender).
        target: the ratio aimed for.
        at_most: True when ``target`` is a ceiling rather than a floor.
        extrapolated: True when the rate comes from a measured subset of the runs.
        note: how the figure was obtained, when that is not the obvious way.
        info: contender-specific counters (requests, tables, rows, step times).
        status: ``ok``, ``skipped`` or ``failed``.
    """

    benchmark: str
    contender: str
    runs: int = 0
    seconds: float = 0.0
    peak_rss_mib: float | None = None
    setup_rss_mib: float | None = None
    work_peak_mib: float | None = None
    ratio: float | None = None
    ratio_of: str = ""
    target: float | None = None
    at_most: bool = False
    extrapolated: bool = False
    note: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"

    @property
    def rate(self) -> float | None:
        """Runs per second, or None when nothing was measured."""
        if self.status != "ok" or self.seconds <= 0:
            return None
        return self.runs / self.seconds

    @property
    def work_mib(self) -> float | None:
        """Memory the measured work added on top of what was resident when it began."""
        if self.work_peak_mib is None or self.setup_rss_mib is None:
            return None
        return max(0.0, self.work_peak_mib - self.setup_rss_mib)

    @property
    def met(self) -> bool | None:
        """Whether the ratio reaches the target (None when there is no target or no ratio)."""
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target if self.at_most else self.ratio >= self.target


def _mib(kib: int | None) -> float | None:
    return None if kib is None else kib / 1024


@functools.cache
def dataset(num_runs: int, days: int = DEFAULT_DAYS, api_version: str = "v1") -> Dataset:
    """The emulator's data set of ``num_runs`` extractions over ``days`` days (seed 0), built once per size.

    ``api_version`` ``v1`` serves them all as v1 runs (no cutover), ``v2`` all as v2 jobs (the cutover at
    the start): the same seeded extractions either way.
    """
    if api_version not in ("v1", "v2"):
        raise ValueError(f"api_version must be v1 or v2, got {api_version!r}")
    v2_from = DEFAULT_START if api_version == "v2" else None
    return build_dataset(num_runs, start=DEFAULT_START, days=days, v2_from=v2_from)


@functools.cache
def api_key() -> str:
    """A fresh fake key per benchmark session. It goes to children by environment, never argv or files."""
    return "llx-bench-" + secrets.token_hex(12)


@contextmanager
def emulator(data: Dataset, *, latency_ms: float) -> Iterator[str]:
    """Serve ``data`` on a loopback port in a thread of THIS (the parent) process; yield the base URL.

    Contenders always run in their own processes, so the emulator's threads never compete with them
    for a GIL; with two cores, each side gets one.
    """
    # A short request log: the app keeps one record per request, and nobody reads them here.
    app = EmulatorApp(data, api_key=api_key(), latency_ms=latency_ms, log_size=16)
    with EmulatorServer(app) as server:
        yield server.url


def run_contender(
    benchmark: str,
    contender: str,
    target: str,
    params: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800.0,
) -> Measurement:
    """Run ``target`` (``module:function``) in a fresh interpreter and return its measurement.

    Raises:
        ContenderError: the child exited non-zero or wrote no result.
    """
    with tempfile.TemporaryDirectory(prefix="llamacloud-bench-") as tmp:
        spec_path = Path(tmp, "spec.json")
        result_path = Path(tmp, "result.json")
        spec = {"target": target, "params": dict(params), "result_path": str(result_path)}
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        child_env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        child_env.update(_PINNED_ENV)
        child_env[KEY_ENV] = api_key()
        child_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks._child", str(spec_path)],
            cwd=REPO_ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0 or not result_path.exists():
            # The key is a throwaway fake, but it still never reaches a log.
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:]).replace(api_key(), "***")
            raise ContenderError(f"{benchmark}/{contender} exited with {proc.returncode}:\n{tail}")
        raw = json.loads(result_path.read_text(encoding="utf-8"))
    return Measurement(
        benchmark=benchmark,
        contender=contender,
        runs=raw["runs"],
        seconds=raw["seconds"],
        peak_rss_mib=_mib(raw["peak_rss_kib"]),
        setup_rss_mib=_mib(raw["setup_rss_kib"]),
        work_peak_mib=_mib(raw["work_peak_kib"]),
        info={**raw["info"], "ru_maxrss_mib": _mib(raw["ru_maxrss_kib"])},
    )


def failed(benchmark: str, contender: str, error: Exception) -> Measurement:
    """A row for a contender that could not be measured."""
    return Measurement(benchmark, contender, status="failed", note=str(error).splitlines()[0][:200])


def skipped(benchmark: str, contender: str, why: str) -> Measurement:
    """A row for a contender that was left out on purpose."""
    return Measurement(benchmark, contender, status="skipped", note=why)


def median_of(measured: Sequence[Measurement]) -> Measurement:
    """The measurement of median time among the successful ones (the lower median for an even count).

    Every contender repeated the same number of times is reduced the same way; the note lists
    each repeat's rate. With no successful repeat, the first failure stands for them all.
    """
    ok = [m for m in measured if m.status == "ok"]
    if not ok:
        return measured[0]
    chosen = min(ok, key=lambda m: abs(m.seconds - statistics.median_low(x.seconds for x in ok)))
    if len(measured) > 1:
        rates = ", ".join(f"{m.rate:,.0f}" if m.rate is not None else "-" for m in ok)
        failures = len(measured) - len(ok)
        chosen.note = "; ".join(
            part
            for part in (
                f"median of {len(ok)} runs ({rates} runs/s)",
                f"{failures} failed" if failures else "",
                chosen.note,
            )
            if part
        )
    return chosen


def compare_rate(ours: Measurement, baseline: Measurement, target: float) -> None:
    """Put ``ours.rate / baseline.rate`` and its target on the baseline's row."""
    baseline.target = target
    baseline.ratio_of = f"runs/s of {ours.contender} / {{row}}"
    if ours.rate is not None and baseline.rate:
        baseline.ratio = ours.rate / baseline.rate


def compare_memory(large: Measurement, small: Measurement, ceiling: float) -> None:
    """Put ``large.peak_rss / small.peak_rss`` and its ceiling on the small run's row."""
    small.target = ceiling
    small.at_most = True
    small.ratio_of = f"peak RSS of {large.contender} ({large.runs:,} SUCCESS runs) / {{row}}"
    if large.status == small.status == "ok" and large.peak_rss_mib and small.peak_rss_mib:
        small.ratio = large.peak_rss_mib / small.peak_rss_mib


def write_ids(directory: Path, name: str, ids: list[str]) -> str:
    """Write run ids one per line (children read them outside the timed block); return the path."""
    path = directory / f"{name}.txt"
    path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return str(path)


def attempt(
    benchmark: str,
    contender: str,
    target: str,
    params: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800.0,
) -> Measurement:
    """:func:`run_contender`, with a failure turned into a ``failed`` row so the other figures still print."""
    print(f"  {benchmark}: {contender} ...", file=sys.stderr, flush=True)
    try:
        return run_contender(benchmark, contender, target, params, env=env, timeout=timeout)
    except (ContenderError, subprocess.TimeoutExpired) as exc:
        print(f"  {benchmark}: {contender} FAILED: {exc}", file=sys.stderr, flush=True)
        return failed(benchmark, contender, exc)
