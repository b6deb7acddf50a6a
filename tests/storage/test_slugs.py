"""Agent slugs: the path-safe, stable folder names under ``agents/``."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llamacloud_etl.errors import InvalidIdError
from llamacloud_etl.storage import agent_slug, split_slug
from llamacloud_etl.storage.slugs import NAME_MAX_LENGTH

from .helpers import AGENT_ID, OTHER_AGENT_ID

SLUG_SHAPE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8}")


@pytest.mark.parametrize(
    ("name", "agent_id", "expected"),
    [
        pytest.param("Invoices (EU)", AGENT_ID, "invoices-eu-c47a1e90", id="punctuation-and-case"),
        pytest.param("invoices", AGENT_ID, "invoices-c47a1e90", id="plain"),
        pytest.param("Café Reçus", AGENT_ID, "cafe-recus-c47a1e90", id="accents-folded"),
        pytest.param("請求書", AGENT_ID, "agent-c47a1e90", id="non-ascii-only"),
        pytest.param("", AGENT_ID, "agent-c47a1e90", id="empty"),
        pytest.param("  --__  ", AGENT_ID, "agent-c47a1e90", id="separators-only"),
        pytest.param("🧾 Receipts 2024", AGENT_ID, "receipts-2024-c47a1e90", id="emoji-dropped"),
        pytest.param("a/b\\c..d", AGENT_ID, "a-b-c-d-c47a1e90", id="path-characters"),
        pytest.param("x" * 100, AGENT_ID, "x" * NAME_MAX_LENGTH + "-c47a1e90", id="length-capped"),
        pytest.param("y" * 47 + " z", AGENT_ID, "y" * 47 + "-c47a1e90", id="cut-exposes-dash"),
        pytest.param("Invoices", AGENT_ID.upper(), "invoices-c47a1e90", id="upper-case-id"),
        pytest.param("Invoices", OTHER_AGENT_ID, "invoices-00aa11bb", id="other-id"),
    ],
)
def test_agent_slug_rules(name, agent_id, expected):
    """A name and an ID give the slug the documented rules say."""
    assert agent_slug(name, agent_id) == expected


def test_same_name_different_agents_get_different_slugs():
    """Two agents with the same name are told apart by their ID suffix."""
    assert agent_slug("Invoices", AGENT_ID) != agent_slug("Invoices", OTHER_AGENT_ID)


@pytest.mark.parametrize(
    "agent_id",
    [
        pytest.param("not-a-uuid", id="not-uuid"),
        pytest.param("../../etc/passwd", id="path"),
        pytest.param("", id="empty"),
        pytest.param("c47a1e904a3b4c1d9e2f0123456789ab", id="no-dashes"),
    ],
)
def test_agent_slug_rejects_malformed_ids(agent_id):
    """An agent ID that is not a canonical UUID raises InvalidIdError."""
    with pytest.raises(InvalidIdError):
        agent_slug("Invoices", agent_id)


@given(name=st.text(max_size=200))
def test_any_name_gives_a_path_safe_slug(name):
    """Every name gives a lower-case, path-safe slug of bounded length that splits back into its parts."""
    slug = agent_slug(name, AGENT_ID)
    assert SLUG_SHAPE.fullmatch(slug)
    assert len(slug) <= NAME_MAX_LENGTH + 9
    assert split_slug(slug)[1] == "c47a1e90"


def test_split_slug_returns_name_part_and_short_id():
    """A slug splits into the name part and the 8 hex digits of the ID."""
    assert split_slug("invoices-eu-c47a1e90") == ("invoices-eu", "c47a1e90")


@pytest.mark.parametrize("text", ["invoices", "invoices-eu", "Invoices-c47a1e90", "x-c47a1e9"])
def test_split_slug_rejects_other_names(text):
    """A folder name that is not a slug raises ValueError."""
    with pytest.raises(ValueError, match="not an agent slug"):
        split_slug(text)
