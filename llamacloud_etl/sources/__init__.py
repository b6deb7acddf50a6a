"""Sources: each API version behind one interface, in the product's nouns.

    base   the :class:`Source` protocol a landing needs of an API, :func:`select_agents`
    v1     the v1 runs API (``/api/v1/extraction``): agents, runs, offset paging
    both   v1 and v2 as one source (:class:`BothSources`)
    chosen a source narrowed to chosen agents (:class:`ChosenAgents`, a deployment's agents)

:func:`open_source` builds the source of an API version from :class:`~llamacloud_etl.settings.ApiSettings`.
"""

from llamacloud_etl.settings import API_VERSIONS, ApiSettings, check_api_version
from llamacloud_etl.sources.base import Fetched, Source, select_agents
from llamacloud_etl.sources.both import BothSources
from llamacloud_etl.sources.v1 import V1Source


def open_source(settings: ApiSettings, api_version: str = "v1") -> Source:
    """A new source for ``api_version`` (one of ``API_VERSIONS``); the caller closes it.

    Raises:
        ConfigurationError: an unknown API version, or settings that cannot work.
    """
    check_api_version(api_version)
    if api_version == "v1":
        return V1Source.connect(settings)
    raise NotImplementedError(api_version)


__all__ = [
    "API_VERSIONS",
    "BothSources",
    "Fetched",
    "Source",
    "V1Source",
    "check_api_version",
    "open_source",
    "select_agents",
]
