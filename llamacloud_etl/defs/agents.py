"""One asset per agent, from the cached agent list, the way Dagster's integrations load external state.

Dagster's Fivetran, Airbyte and dbt Cloud integrations build their assets from state fetched
from the external system, through a ``StateBackedDefinitionsLoader`` (``fetch_state`` asks the
system, ``defs_from_state`` builds the assets, and the state is pinned in the definitions'
reconstruction metadata) or a ``StateBackedComponent`` whose state is a local file refreshed
apart, by ``dg utils refresh-defs-state``, so that loading never calls the API.

:class:`AgentStateLoader` does both: it is a ``StateBackedDefinitionsLoader`` whose
``fetch_state`` reads the local agent file (:mod:`llamacloud_etl.agent_state`, written by
``llamacloud-etl agents refresh``), never the API. ``dagster dev`` and a code server start
offline; a run worker rebuilds the definitions from the state the code server pinned, not from
a file refreshed since, so a run never meets assets its launcher did not have.
"""

import warnings
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from dagster._core.definitions.definitions_load_context import StateBackedDefinitionsLoader

from llamacloud_etl.agent_state import AgentState, read_agent_state

DEFS_KEY = "llamacloud_etl/agents"
"""The reconstruction metadata key of the pinned agent state (one per code location)."""


class AgentStateLoader(StateBackedDefinitionsLoader[str]):
    """Build the definitions from the cached agent state (the file's JSON text; empty: no state).

    Args:
        path: The agent state file.
        build: Builds the definitions from the state, or from None when there is none.
    """

    def __init__(self, path: Path, build: Callable[[AgentState | None], dg.Definitions]) -> None:
        self.path = path
        self.build = build

    @property
    def defs_key(self) -> str:
        """The key the state is pinned under."""
        return DEFS_KEY

    def build_defs(self) -> dg.Definitions:
        """The definitions, with the state pinned in their reconstruction metadata."""
        with warnings.catch_warnings():
            # Pinning goes through Definitions.with_reconstruction_metadata, a preview API that
            # Dagster's own loaders use the same way; its warning says nothing a user can act on.
            warnings.filterwarnings("ignore", category=dg.PreviewWarning)
            return super().build_defs()

    def fetch_state(self) -> str:
        """The cached state as text: read from the local file, never from the API."""
        state = read_agent_state(self.path)
        return "" if state is None else state.to_json()

    def defs_from_state(self, state: str) -> dg.Definitions:
        """The definitions of ``state``; those without per-agent assets when it is empty."""
        return self.build(AgentState.from_json(state) if state else None)
