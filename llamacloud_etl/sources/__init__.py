"""Sources: each API version behind one interface, in the product's nouns.

    base   the :class:`Source` protocol a landing needs of an API, :func:`select_agents`
    v1     the v1 runs API (``/api/v1/extraction``): agents, runs, offset paging
    v2     the v2 extract API (``/api/v2/extract``): configurations, jobs, cursor paging, date filters
    both   v1 and v2 as one source (:class:`BothSources`)
    backed what the sources built on an HTTP client share (ClientBacked)
    chosen a source narrowed to chosen agents (:class:`ChosenAgents`, a deployment's agents)

:func:`open_source` builds the source of an API version from :class:`~llamacloud_etl.settings.ApiSettings`.
"""

from llamacloud_etl.settings import API_VERSIONS, ApiSettings, check_api_version
from llamacloud_etl.sources.base import Fetched, Source, select_agents
from llamacloud_etl.sources.both import BothSources
from llamacloud_etl.sources.v1 import V1Source
from llamacloud_etl.sources.v2 import V2Source


def open_source(settings: ApiSettings, api_version: str = "v1") -> Source:
    """A new source for ``api_version`` (one of ``API_VERSIONS``); the caller closes it.

    Raises:
        ConfigurationError: an unknown API version, or settings that cannot work.
    """
    check_api_version(api_version)
    if api_version == "v1":
        return V1Source.connect(settings)
    if api_version == "v2":
        return V2Source.connect(settings)
    v1 = V1Source.connect(settings)
    try:
        return BothSources(v1, V2Source.connect(settings))
    except BaseException:
        v1.close()
        raise


__all__ = [
    "API_VERSIONS",
    "BothSources",
    "Fetched",
    "Source",
    "V1Source",
    "V2Source",
    "check_api_version",
    "open_source",
    "select_agents",
]
