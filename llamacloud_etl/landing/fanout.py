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
from collections import deque
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
    setup: Callable[[], None] | None = None,
) -> list[R]:
    """Run ``fn(task, emit)`` for every task in up to ``processes`` spawned worker processes.

    The tasks are a work queue, taken in the order given (put the longest first): each worker
    takes the next task as soon as it has finished its last, so a worker that starts late, or a
    task longer than expected, is evened out by the others. Results come back in task order.
    With ``here``, this process takes tasks too, in a thread, starting at once with the first:
    it needs no spawn and no imports (about half a second for a landing), and would otherwise
    only wait. ``setup`` (module-level, like ``fn``) runs once in each worker before its first
    task, never in this process.

    Raises:
        ValueError: ``processes`` below 1 while tasks are left for workers.
        Exception: the first error a task raised, once the tasks already running have finished
            (tasks not started yet are dropped); or the pool's own error (a task that cannot be
            pickled, a worker that died).
    """
    remote = len(tasks) - (1 if here else 0)
    if remote > 0 and processes < 1:
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
            slots = _Slots(
                here=_start_here(stack, messages, fn, tasks) if here else None,
                workers=_start_workers(stack, context, messages, fn, tasks, min(processes, remote), setup),
                width=min(processes, remote),
            )
            failure = _run_queue(slots, len(tasks), outcomes, lambda: _drain(messages, on_progress, finished))
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


Submit = Callable[[int], "Future[_Outcome[Any]]"]
"""Starts the task of that index somewhere (this process's thread, or the worker pool)."""


@dataclass(frozen=True)
class _Slots:
    """Where tasks run: this process (one at a time), and ``width`` workers (one each at a time)."""

    here: Submit | None
    workers: Submit | None
    width: int


def _start_workers(
    stack: ExitStack,
    context: Any,
    messages: Any,
    fn: Callable[[T, Emit], R],
    tasks: Sequence[T],
    processes: int,
    setup: Callable[[], None] | None,
) -> Submit | None:
    """A pool of ``processes`` spawned workers, if any, and how to hand it a task by index.

    The pool is shut down (its workers waited for) when ``stack`` closes.
    """
    if processes < 1:
        return None
    level = logging.getLogger("llamacloud_etl").getEffectiveLevel()
    pool = stack.enter_context(
        ProcessPoolExecutor(
            max_workers=processes,
            mp_context=context,
            initializer=_init_worker,
            initargs=(messages, level, setup),
        )
    )
    return lambda i: pool.submit(_run, _Call(fn, tasks[i], i))


def _start_here(stack: ExitStack, messages: Any, fn: Callable[[T, Emit], R], tasks: Sequence[T]) -> Submit:
    """A thread of this process that runs tasks one at a time, their messages in the same queue."""
    local = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="llamacloud-here"))
    return lambda i: local.submit(_run_with, _Call(fn, tasks[i], i), messages)


def _run_queue(
    slots: _Slots, count: int, outcomes: dict[int, _Outcome[R]], drain: Callable[[], None]
) -> BaseException | None:
    """Run tasks ``0..count-1`` in order, each on the next free slot; the first error, if any.

    Each task that ran gets its outcome in ``outcomes``, by index. Task 0 goes here (when this
    process takes tasks), the next ones to the workers; whichever finishes takes the next task.
    At the first error, no task is started any more; the running ones are still waited for.
    """
    pending = deque(range(count))
    running: dict[Future[_Outcome[R]], tuple[int, Submit]] = {}

    def start(submit: Submit) -> None:
        index = pending.popleft()
        running[submit(index)] = (index, submit)

    if slots.here is not None:
        start(slots.here)
    for _ in range(min(slots.width, len(pending))):
        assert slots.workers is not None  # width is 0 without workers
        start(slots.workers)
    failure: BaseException | None = None
    while running:
        drain()
        done, _ = wait(running, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
        for future in done:
            index, submit = running.pop(future)
            # The future's own error is the pool's (a task that cannot be pickled, a worker
            # that died); a task's error comes back in its outcome.
            error = future.exception()
            if error is None:
                outcome = outcomes[index] = future.result()
                error = outcome.error
            if error is not None and failure is None:
                failure = error
                pending.clear()
            if pending:
                start(submit)
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


def _init_worker(messages: Any, level: int, setup: Callable[[], None] | None) -> None:
    """In each worker: send every log record of the package to the parent, through ``messages``;
    then run ``setup``."""
    global _messages
    _messages = messages
    handler = logging.handlers.QueueHandler(messages)
    package = logging.getLogger("llamacloud_etl")
    package.handlers[:] = [handler]
    package.setLevel(level)
    package.propagate = False
    if setup is not None:
        setup()


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
