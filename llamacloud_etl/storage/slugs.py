"""Path-safe, stable names for agents: the ``<agent-slug>`` folder under ``agents/``."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from llamacloud_etl.errors import ConfigurationError, InvalidIdError
from llamacloud_etl.models import validate_id

NAME_MAX_LENGTH = 48
"""Longest name part of a slug; the whole slug is at most 48 + 1 + 8 = 57 characters."""

EMPTY_NAME = "agent"
"""Name part used when an agent's name has no ASCII letter or digit."""

_SLUG = re.compile(r"(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<short_id>[0-9a-f]{8})")


def short_id(agent_id: str) -> str:
    """The 8 hex digits that end an agent's slug: from its ID, whatever the API's ID shape.

    A v1 agent's ID is a UUID: its first 8 hex digits (so v1 folders keep the names they always had).
    Any other ID (a v2 configuration ``cfg-…``, an inline-schema group ``inline-…``, opaque strings
    of any characters) gives the first 8 hex digits of the SHA-256 of the ID: path-safe whatever the
    ID holds, and as unlikely to collide as two UUID prefixes (:func:`check_slugs` catches it if so).

    Examples:
        >>> short_id("C47A1E90-4a3b-4c1d-9e2f-0123456789ab")
        'c47a1e90'
        >>> short_id("cfg-k2m9x4q7w1z8c5v3b6n0d2f4g7h1")
        'd1ccf593'
    """
    try:
        return validate_id(agent_id, "agent")[:8]
    except InvalidIdError:
        return hashlib.sha256(agent_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def check_slugs(agents: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each agent's slug by ID, for ``(name, id)`` pairs; two agents may not share a folder.

    Raises:
        ConfigurationError: two different agents would write to one folder.

    Examples:
        >>> check_slugs([("Invoices", "cfg-1"), ("Invoices", "cfg-2")])
        {'cfg-1': 'invoices-bc59f3e4', 'cfg-2': 'invoices-0c67e767'}
    """
    slugs: dict[str, str] = {}
    owners: dict[str, str] = {}
    for name, agent_id in agents:
        slug = agent_slug(name, agent_id)
        other = owners.setdefault(slug, agent_id)
        if other != agent_id:
            raise ConfigurationError(
                f"agents {other!r} and {agent_id!r} would share the folder agents/{slug}; "
                "land them separately (LLAMACLOUD_ETL_AGENTS) or rename one"
            )
        slugs[agent_id] = slug
    return slugs


def agent_slug(name: str, agent_id: str) -> str:
    """The folder name of an agent: its name made path-safe, a dash, and 8 hex digits of its ID.

    Rules, applied in order:

    1. The name is decomposed (Unicode NFKD) and every non-ASCII character is dropped, so
       accents fall off their letters ("Café" -> "cafe") and scripts without an ASCII form vanish.
    2. It is lower-cased, and every run of characters other than ``a-z`` and ``0-9`` becomes one
       ``-``; leading and trailing dashes are stripped.
    3. It is cut to :data:`NAME_MAX_LENGTH` characters (and stripped of a dash the cut exposes).
    4. An empty result becomes ``"agent"``.
    5. ``-`` and the agent's :func:`short_id` are appended, **always**: two agents
       with the same name get different folders, and an agent's folder never changes when another
       agent with the same name appears.

    The slug depends only on the name and the ID, so renaming an agent in LlamaCloud starts a new
    folder; the old one keeps the days landed under the old name.

    Args:
        name: the agent's display name.
        agent_id: the agent's ID (a UUID for v1, any string for v2).

    Returns:
        A lower-case slug matching ``[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}``.

    Examples:
        >>> agent_slug("Invoices (EU)", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        'invoices-eu-c47a1e90'
        >>> agent_slug("請求書", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        'agent-c47a1e90'
        >>> agent_slug("Invoices", "cfg-k2m9x4q7w1z8c5v3b6n0d2f4g7h1")
        'invoices-d1ccf593'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    base = base[:NAME_MAX_LENGTH].rstrip("-") or EMPTY_NAME
    return f"{base}-{short_id(agent_id)}"


def split_slug(slug: str) -> tuple[str, str]:
    """Split a slug made by :func:`agent_slug` into its name part and its 8-hex ID part.

    Raises:
        ValueError: ``slug`` does not have the shape :func:`agent_slug` gives.

    Examples:
        >>> split_slug("invoices-eu-c47a1e90")
        ('invoices-eu', 'c47a1e90')
    """
    match = _SLUG.fullmatch(slug)
    if match is None:
        raise ValueError(f"{slug!r} is not an agent slug (name-part-<8 hex digits>)")
    return match["name"], match["short_id"]


def slug_of_agent(slug: str, agent_id: str) -> bool:
    """Whether an agent folder's slug belongs to the agent: its ID part is the agent's :func:`short_id`.

    An agent renamed since keeps its ID part, so the folders of its earlier names are found too.

    Examples:
        >>> slug_of_agent("invoices-old-c47a1e90", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        True
        >>> slug_of_agent("not a slug", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        False
    """
    try:
        return split_slug(slug)[1] == short_id(agent_id)
    except ValueError:
        return False
