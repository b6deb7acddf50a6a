"""Run the landing job over a range of days from Python (the CLI's ``demo``, ``backfill``, ``fetch``)."""

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import dagster as dg

from llamacloud_etl.console import ExitCode
from llamacloud_etl.defs.schedules import range_tags


@dataclass(frozen=True)
class RangeOutcome:
    """How a run over a range of days went."""

    success: bool
    run_id: str
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    exit_code: int | None = None
    """The :class:`~llamacloud_etl.console.ExitCode` of the failure when the run failed."""

    @property
    def ok(self) -> bool:
        """Every partition landed and no ERROR-severity check failed."""
        return self.success and not self.failed_checks


@contextmanager
def dagster_instance() -> Iterator[dg.DagsterInstance]:
    """The instance at ``DAGSTER_HOME`` when set (runs then show in ``dagster dev``), else a temporary one.

    The temporary instance has telemetry off: nothing of ours talks to anything but the API.
    """
    if os.environ.get("DAGSTER_HOME"):
        with dg.DagsterInstance.get() as instance:
            yield instance
    else:
        settings = {"telemetry": {"enabled": False}}
        with (
            tempfile.TemporaryDirectory(prefix="llamacloud-etl-dagster-") as home,
            dg.DagsterInstance.ephemeral(tempdir=home, settings=settings) as instance,
        ):
            yield instance


def run_range(
    defs: dg.Definitions,
    job_name: str,
    first: date,
    last: date,
    *,
    instance: dg.DagsterInstance,
    run_config: Mapping[str, Any] | None = None,
    log_level: str = "INFO",
) -> RangeOutcome:
    """Materialize the partitions ``first``..``last`` (inclusive) in ONE run: a single-run backfill.

    ``log_level`` is the level of Dagster's console logger for the run: DEBUG shows every Dagster
    event and one line per day landed; CRITICAL shows nothing (the event log keeps everything).
    """
    job = defs.resolve_job_def(job_name)
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    result = job.execute_in_process(
        instance=instance,
        tags=range_tags(first.isoformat(), last.isoformat()),
        run_config=config,
        raise_on_error=False,
    )
    failed: list[str] = []
    warned: list[str] = []
    for event in result.get_asset_check_evaluations():
        if not event.passed:
            name = f"{event.asset_key.to_user_string()}:{event.check_name}"
            (warned if event.severity == dg.AssetCheckSeverity.WARN else failed).append(name)
    metadata: dict[str, dict[str, Any]] = {}
    for mat in result.get_asset_materialization_events():
        materialization = mat.materialization
        key = materialization.asset_key.to_user_string()
        metadata[key] = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    error, exit_code = _failure(result) if not result.success else (None, None)
    return RangeOutcome(
        success=result.success,
        run_id=result.run_id,
        failed_checks=sorted(set(failed)),
        warned_checks=sorted(set(warned)),
        metadata=metadata,
        error=error,
        exit_code=exit_code,
    )


def _failure(result: dg.ExecuteInProcessResult) -> tuple[str, int]:
    """The message and exit code of a failed run: the asset's ``Failure`` description and exit code
    (see ``assets._failure``), else the innermost error Dagster wrapped (exit code 1)."""
    failures = [e for e in result.all_events if e.is_step_failure]
    if not failures:
        return "the Dagster run failed before its step ran; see the run's event log", int(ExitCode.INTERNAL)
    data = failures[0].step_failure_data
    user = data.user_failure_data
    if user is not None and user.description:
        code = user.metadata.get("exit_code")
        return user.description, int(code.value) if code is not None else int(ExitCode.INTERNAL)  # type: ignore[arg-type]
    info = data.error
    if info is None:
        return "the step failed without an error", int(ExitCode.INTERNAL)
    while info.cause is not None:
        info = info.cause
    return (
        f"unexpected error: {info.message.strip()} Run again with --debug for the trace.",
        int(ExitCode.INTERNAL),
    )
