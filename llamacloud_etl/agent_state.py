"""The cached agent list: which agents exist, fetched once and kept in a local JSON file.

The Dagster definitions build one asset per agent from this file, so loading them (``dagster
dev``, a code server, a run worker) never calls the API. The file is written by
``llamacloud-etl agents refresh`` (:func:`refresh_agent_state`), as Dagster's own
integrations write their state with ``dg utils refresh-defs-state``; without it the definitions
load with the aggregate assets only.

The file holds agent IDs and names and when they were fetched, nothing else (no key, no URL)::

    {"version": 1, "fetched_at": "2026-12-03T09:00:00+00:00",
     "agents": [{"id": "c47a1e90-...", "name": "Invoices EU"}]}
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from llamacloud_etl.run import Agent
from llamacloud_etl.sources.base import Source, matches

STATE_FILE = "agents.json"
VERSION = 1

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentState:
    """The agents of the project when the state was fetched, sorted by name then ID."""

    agents: tuple[Agent, ...]
    fetched_at: str

    def to_json(self) -> str:
        """The state as the file holds it."""
        agents = [
            {"id": a.id, "name": a.name, "api_version": a.api_version, "listing": a.listing}
            for a in self.agents
        ]
        return json.dumps({"version": VERSION, "fetched_at": self.fetched_at, "agents": agents}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> AgentState:
        """The state a file holds.

        Raises:
            ValueError: not a state file of this version.
        """
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError(f"not an agent state file of version {VERSION}")
        agents = tuple(
            Agent(str(a["id"]), str(a["name"]), str(a.get("api_version", "v1")), a.get("listing"))
            for a in raw["agents"]
        )
        return cls(agents=agents, fetched_at=str(raw.get("fetched_at", "")))

    def select(self, allow: Collection[str]) -> list[Agent]:
        """The agents whose ID or name is in ``allow`` (all when empty), as a landing selects them.

        Unlike a landing, an entry that matches no cached agent is not an error: the cache may
        predate the agent, and the definitions must load anyway.
        """
        wanted = [entry.strip() for entry in allow if entry.strip()]
        if not wanted:
            return list(self.agents)
        return [a for a in self.agents if any(matches(a, entry) for entry in wanted)]


def state_path(state_dir: str | os.PathLike[str]) -> Path:
    """The agent state file in ``state_dir``."""
    return Path(state_dir) / STATE_FILE


def fetch_agent_state(source: Source) -> AgentState:
    """List the project's agents now (one API call)."""
    agents = sorted(source.list_agents(), key=lambda a: (a.name, a.id))
    return AgentState(agents=tuple(agents), fetched_at=datetime.now(UTC).isoformat(timespec="seconds"))


def write_agent_state(path: Path, state: AgentState) -> None:
    """Write ``state`` to ``path`` whole: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(state.to_json() + "\n", encoding="utf-8")
    os.replace(temp, path)


def read_agent_state(path: Path) -> AgentState | None:
    """The cached state; None when there is none, or when the file cannot be read (logged)."""
    try:
        return AgentState.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning(
            "Ignoring the agent state %s (%s): refresh it with `llamacloud-etl agents refresh`", path, exc
        )
        return None


def refresh_agent_state(source: Source, path: Path) -> AgentState:
    """Fetch the agents and write them to ``path``; the state written."""
    state = fetch_agent_state(source)
    write_agent_state(path, state)
    return state


def agents_or_none(agents: Sequence[Agent] | None) -> AgentState | None:
    """A state of ``agents`` given in code (the demo, tests), or None."""
    if agents is None:
        return None
    return AgentState(agents=tuple(sorted(agents, key=lambda a: (a.name, a.id))), fetched_at="")
