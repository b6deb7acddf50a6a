"""The asset keys of the landing, and the key of each agent's asset."""

import dagster as dg

from llamacloud_etl.run import Agent
from llamacloud_etl.storage import agent_slug

API_KEY = dg.AssetKey(["llamacloud", "extraction_api"])
RUNS_KEY = dg.AssetKey(["llamacloud", "runs"])
FIELD_METADATA_KEY = dg.AssetKey(["llamacloud", "field_metadata"])
RECORDS_KEY = dg.AssetKey(["llamacloud", "records"])
GROUP = "llamacloud"


def agent_key(agent: Agent) -> dg.AssetKey:
    """``llamacloud/<slug>/records``: the agent's folder name, so the key reads like the path on disk.

    Examples:
        >>> agent_key(Agent("c47a1e90-0000-4000-8000-000000000000", "Invoices EU")).to_user_string()
        'llamacloud/invoices-eu-c47a1e90/records'
    """
    return dg.AssetKey(["llamacloud", agent_slug(agent.name, agent.id), "records"])
