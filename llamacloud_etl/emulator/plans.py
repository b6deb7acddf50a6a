"""Run plans: what each run of the seeded history will be, drawn before any JSON is generated.

A plan is cheap (an index, an agent, a time, an outcome), so a lazy data set keeps only these and
the emulator generates each run's JSON from its own seed when it is served (:mod:`.dataset`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from llamacloud_etl.emulator.agents import AGENT_SPECS, AgentSpec
from llamacloud_etl.emulator.wire import ms
from llamacloud_etl.models import ExtractState

_SPEC_IDS = tuple(spec.id for spec in AGENT_SPECS)

# Only runs this close to the end of the history may still be unfinished.
_UNFINISHED_WINDOW = timedelta(hours=36)


@dataclass(slots=True)
class RunPlan:
    """What a run will be, drawn before it is generated: its index (its seed), agent, time, outcome."""

    index: int
    spec: AgentSpec
    created: datetime
    status: str = ExtractState.SUCCESS.value
    cancelled: bool = False
    partial: bool = False


def _created_at(rng: random.Random, start: datetime, days: int) -> datetime:
    """A creation time: a random day, mostly in business hours (UTC), with milliseconds."""
    day = rng.randrange(days)
    seconds = rng.uniform(7 * 3600, 19 * 3600) if rng.random() < 0.8 else rng.uniform(0, 24 * 3600)
    return start + timedelta(days=day) + ms(seconds)


def plan_runs(
    num_runs: int, seed: int, start: datetime, days: int, agent_weights: Mapping[str, float] | None = None
) -> list[RunPlan]:
    """Every run's plan, oldest first; run ``i`` depends only on the seed and ``i`` (and the weights)."""
    weights = _weights(agent_weights)
    weighted = [spec for spec, weight in zip(AGENT_SPECS, weights, strict=True) if weight > 0]
    end = start + timedelta(days=days)
    plans: list[RunPlan] = []
    for i in range(num_runs):
        rng = random.Random(f"llamacloud-emulator/{seed}/plan/{i}")
        # The first runs go to each weighted agent in turn so that even a tiny data set covers them all.
        spec = weighted[i] if i < len(weighted) else rng.choices(AGENT_SPECS, weights=weights)[0]
        plan = RunPlan(index=i, spec=spec, created=_created_at(rng, start, days))
        if plan.created >= end - _UNFINISHED_WINDOW and rng.random() < 0.45:
            plan.status = ExtractState.CREATED.value if rng.random() < 0.4 else ExtractState.PENDING.value
        elif rng.random() < 0.07:
            plan.status = ExtractState.ERROR.value
            plan.cancelled = rng.random() < 0.15
        elif spec.target == "PER_DOC" and rng.random() < 0.04:
            plan.partial = True
        plans.append(plan)
    plans.sort(key=lambda p: (p.created, p.index))
    if num_runs >= 8:
        _ensure_status(plans, ExtractState.PENDING.value, newest=True)
        _ensure_status(plans, ExtractState.CREATED.value, newest=True)
        _ensure_status(plans, ExtractState.ERROR.value, newest=False)
    return plans


def _weights(agent_weights: Mapping[str, float] | None) -> list[float]:
    """Each listed agent's weight, in the order of ``AGENT_SPECS``: its own, or the one given."""
    if agent_weights is None:
        return [spec.weight for spec in AGENT_SPECS]
    weights = [float(agent_weights.get(spec.id, 0.0)) for spec in AGENT_SPECS]
    unknown = set(agent_weights) - set(_SPEC_IDS)
    if unknown or min(weights) < 0 or max(weights) <= 0:
        raise ValueError("agent_weights must give listed agents' ids weights >= 0, one of them positive")
    return weights


def _ensure_status(plans: list[RunPlan], status: str, *, newest: bool) -> None:
    """Give ``status`` to one plain SUCCESS run if no run has it (the newest one, or the oldest)."""
    if any(p.status == status for p in plans):
        return
    ordered = reversed(plans) if newest else iter(plans)
    for plan in ordered:
        if plan.status == ExtractState.SUCCESS.value and not plan.partial:
            plan.status = status
            return
