"""Sources: each API version behind one interface, in the product's nouns.

    base   the :class:`Source` protocol a landing needs of an API, :func:`select_agents`
    v1     the v1 runs API (``/api/v1/extraction``): agents, runs, offset paging

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
    if api_version == "v1":
        return V1Source.connect(settings)
    raise ConfigurationError(
        f"unknown API version {api_version!r}: expected one of {', '.join(API_VERSIONS)}"
    )


__all__ = ["API_VERSIONS", "Fetched", "Source", "V1Source", "open_source", "select_agents"]
