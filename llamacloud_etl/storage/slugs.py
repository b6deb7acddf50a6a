"""Path-safe, stable names for agents: the ``<agent-slug>`` folder under ``agents/``."""

from __future__ import annotations

import re
import unicodedata

from llamacloud_etl.models import validate_id

NAME_MAX_LENGTH = 48
"""Longest name part of a slug; the whole slug is at most 48 + 1 + 8 = 57 characters."""

EMPTY_NAME = "agent"
"""Name part used when an agent's name has no ASCII letter or digit."""

_SLUG = re.compile(r"(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<short_id>[0-9a-f]{8})")


def agent_slug(name: str, agent_id: str) -> str:
    """The folder name of an agent: its name made path-safe, a dash, and the first 8 hex digits of its ID.

    Rules, applied in order:

    1. The name is decomposed (Unicode NFKD) and every non-ASCII character is dropped, so
       accents fall off their letters ("Café" -> "cafe") and scripts without an ASCII form vanish.
    2. It is lower-cased, and every run of characters other than ``a-z`` and ``0-9`` becomes one
       ``-``; leading and trailing dashes are stripped.
    3. It is cut to :data:`NAME_MAX_LENGTH` characters (and stripped of a dash the cut exposes).
    4. An empty result becomes ``"agent"``.
    5. ``-`` and the first 8 hex digits of the agent's ID are appended, **always**: two agents
       with the same name get different folders, and an agent's folder never changes when another
       agent with the same name appears.

    The slug depends only on the name and the ID, so renaming an agent in LlamaCloud starts a new
    folder; the old one keeps the days landed under the old name.

    Args:
        name: the agent's display name.
        agent_id: the agent's ID, a canonical UUID.

    Returns:
        A lower-case slug matching ``[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}``.

    Raises:
        InvalidIdError: ``agent_id`` is not a canonical UUID.

    Examples:
        >>> agent_slug("Invoices (EU)", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        'invoices-eu-c47a1e90'
        >>> agent_slug("請求書", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        'agent-c47a1e90'
    """
    short_id = validate_id(agent_id, "agent")[:8]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    base = base[:NAME_MAX_LENGTH].rstrip("-") or EMPTY_NAME
    return f"{base}-{short_id}"


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
    """Whether an agent folder's slug belongs to the agent: its ID part is the ID's first 8 hex digits.

    An agent renamed since keeps its ID part, so the folders of its earlier names are found too.

    Examples:
        >>> slug_of_agent("invoices-old-c47a1e90", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        True
        >>> slug_of_agent("not a slug", "c47a1e90-4a3b-4c1d-9e2f-0123456789ab")
        False
    """
    try:
        return split_slug(slug)[1] == agent_id.replace("-", "")[:8]
    except ValueError:
        return False
