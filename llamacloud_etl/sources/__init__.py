"""Sources: each API version behind one interface, in the product's nouns.

    base   the :class:`Source` protocol a landing needs of an API, :func:`select_agents`
    v1     the v1 runs API (``/api/v1/extraction``): agents, runs, offset paging
    chosen a source narrowed to chosen agents (:class:`ChosenAgents`, a deployment's agents)

:func:`open_source` builds the source of an API version from :class:`~llamacloud_etl.settings.ApiSettings`.
"""

from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.settings import ApiSettings
from llamacloud_etl.sources.base import Fetched, Source, select_agents
from llamacloud_etl.sources.v1 import V1Source

API_VERSIONS = ("v1",)


def open_source(settings: ApiSettings, api_version: str = "v1") -> Source:
    """A new source for ``api_version`` with a client of its own; the caller closes it.

    Raises:
        ConfigurationError: an unknown API version, or settings that cannot work.
    """
    check_api_version(api_version)
    return V1Source.connect(settings)  # the one version so far: v2 gets a branch here


def check_api_version(api_version: str) -> str:
    """``api_version`` itself, if a source exists for it.

    Raises:
        ConfigurationError: an unknown version, naming those that exist.
    """
    if api_version not in API_VERSIONS:
        raise ConfigurationError(
            f"unknown API version {api_version!r}: expected one of {', '.join(API_VERSIONS)}"
        )
    return api_version


__all__ = [
    "API_VERSIONS",
    "Fetched",
    "Source",
    "V1Source",
    "check_api_version",
    "open_source",
    "select_agents",
]
