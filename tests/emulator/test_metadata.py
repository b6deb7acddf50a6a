"""The generated extraction_metadata: field_metadata mirrors data, and leaves follow each run's flags."""

from __future__ import annotations

from llamacloud_etl.emulator import Dataset

from .helpers import citations, field_metadata_of, is_leaf, mirror_problems, succeeded, walk


def test_field_metadata_mirrors_data(full_dataset: Dataset) -> None:
    """For every SUCCESS run, field_metadata mirrors data: same keys, aligned lists, leaves at scalars."""
    for run in succeeded(full_dataset):
        meta = run["extraction_metadata"]["field_metadata"]
        if run["config"]["extraction_target"] == "PER_DOC":
            assert mirror_problems(run["data"], meta) == [], run["id"]
        else:
            assert isinstance(meta, list)
            assert len(meta) == len(run["data"])
            for item, item_meta in zip(run["data"], meta, strict=True):
                assert set(item_meta) == set(item)
                assert mirror_problems(item, item_meta) == [], run["id"]


def test_leaf_keys_follow_the_run_flags(full_dataset: Dataset) -> None:
    """Leaf keys follow the flags: citation with cite_sources, confidence with confidence_scores."""
    for run in succeeded(full_dataset):
        config = run["config"]
        for node in walk(run["extraction_metadata"]["field_metadata"]):
            if not is_leaf(node):
                continue
            assert ("citation" in node) == config["cite_sources"]
            assert ("confidence" in node) == config["confidence_scores"]
            if "reasoning" in node and not config["use_reasoning"]:
                assert node["reasoning"] in ("VERBATIM EXTRACTION", "INFERRED FROM TEXT")


def test_citations_with_and_without_bounding_boxes(full_dataset: Dataset) -> None:
    """Some citations have bounding boxes with page dimensions, others only page and matching text."""
    found = [c for meta in field_metadata_of(full_dataset) for c in citations(meta)]
    with_boxes = [c for c in found if "bounding_boxes" in c]
    plain = [c for c in found if "bounding_boxes" not in c]
    assert with_boxes
    assert plain
    assert all(set(c) == {"page", "matching_text"} for c in plain)
    for cite in with_boxes:
        assert set(cite["page_dimensions"]) == {"width", "height"}
        for box in cite["bounding_boxes"]:
            assert set(box) == {"x", "y", "w", "h"}
            assert all(type(v) is float for v in box.values())
            assert box["x"] + box["w"] <= cite["page_dimensions"]["width"]
    assert all(type(c["page"]) is int and c["page"] >= 1 for c in found)


def test_bounding_boxes_are_all_or_nothing_within_a_run(full_dataset: Dataset) -> None:
    """Within one run either every citation has bounding boxes or none has."""
    for meta in field_metadata_of(full_dataset):
        kinds = {"bounding_boxes" in c for c in citations(meta)}
        assert len(kinds) <= 1


def test_root_reasoning_and_error_occur(full_dataset: Dataset) -> None:
    """Some PER_DOC field_metadata carries a root-level reasoning string and some a root-level error."""
    roots = [m for m in field_metadata_of(full_dataset) if isinstance(m, dict)]
    assert any(isinstance(m.get("reasoning"), str) for m in roots)
    assert any(isinstance(m.get("error"), str) for m in roots)


def test_low_confidence_scores_occur(full_dataset: Dataset) -> None:
    """Some confidence scores are below 0.5, and all are floats in [0, 1]."""
    scores = [
        node[key]
        for meta in field_metadata_of(full_dataset)
        for node in walk(meta)
        if isinstance(node, dict)
        for key in ("confidence", "extraction_confidence", "parsing_confidence")
        if key in node
    ]
    assert any(s < 0.5 for s in scores)
    assert all(type(s) is float and 0 <= s <= 1 for s in scores)


def test_reasoning_agent_has_citations_and_reasoning(full_dataset: Dataset) -> None:
    """The contracts agent uses cite_sources and use_reasoning, and its leaves carry free-text reasoning."""
    agent = full_dataset.agent_named("Contracts")
    assert agent["config"]["cite_sources"]
    assert agent["config"]["use_reasoning"]
    run = next(r for r in full_dataset.runs_for_agent(agent["id"]) if r["status"] == "SUCCESS")
    meta = run["extraction_metadata"]["field_metadata"]
    assert len(meta["term_months"]["reasoning"]) > 30
    assert isinstance(meta["governing_law"]["reasoning"], str)
    assert is_leaf(meta["governing_law"]["venue_cities"])
    assert is_leaf(meta["parties"][0]["signatory"]["name"])
