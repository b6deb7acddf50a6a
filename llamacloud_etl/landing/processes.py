"""Agents shared out between processes: weighed, dealt heaviest first, landed side by side.

Agents write disjoint files (their own tables, and their own part of each shared table's day),
so their landings are independent, as groups of agents are in one process. Each group gets about
the same expected work: agents are weighed by the size of their listing (one small request each)
and dealt out heaviest first, each to the lightest group so far. The heaviest group lands in the
calling process, which has everything imported and would otherwise only wait; each other group
gets a spawned worker process (:mod:`llamacloud_etl.landing.fanout`) with a source of its own.

**Fewer listings than processes** (one huge agent, say): each listing's range is cut into
contiguous day slices (:func:`queued_slices`), heavier listings into more, and every slice is a
task of its own; there are more tasks than processes (a tail of short slices), taken as a work
queue, so the calling process lands more while a worker is still starting. A slice lists only
its days (v1 seeks to where its range ends, v2 filters by date on the server) and writes only
its days; the slices of one agent meet only in the agent's table schema, which the schema
records coordinate (:mod:`llamacloud_etl.landing.conform`).
"""

from __future__ import annotations

import importlib.abc
import logging
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pyarrow as pa

from llamacloud_etl.client import RetrySwitches
from llamacloud_etl.landing.fanout import Emit, run_in_processes
from llamacloud_etl.landing.group import LandingOptions, ProgressCallback, counted, land_groups
from llamacloud_etl.landing.report import LandingReport, merge_reports
from llamacloud_etl.run import Agent, day_bounds
from llamacloud_etl.settings import ApiSettings
from llamacloud_etl.sources import open_source
from llamacloud_etl.sources.base import Source, listing_units
from llamacloud_etl.storage import ParquetStore

logger = logging.getLogger(__name__)


def deal(agents: Sequence[Agent], weights: dict[str, float], groups: int) -> list[list[Agent]]:
    """Agents dealt heaviest first, each to the lightest group so far; heaviest group first.

    Agents listed together (:func:`~llamacloud_etl.sources.base.listing_units`) are dealt as one,
    weighing as their heaviest.

    Examples:
        >>> agents = [Agent("a", "A"), Agent("b", "B"), Agent("c", "C")]
        >>> [[a.id for a in g] for g in deal(agents, {"a": 5.0, "b": 3.0, "c": 3.0}, 2)]
        [['b', 'c'], ['a']]
    """
    units = listing_units(agents)
    bins: list[list[Agent]] = [[] for _ in range(min(groups, len(units)))]
    loads = [0.0] * len(bins)
    for unit in sorted(units, key=lambda u: -max(weights[a.id] for a in u)):
        lightest = loads.index(min(loads))
        bins[lightest].extend(unit)
        loads[lightest] += max(weights[a.id] for a in unit)
    heaviest_first = sorted(range(len(bins)), key=lambda i: -loads[i])
    return [sorted(bins[i], key=lambda a: (a.name, a.id)) for i in heaviest_first if bins[i]]


def day_slices(options: LandingOptions, count: int) -> list[LandingOptions]:
    """The range cut into up to ``count`` contiguous day slices as equal in days as can be, newest first.

    Examples:
        >>> from datetime import date, datetime
        >>> options = LandingOptions(date(2026, 6, 1), date(2026, 6, 10), datetime(2026, 7, 1), 0.5, 16)
        >>> [(s.first.day, s.last.day) for s in day_slices(options, 3)]
        [(7, 10), (4, 6), (1, 3)]
    """
    days = (options.last - options.first).days + 1
    count = max(1, min(count, days))
    starts = [options.first + timedelta(days=days * i // count) for i in range(count + 1)]
    return [
        replace(options, first=starts[i], last=starts[i + 1] - timedelta(days=1))
        for i in reversed(range(count))
    ]


TAIL_SHARE = 8
"""A sliced listing's range keeps about 1/(this x its slices) of its days per slice for a tail of
short slices, one per big slice, landed last (:func:`queued_slices`)."""


def queued_slices(options: LandingOptions, count: int) -> list[LandingOptions]:
    """The range cut into ``count`` big day slices, then (oldest) ``count`` short ones; newest first.

    The tasks are a work queue (:func:`~llamacloud_etl.landing.fanout.run_in_processes`): the
    process that finishes its big slice first takes a short one, which evens out a worker that
    started late (spawn and imports: about half a second) without paying for many slices (each
    seeks, and ends with its own listing drained). Too few days for a tail: :func:`day_slices`.

    Examples:
        >>> from datetime import date, datetime
        >>> options = LandingOptions(date(2026, 6, 1), date(2026, 7, 12), datetime(2026, 8, 1), 0.5, 16)
        >>> [(s.last - s.first).days + 1 for s in queued_slices(options, 2)]
        [19, 19, 2, 2]
    """
    days = (options.last - options.first).days + 1
    tail = days // (TAIL_SHARE * count)
    if count < 2 or tail < 1:
        return day_slices(options, count)
    split = options.first + timedelta(days=count * tail)
    big = day_slices(replace(options, first=split), count)
    short = day_slices(replace(options, last=split - timedelta(days=1)), count)
    return big + short


def plan(
    agents: Sequence[Agent], weights: dict[str, float], options: LandingOptions, processes: int
) -> list[tuple[list[Agent], LandingOptions]]:
    """The tasks of a landing in ``processes`` processes: (agents, range), heaviest first.

    With as many listings as processes or more, the agents are dealt out (:func:`deal`) over the
    whole range. With fewer, each listing gets its share of the processes in proportion to its
    weight (one at least) and its range is cut into that many big day slices and as many short
    ones (:func:`queued_slices`); the tasks are a work queue, heaviest first (a slice weighs its
    listing's weight times its share of the days).

    Examples:
        >>> from datetime import date, datetime
        >>> options = LandingOptions(date(2026, 6, 1), date(2026, 6, 4), datetime(2026, 7, 1), 0.5, 16)
        >>> tasks = plan([Agent("a", "A"), Agent("b", "B")], {"a": 3.0, "b": 1.0}, options, 4)
        >>> [(group[0].id, o.first.day, o.last.day) for group, o in tasks]
        [('a', 3, 4), ('b', 1, 4), ('a', 2, 2), ('a', 1, 1)]
    """
    units = listing_units(agents)
    if len(units) >= processes:
        return [(group, options) for group in deal(agents, weights, processes)]
    load = [max(weights[a.id] for a in unit) for unit in units]
    days = (options.last - options.first).days + 1
    shares = [1] * len(units)
    for _ in range(processes - len(units)):
        busiest = max(range(len(units)), key=lambda i: load[i] / shares[i])
        shares[busiest] += 1
    tasks = [
        (load[i] * ((part.last - part.first).days + 1) / days, unit, part)
        for i, unit in enumerate(units)
        for part in queued_slices(options, shares[i])
    ]
    tasks.sort(key=lambda task: -task[0])
    return [(unit, part) for _, unit, part in tasks]


@dataclass(frozen=True)
class GroupTask:
    """The landing of a group of agents, run in a worker process with a source of its own."""

    settings: ApiSettings
    api_version: str
    switches: RetrySwitches
    store: ParquetStore
    agents: list[Agent]
    options: LandingOptions
    hints: dict[str, Any]
    """What the calling process's source learnt (:meth:`Source.hints`), so the worker's need not."""


def land_group_task(task: GroupTask, emit: Emit) -> LandingReport:
    """In a worker process: land a group of agents side by side, with a source of its own."""
    task.switches.apply()
    with open_source(task.settings, task.api_version) as source:
        source.take_hints(task.hints)
        report = land_groups(source, task.store, task.agents, [], task.options, emit)
        report.api_requests, report.api_retries = source.requests, source.retries
    return report


class _NoPandas(importlib.abc.MetaPathFinder):
    """Refuses to import pandas (see :func:`answer_pandas_probe`)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"{fullname} is not imported by a landing worker", name=fullname)


def answer_pandas_probe() -> None:
    """In a worker: have pyarrow take pandas as absent, unless it is imported already.

    The first ``pa.array`` of a process imports pandas (a quarter of a second of CPU) to check
    whether its argument is a pandas object; a landing worker never converts one. pyarrow asks
    once and remembers the answer; pandas itself stays importable, and pyarrow's conversions to
    and from pandas (``to_pandas``, ``from_pandas``) import it when called.
    """
    if "pandas" in sys.modules:
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(finder)


def land_in_processes(
    source: Source,
    settings: ApiSettings,
    store: ParquetStore,
    agents: Sequence[Agent],
    options: LandingOptions,
    processes: int,
    progress: ProgressCallback | None,
) -> LandingReport:
    """Share the agents (or their days, see :func:`plan`) out between up to ``processes`` tasks.

    ``progress`` is called on the calling thread for each day of each task written.
    """
    planned = plan(agents, weigh(source, agents, options), options, processes)
    on_progress = counted(progress, sum(part.days(group) for group, part in planned))
    switches = RetrySwitches.current()
    hints = source.hints()
    tasks = [
        GroupTask(settings, source.api_version, switches, store, group, part, hints)
        for group, part in planned
    ]
    workers = min(processes, len(tasks)) - 1
    reports = run_in_processes(
        land_group_task,
        tasks,
        processes=workers,
        on_progress=on_progress,
        here=True,
        setup=answer_pandas_probe,
    )
    logger.info(
        "landed %d agents in %d tasks over %d processes (this one and %d workers): %s",
        len(agents),
        len(planned),
        workers + 1,
        workers,
        "; ".join(f"{', '.join(a.name for a in g)} {p.first}..{p.last}" for g, p in planned),
    )
    return merge_reports(agents, reports)


def weigh(source: Source, agents: Sequence[Agent], options: LandingOptions) -> dict[str, float]:
    """Each agent's expected bytes in the landing's range, the listings weighed side by side.

    Agents listed together share one listing, so one of them is weighed and the weight is theirs.
    """
    since, until = day_bounds(options.first, options.last)
    units = listing_units(agents)
    with ThreadPoolExecutor(
        max_workers=min(len(units), options.width), thread_name_prefix="llamacloud-size"
    ) as pool:
        sizes = list(pool.map(lambda unit: source.weigh(unit[0], since, until), units))
    return {agent.id: size for unit, size in zip(units, sizes, strict=True) for agent in unit}
