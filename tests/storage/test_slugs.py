"""Agent slugs: the path-safe, stable folder names under ``agents/``."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.storage import agent_slug, check_slugs, short_id, split_slug
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


@given(agent_id=st.text(min_size=1, max_size=200))
def test_any_id_gives_a_path_safe_slug(agent_id):
    """Any agent ID (v2 IDs are opaque strings, even ``../x``) gives a slug of the documented shape."""
    slug = agent_slug("Invoices", agent_id)
    assert SLUG_SHAPE.fullmatch(slug)
    assert split_slug(slug)[1] == short_id(agent_id)


def test_v1_uuid_keeps_its_prefix_as_short_id():
    """A v1 agent's folder keeps the first 8 hex digits of its UUID, as before v2 existed."""
    assert short_id(AGENT_ID) == AGENT_ID[:8]


@given(
    st.lists(st.text(min_size=1, max_size=40).map(lambda t: "cfg-" + t), min_size=2, max_size=30, unique=True)
)
def test_opaque_ids_get_distinct_short_ids(agent_ids):
    """Distinct v2 configuration IDs get distinct short IDs (a hash, not a prefix they may share)."""
    assert len({short_id(a) for a in agent_ids}) == len(agent_ids)


def test_check_slugs_refuses_two_agents_in_one_folder():
    """Two agents whose name and short ID agree would share a folder: a configuration error."""
    twin = AGENT_ID[:8] + "-0000-4000-8000-000000000000"
    with pytest.raises(ConfigurationError, match="would share the folder agents/invoices-c47a1e90"):
        check_slugs([("Invoices", AGENT_ID), ("Invoices", twin)])


def test_check_slugs_gives_each_agent_its_slug():
    """Agents in separate folders get their slugs by ID."""
    assert check_slugs([("Invoices", AGENT_ID), ("Invoices", "cfg-1")]) == {
        AGENT_ID: "invoices-c47a1e90",
        "cfg-1": agent_slug("Invoices", "cfg-1"),
    }


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
