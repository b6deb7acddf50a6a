"""A wire-faithful fake of the LlamaCloud extraction API, for the demo, integration tests and benchmarks.

Three layers, each usable alone:

* :func:`build_dataset` makes a deterministic history of agents, runs and jobs (a pure function of its
  seed); the :class:`Dataset` it returns is the ground truth tests compare against.
* :class:`EmulatorApp` is a WSGI app serving that data set with the API's pagination, error bodies and
  auth, plus fault knobs (latency, random and scripted faults) and mutators for tests. Mount it
  in-process with ``httpx.WSGITransport(app=app)``; there a ``"drop"`` fault raises the emulator's own
  :class:`DropConnection`.
* :class:`EmulatorServer` runs an app on a loopback port (HTTP/1.1 keep-alive) in a background thread;
  :func:`serve_forever` does the same in the foreground, for the ``llamacloud-etl emulator`` command.

Modules, one job each:

* :mod:`.dataset`: the seeded data set generator (:func:`build_dataset`, :class:`Dataset`), split
  between v1 runs and v2 jobs at its ``v2_from`` cutover.
* :mod:`.runs`: one generated run: its wire record, its result or its error text.
* :mod:`.agents`: the agent specs (ids, configs, weights); :mod:`.schemas`: their data schemas;
  :mod:`.records`: their record generators (a run's ``data``); :mod:`.metadata`: a result's
  ``extraction_metadata``.
* :mod:`.wire`: the wire format: JSON encoding, timestamps, agent, file and job objects.
* :mod:`.state`: the agents, runs and jobs being served, and the mutators that change them.
* :mod:`.v1`: the v1 endpoints' handlers and route table over the state; :mod:`.v2` the same for the
  v2 extract jobs and the saved configurations, whose wire objects are built in :mod:`.v2wire` and
  stored, with their mutators, in :mod:`.v2state` (``state.v2``).
* :mod:`.routing`: the router, path and query parameter checks, and the response handlers return.
* :mod:`.faults`: injected faults: fault kinds, scripted and seeded draws, :class:`DropConnection`.
* :mod:`.app`: :class:`EmulatorApp`, the WSGI pipeline (faults, latency, routing, auth, handler) and
  the request log.
* :mod:`.server`: :class:`EmulatorServer`, the loopback HTTP server; ``__main__``: ``python -m``.

Examples:
    >>> import httpx
    >>> from llamacloud_etl.emulator import EmulatorApp, EmulatorServer, build_dataset
    >>> dataset = build_dataset(100, seed=7)
    >>> with EmulatorServer(EmulatorApp(dataset)) as server:
    ...     page = httpx.get(
    ...         f"{server.url}/api/v1/extraction/runs",
    ...         params={"extraction_agent_id": dataset.agents[0]["id"], "limit": 5},
    ...         headers={"Authorization": "Bearer llx-emulator-key"},
    ...     ).json()
    >>> page["total"] == len(dataset.runs_for_agent(dataset.agents[0]["id"]))
    True
"""

from llamacloud_etl.emulator.agents import AGENT_SPECS, ORGANIZATION_ID, PROJECT_ID, AgentSpec
from llamacloud_etl.emulator.app import DEFAULT_API_KEY, EmulatorApp, RequestRecord
from llamacloud_etl.emulator.dataset import (
    DEFAULT_DAYS,
    DEFAULT_NUM_RUNS,
    DEFAULT_START,
    DEFAULT_V2_INLINE_AGENTS,
    Dataset,
    build_dataset,
)
from llamacloud_etl.emulator.faults import DEFAULT_FAULTS, DropConnection, FaultSpec
from llamacloud_etl.emulator.runs import RunFacts
from llamacloud_etl.emulator.server import EmulatorServer, serve_forever
from llamacloud_etl.emulator.wire import dumps

__all__ = [
    "AGENT_SPECS",
    "DEFAULT_API_KEY",
    "DEFAULT_DAYS",
    "DEFAULT_FAULTS",
    "DEFAULT_NUM_RUNS",
    "DEFAULT_START",
    "DEFAULT_V2_INLINE_AGENTS",
    "ORGANIZATION_ID",
    "PROJECT_ID",
    "AgentSpec",
    "Dataset",
    "DropConnection",
    "EmulatorApp",
    "EmulatorServer",
    "FaultSpec",
    "RequestRecord",
    "RunFacts",
    "build_dataset",
    "dumps",
    "serve_forever",
]
