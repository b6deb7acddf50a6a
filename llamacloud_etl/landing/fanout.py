"""Run independent tasks in worker processes, with their logs and progress brought back.

Landing is CPU-bound (parsing JSON, flattening, encoding Parquet) and Python threads share one
core, so a landing of several agents spreads them over processes (see
:func:`llamacloud_etl.landing.land_days`). This module holds the plumbing and knows nothing of
landing:

- workers are **spawned**, never forked: the parent runs threads (Dagster's, httpx's), and a
  forked child would inherit their locks in whatever state they were in;
- a task runs ``fn(task, emit)``; ``emit(value)`` sends a progress value to the parent, which
  hands it to ``on_progress`` on the calling thread (so a callback may use Dagster's logger);
- log records of the workers are re-emitted by the parent through the logger of the same name,
  so they reach the same handlers as when everything runs in one process;
- when a task fails, the tasks not started are cancelled, the running ones finish (each leaves
  whole files behind, see :mod:`llamacloud_etl.storage`), and the first error is raised.

Tasks, results and errors cross processes by pickle; ``fn`` must be a module-level function.
"""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Emit = Callable[[Any], None]
"""Sends one progress value from a task to the parent."""

_POLL_SECONDS = 0.05

_messages: Any = None  # the worker's end of the message queue, set by _init_worker


@dataclass(frozen=True)
class _Progress:
    value: Any


@dataclass(frozen=True)
class _Done:
    """A task's last message: everything it emitted or logged is in the queue before it."""

    index: int


@dataclass(frozen=True)
class _Call(Generic[T, R]):
    fn: Callable[[T, Emit], R]
    task: T
    index: int


@dataclass(frozen=True)
class _Outcome(Generic[R]):
    """What a task returned or raised (a task's error travels as a value, not as the future's)."""

    value: R | None
    error: BaseException | None


def run_in_processes(
    fn: Callable[[T, Emit], R],
    tasks: Sequence[T],
    *,
    processes: int,
    on_progress: Callable[[Any], None] | None = None,
    here: bool = False,
) -> list[R]:
    """Run ``fn(task, emit)`` for every task in up to ``processes`` spawned worker processes.

    Tasks start in the order given (put the longest first). Results come back in that order.
    With ``here``, the first task runs in a thread of this process instead, at once: it needs no
    spawn and no imports (about half a second for a landing), and this process would otherwise
    only wait. The others go to the workers.

    Raises:
        ValueError: ``processes`` below 1 while tasks are left for workers.
        Exception: the first error a task raised, once the tasks already running have finished
            (tasks not started yet are cancelled); or the pool's own error (a task that cannot be
            pickled, a worker that died).
    """
    remote = list(enumerate(tasks))[1 if here else 0 :]
    if remote and processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if not tasks:
        return []
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    outcomes: dict[int, _Outcome[R]] = {}  # the tasks that ran: each sent a last message
    failure: BaseException | None = None
    finished: set[int] = set()
    try:
        with ExitStack() as stack:
            # The workers are submitted first, so they spawn while the local task runs.
            futures = _start_workers(stack, context, messages, fn, remote, processes)
            if here:
                futures[_start_here(stack, messages, fn, tasks[0])] = 0
            failure = _wait_all(futures, outcomes, lambda: _drain(messages, on_progress, finished))
            # A task's messages may still be on their way when its outcome is in: wait for the
            # last message of each task that ran.
            while not outcomes.keys() <= finished:
                _drain(messages, on_progress, finished, block=True)
    finally:
        messages.close()
        messages.join_thread()
    if failure is not None:
        raise failure
    return [outcomes[i].value for i in range(len(tasks))]  # type: ignore[misc]


def _start_workers(
    stack: ExitStack,
    context: Any,
    messages: Any,
    fn: Callable[[T, Emit], R],
    remote: list[tuple[int, T]],
    processes: int,
) -> dict[Future[_Outcome[R]], int]:
    """Submit the ``(index, task)`` pairs to a pool of up to ``processes`` spawned workers, if any.

    The pool is shut down (its workers waited for) when ``stack`` closes.
    """
    if not remote:
        return {}
    level = logging.getLogger("llamacloud_etl").getEffectiveLevel()
    pool = stack.enter_context(
        ProcessPoolExecutor(
            max_workers=min(processes, len(remote)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(messages, level),
        )
    )
    return {pool.submit(_run, _Call(fn, task, i)): i for i, task in remote}


def _start_here(stack: ExitStack, messages: Any, fn: Callable[[T, Emit], R], task: T) -> Future[_Outcome[R]]:
    """Run the first task (index 0) in a thread of this process, its messages in the same queue."""
    local = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="llamacloud-here"))
    return local.submit(_run_with, _Call(fn, task, 0), messages)


def _wait_all(
    futures: dict[Future[_Outcome[R]], int], outcomes: dict[int, _Outcome[R]], drain: Callable[[], None]
) -> BaseException | None:
    """Wait for every task, calling ``drain`` between polls; the first error, if any.

    Each task that ran gets its outcome in ``outcomes``, by index. At the first error, the tasks
    not started yet are cancelled; the running ones are still waited for.
    """
    failure: BaseException | None = None
    running = set(futures)
    while running:
        drain()
        done, running = wait(running, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
        for future in done:
            if future.cancelled():
                continue
            # The future's own error is the pool's (a task that cannot be pickled, a
            # worker that died); a task's error comes back in its outcome.
            error = future.exception()
            if error is None:
                outcome = outcomes[futures[future]] = future.result()
                error = outcome.error
            if error is not None and failure is None:
                failure = error
                for other in running:
                    other.cancel()  # only tasks not started yet can be cancelled
    return failure


def _drain(
    messages: Any, on_progress: Callable[[Any], None] | None, finished: set[int], *, block: bool = False
) -> None:
    """Handle every message waiting in the queue (with ``block``, wait a poll interval for the first)."""
    while True:
        try:
            message = messages.get(timeout=_POLL_SECONDS) if block else messages.get_nowait()
        except queue.Empty:
            return
        block = False
        if isinstance(message, logging.LogRecord):
            logger = logging.getLogger(message.name)
            if logger.isEnabledFor(message.levelno):
                logger.handle(message)
        elif isinstance(message, _Progress):
            if on_progress is not None:
                on_progress(message.value)
        elif isinstance(message, _Done):
            finished.add(message.index)


def _init_worker(messages: Any, level: int) -> None:
    """In each worker: send every log record of the package to the parent, through ``messages``."""
    global _messages
    _messages = messages
    handler = logging.handlers.QueueHandler(messages)
    package = logging.getLogger("llamacloud_etl")
    package.handlers[:] = [handler]
    package.setLevel(level)
    package.propagate = False


def _run(call: _Call[T, R]) -> _Outcome[R]:
    """Run one task in a worker (see :func:`_run_with`)."""
    return _run_with(call, _messages)


def _run_with(call: _Call[T, R], messages: Any) -> _Outcome[R]:
    """Run one task; its last message on ``messages`` is a ``_Done``, sent even when it fails."""

    def emit(value: Any) -> None:
        messages.put(_Progress(value))

    try:
        return _Outcome(call.fn(call.task, emit), None)
    except Exception as exc:
        return _Outcome(None, exc)
    finally:
        messages.put(_Done(call.index))
