"""Worker processes: results in order, progress and logs brought back, errors raised whole."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from llamacloud_etl.errors import FlattenError
from llamacloud_etl.fanout import Emit, run_in_processes

# Module-level: a spawned worker imports the task function by name.


def _square(task: int, emit: Emit) -> tuple[int, int]:
    emit(task)
    return task * task, os.getpid()


def _log(task: str, emit: Emit) -> None:
    logging.getLogger("llamacloud_etl.test_worker").warning("worker says %s", task)


def _fail_on_two(task: int, emit: Emit) -> int:
    if task == 2:
        raise FlattenError("run-2", "$.total", "not a number")
    return task


def test_results_come_back_in_task_order() -> None:
    """Each task's result is at its task's position, whatever order the workers finish in."""
    results = run_in_processes(_square, [3, 1, 2, 5], processes=2)
    assert [value for value, _ in results] == [9, 1, 4, 25]


def test_tasks_run_outside_the_calling_process() -> None:
    """Tasks run in worker processes, not in the caller."""
    results = run_in_processes(_square, [1, 2], processes=2)
    assert os.getpid() not in {pid for _, pid in results}


def test_progress_reaches_the_caller() -> None:
    """Every value a task emits is handed to ``on_progress`` in the calling process."""
    seen: list[int] = []
    run_in_processes(_square, [4, 6, 8], processes=2, on_progress=seen.append)
    assert sorted(seen) == [4, 6, 8]


def test_worker_logs_reach_the_callers_logger(caplog: pytest.LogCaptureFixture) -> None:
    """A worker's log record is re-emitted through the caller's logger of the same name."""
    with caplog.at_level(logging.WARNING, logger="llamacloud_etl"):
        run_in_processes(_log, ["hello"], processes=1)
    assert ("llamacloud_etl.test_worker", logging.WARNING, "worker says hello") in caplog.record_tuples


def test_a_task_error_is_raised_with_its_type_and_attributes() -> None:
    """The first error a task raised reaches the caller as itself, message and attributes included."""
    with pytest.raises(FlattenError, match=r"cannot flatten run run-2 at \$\.total: not a number") as info:
        run_in_processes(_fail_on_two, [1, 2, 3], processes=2)
    assert info.value.run_id == "run-2"


def test_no_tasks_start_no_workers() -> None:
    """An empty task list returns at once."""
    assert run_in_processes(_square, [], processes=4) == []


def test_processes_below_one_is_refused() -> None:
    """Zero worker processes is a programming error, not an empty result."""
    with pytest.raises(ValueError, match="at least 1"):
        run_in_processes(_square, [1], processes=0)


def test_a_worker_imports_the_landing_without_pandas() -> None:
    """Worker processes import ``llamacloud_etl.landing``; pandas (a fifth of a second) is left out."""
    code = "import sys, llamacloud_etl.landing; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
