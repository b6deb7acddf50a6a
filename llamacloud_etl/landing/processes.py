"""Agents shared out between processes: weighed, dealt heaviest first, landed side by side.

Agents write disjoint files (their own tables, and their own part of each shared table's day),
so their landings are independent, as groups of agents are in one process. Each group gets about
the same expected work: agents are weighed by the size of their listing (one small request each)
and dealt out heaviest first, each to the lightest group so far. The heaviest group lands in the
calling process, which has everything imported and would otherwise only wait; each other group
gets a spawned worker process (:mod:`llamacloud_etl.landing.fanout`) with a source of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from llamacloud_etl.client import RetrySwitches
from llamacloud_etl.landing.fanout import Emit, run_in_processes
from llamacloud_etl.landing.group import LandingOptions, ProgressCallback, counted, land_groups
from llamacloud_etl.landing.report import LandingReport, merge_reports
from llamacloud_etl.run import Agent
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


@dataclass(frozen=True)
class GroupTask:
    """The landing of a group of agents, run in a worker process with a source of its own."""

    settings: ApiSettings
    api_version: str
    switches: RetrySwitches
    store: ParquetStore
    agents: list[Agent]
    options: LandingOptions


def land_group_task(task: GroupTask, emit: Emit) -> LandingReport:
    """In a worker process: land a group of agents side by side, with a source of its own."""
    task.switches.apply()
    with open_source(task.settings, task.api_version) as source:
        report = land_groups(source, task.store, task.agents, [], task.options, emit)
        report.api_requests, report.api_retries = source.requests, source.retries
    return report


def land_in_processes(
    source: Source,
    settings: ApiSettings,
    store: ParquetStore,
    agents: Sequence[Agent],
    options: LandingOptions,
    processes: int,
    progress: ProgressCallback | None,
) -> LandingReport:
    """Share the agents out between up to ``processes`` groups, and land them side by side.

    ``progress`` is called on the calling thread for each day of each group written.
    """
    groups = deal(agents, weigh(source, agents, options.width), processes)
    on_progress = counted(progress, sum(options.days(g) for g in groups))
    switches = RetrySwitches.current()
    tasks = [GroupTask(settings, source.api_version, switches, store, group, options) for group in groups]
    reports = run_in_processes(
        land_group_task, tasks, processes=len(tasks) - 1, on_progress=on_progress, here=True
    )
    logger.info(
        "landed %d agents in %d processes (this one and %d workers): %s",
        len(agents),
        len(groups),
        len(groups) - 1,
        "; ".join(", ".join(a.name for a in g) for g in groups),
    )
    return merge_reports(agents, reports)


def weigh(source: Source, agents: Sequence[Agent], width: int) -> dict[str, float]:
    """Each agent's expected listing size, the agents weighed side by side."""
    with ThreadPoolExecutor(
        max_workers=min(len(agents), width), thread_name_prefix="llamacloud-size"
    ) as pool:
        sizes = list(pool.map(source.weigh, agents))
    return {agent.id: size for agent, size in zip(agents, sizes, strict=True)}
