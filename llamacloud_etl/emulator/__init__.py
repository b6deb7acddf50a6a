"""A wire-faithful fake of the LlamaCloud extraction API, for the demo, integration tests and benchmarks.

Three layers, each usable alone:

* :func:`build_dataset` makes a deterministic history of agents, runs and jobs (a pure function of its
  seed); the :class:`Dataset` it returns is the ground truth tests compare against.
* :class:`EmulatorApp` is a WSGI app serving that data set with the API's pagination, error bodies and
  auth, plus fault knobs (latency, random and scripted faults) and mutators for tests. Mount it
  in-process with ``httpx.WSGITransport(app=app)``.
* :class:`EmulatorServer` runs an app on a loopback port (HTTP/1.1 keep-alive) in a background thread;
  :func:`serve_forever` does the same in the foreground, for the ``llamacloud-etl emulator`` command.

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
