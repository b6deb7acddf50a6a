"""Fetch contenders: every run of a list of ids, by id, against the emulator.

Each function runs in its own fresh process (see :mod:`benchmarks._child`); imports sit inside the
functions so that a process pays only for its own library.
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks._child import Probe, read_ids


def ours(probe: Probe, *, base_url: str, ids_path: str) -> dict[str, Any]:
    """``LlamaCloudClient.fetch_runs(ids)`` at its default concurrency; runs are parsed into models."""
    from llamacloud_etl.client import LlamaCloudClient

    ids = read_ids(ids_path)
    fetched = failed = 0
    with LlamaCloudClient(os.environ["LLAMA_CLOUD_API_KEY"], base_url) as client:
        with probe.timed():
            for outcome in client.fetch_runs(ids):
                if outcome.ok:
                    fetched += 1
                else:
                    failed += 1
        stats = client.stats
    return {
        "runs": fetched,
        "failed": failed,
        "concurrency": client.max_concurrency,
        "requests": stats.requests,
        "retries": stats.retries,
    }


def official_sdk(probe: Probe, *, base_url: str, ids_path: str) -> dict[str, Any]:
    """The official SDK (``llama_cloud`` 1.6.0): ``client.extraction.runs.get(run_id)``, one after another."""
    from llama_cloud import LlamaCloud

    ids = read_ids(ids_path)
    fetched = 0
    client = LlamaCloud(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=base_url)
    with client, probe.timed():
        for run_id in ids:
            run = client.extraction.runs.get(run_id)
            fetched += run.id == run_id
    return {"runs": fetched, "failed": len(ids) - fetched, "concurrency": 1}
