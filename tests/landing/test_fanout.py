"""Worker processes: results in order, progress and logs brought back, errors raised whole."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import pytest

from llamacloud_etl.errors import FlattenError
from llamacloud_etl.landing.fanout import Emit, run_in_processes

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


def _thread_name(task: int, emit: Emit) -> tuple[int, str]:
    emit(task)
    return os.getpid(), threading.current_thread().name


def test_with_here_the_first_task_runs_in_a_thread_of_the_calling_process() -> None:
    """``here``: task 0 runs in this process, off the calling thread; the rest in workers."""
    results = run_in_processes(_thread_name, [0, 1, 2], processes=2, here=True)
    assert results[0][0] == os.getpid() and results[0][1] != threading.current_thread().name
    assert os.getpid() not in {pid for pid, _ in results[1:]}


def test_with_here_alone_no_worker_is_needed() -> None:
    """One task and ``here``: it runs in this process, and zero workers is fine."""
    assert run_in_processes(_square, [7], processes=0, here=True) == [(49, os.getpid())]


def test_progress_of_the_local_task_reaches_the_caller_on_the_calling_thread() -> None:
    """What the local task emits is handed to ``on_progress`` on the calling thread, as a worker's is."""
    seen: list[tuple[int, str]] = []
    run_in_processes(
        _thread_name,
        [5, 6],
        processes=1,
        here=True,
        on_progress=lambda value: seen.append((value, threading.current_thread().name)),
    )
    assert sorted(seen) == [(5, threading.current_thread().name), (6, threading.current_thread().name)]


def test_an_error_of_the_local_task_is_raised_with_its_type() -> None:
    """The local task's error reaches the caller as itself once the workers finish."""
    with pytest.raises(FlattenError) as info:
        run_in_processes(_fail_on_two, [2, 1], processes=1, here=True)
    assert info.value.run_id == "run-2"


def _pid_after(task: float, emit: Emit) -> int:
    time.sleep(task)
    return os.getpid()


def test_more_tasks_than_processes_are_a_queue_the_calling_process_takes_from_too() -> None:
    """With more tasks than slots, whoever is free takes the next: here, while the worker spawns."""
    results = run_in_processes(_pid_after, [0.01] * 6, processes=1, here=True)
    assert results[0] == os.getpid() and results[1] != os.getpid()  # one each to begin with
    assert results.count(os.getpid()) >= 2  # then the next ones here, while the worker starts


_set_up = False


def _mark_set_up() -> None:
    global _set_up
    _set_up = True


def _was_set_up(task: int, emit: Emit) -> bool:
    return _set_up


def test_setup_runs_in_each_worker_before_its_tasks_never_in_the_caller() -> None:
    """``setup`` has run in every worker before its first task, and not in the calling process."""
    results = run_in_processes(_was_set_up, [0, 1, 2], processes=2, here=True, setup=_mark_set_up)
    assert results == [False, True, True]
