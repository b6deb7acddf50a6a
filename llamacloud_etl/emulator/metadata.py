"""Build ``extraction_metadata`` (``field_metadata`` + ``usage``) for a run's generated data.

``field_metadata`` mirrors ``data`` by walking the data together with its JSON schema (``$ref`` and
nullable ``anyOf``/type lists resolved):

* an object maps to a dict of its properties' metadata; a *nested* object (not the root, not an array
  item) also carries a sibling ``reasoning`` when the run used reasoning;
* an array of objects maps to a list aligned index-for-index with the data array;
* everything else (scalars, ``null``, arrays of scalars) is a *leaf* entry with ``citation``,
  ``confidence``/``extraction_confidence``/``parsing_confidence`` and ``reasoning`` per the run's flags.
  An array of scalars gets one leaf for the whole field, with one citation per item (the API does not
  document this case; one entry per field keeps the leaf rule "has confidence or citation" intact).

For PER_DOC the root is a dict that may also hold ``reasoning`` and ``error`` keys; for PER_PAGE and
PER_TABLE_ROW it is a list aligned with ``data``.

Flags: citations need ``cite_sources``; bounding boxes (with ``page_dimensions``) come with citations in
PREMIUM and MULTIMODAL modes on page-based files (pdf, png), on every citation of the run.
Confidence keys need ``confidence_scores`` (``parsing_confidence`` is left out for docx, which is not
OCR-parsed). ``reasoning`` is free text with ``use_reasoning``, else in PREMIUM mode an occasional
short marker. Every leaf has at least one of ``citation``/``confidence`` as long as the run's config
turns on ``cite_sources`` or ``confidence_scores``; the emulator's agents always do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

_MARKERS = ("VERBATIM EXTRACTION", "INFERRED FROM TEXT")
_PAGE_SIZES = {"letter": (612, 792), "a4": (595, 842), "png": (1700, 2200)}


@dataclass(frozen=True)
class MetadataFlags:
    """Which metadata keys a run produces, derived from its config and file type."""

    citations: bool
    bounding_boxes: bool
    confidence: bool
    parsing_confidence: bool
    reasoning: bool
    markers: bool

    @classmethod
    def for_run(cls, config: JSON, file_type: str | None) -> MetadataFlags:
        """Derive the flags from a run's config and the type of its file."""
        mode = config.get("extraction_mode")
        cite = bool(config.get("cite_sources") or config.get("citation_bbox"))
        return cls(
            citations=cite,
            bounding_boxes=cite and mode in ("PREMIUM", "MULTIMODAL") and file_type in ("pdf", "png"),
            confidence=bool(config.get("confidence_scores")),
            parsing_confidence=file_type != "docx",
            reasoning=bool(config.get("use_reasoning")),
            markers=mode == "PREMIUM" and not config.get("use_reasoning"),
        )


@dataclass
class _Walk:
    rng: random.Random
    root_schema: JSON
    flags: MetadataFlags
    pages: int
    page_size: tuple[int, int]
    leaves: int = field(default=0)

    def resolve(self, node: Any) -> JSON:
        """Follow ``$ref`` and pick the non-null branch of nullable unions."""
        for _ in range(32):  # bounded: a self-referencing schema must not hang the emulator
            if not isinstance(node, dict):
                return {}
            if "$ref" in node:
                node = self._lookup(str(node["$ref"]))
                continue
            branches = node.get("anyOf") or node.get("oneOf")
            if branches:
                non_null = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
                node = non_null[0] if non_null else {}
                continue
            return node
        return {}

    def _lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return {}
        node: Any = self.root_schema
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node

    @staticmethod
    def kind(node: JSON) -> str:
        type_ = node.get("type")
        if isinstance(type_, list):
            type_ = next((t for t in type_ if t != "null"), None)
        if type_ == "object" or (type_ is None and "properties" in node):
            return "object"
        if type_ == "array":
            return "array"
        return "scalar"

    def object_meta(self, node: JSON, value: JSON, path: str, page: int | None, nested: bool) -> JSON:
        out: JSON = {}
        for key, sub in node.get("properties", {}).items():
            if key in value:
                out[key] = self.meta(sub, value[key], f"{path}.{key}" if path else key, page)
        if nested and self.flags.reasoning:
            out["reasoning"] = f"The fields of '{path}' were read together from one block of the document."
        return out

    def meta(self, node: Any, value: Any, path: str, page: int | None) -> Any:
        node = self.resolve(node)
        kind = self.kind(node)
        if kind == "object" and isinstance(value, dict):
            return self.object_meta(node, value, path, page, nested=True)
        if kind == "array" and isinstance(value, list):
            items = self.resolve(node.get("items", {}))
            if self.kind(items) == "object":
                return [
                    self.object_meta(items, item, f"{path}[{i}]", page, nested=False)
                    if isinstance(item, dict)
                    else self.leaf(item, f"{path}[{i}]", page)
                    for i, item in enumerate(value)
                ]
        return self.leaf(value, path, page)

    def leaf(self, value: Any, path: str, page: int | None) -> JSON:
        self.leaves += 1
        rng = self.rng
        page = page if page is not None else rng.randint(1, self.pages)
        entry: JSON = {}
        texts = _matching_texts(value)
        if self.flags.reasoning:
            entry["reasoning"] = (
                f"Found {texts[0]!r} on page {page}; it matches the description of '{path}'."
                if texts
                else f"No text on the pages read matches '{path}', so it is null."
            )
        elif self.flags.markers and rng.random() < 0.5:
            entry["reasoning"] = rng.choice(_MARKERS)
        if self.flags.confidence:
            if value is None or value == []:
                extraction = rng.uniform(0.12, 0.55)
            elif rng.random() < 0.08:
                extraction = rng.uniform(0.2, 0.6)
            else:
                extraction = rng.uniform(0.8, 0.999)
            if self.flags.parsing_confidence:
                parsing = rng.uniform(0.9, 0.999)
                entry["confidence"] = round(extraction * parsing, 3)
                entry["extraction_confidence"] = round(extraction, 3)
                entry["parsing_confidence"] = round(parsing, 3)
            else:
                entry["confidence"] = entry["extraction_confidence"] = round(extraction, 3)
        if self.flags.citations:
            citations: list[JSON] = []
            for i, text in enumerate(texts[:3]):
                cited_page = page if i == 0 or rng.random() < 0.7 else rng.randint(1, self.pages)
                citations.append(self.citation(cited_page, text))
            if len(texts) == 1 and rng.random() < 0.1 and self.pages > 1:
                # The same value printed twice (e.g. a total on the first and the last page).
                citations.append(self.citation(rng.randint(1, self.pages), texts[0]))
            entry["citation"] = citations
        return entry

    def citation(self, page: int, text: str) -> JSON:
        cite: JSON = {"page": page, "matching_text": text}
        if self.flags.bounding_boxes:
            width, height = self.page_size
            scale = width / 612
            w = round(min(width * 0.6, max(12.0, 5.5 * scale * len(text))), 1)
            h = round(self.rng.uniform(9.0, 16.0) * scale, 1)
            x = round(self.rng.uniform(36 * scale, width - w - 36 * scale), 1)
            y = round(self.rng.uniform(36 * scale, height - h - 36 * scale), 1)
            cite["bounding_boxes"] = [{"x": x, "y": y, "w": w, "h": h}]
            cite["page_dimensions"] = {"width": width, "height": height}
        return cite


def _matching_texts(value: Any) -> list[str]:
    """The document text a value would have been read from (one per item for arrays of scalars)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [t for item in value for t in _matching_texts(item)]
    if isinstance(value, bool):
        return ["Yes" if value else "No"]
    if isinstance(value, float):
        return [f"{value:,.2f}"]
    if isinstance(value, int):
        return [f"{value:,}"]
    text = str(value)
    return [text if len(text) <= 200 else text[:199] + "…"]


def build_extraction_metadata(
    *,
    schema: JSON,
    data: JSON | list[JSON],
    target: str,
    config: JSON,
    file_type: str | None,
    pages: int,
    rng: random.Random,
    field_error: str | None = None,
) -> JSON:
    """Return ``{"field_metadata": ..., "usage": ...}`` for a finished run's ``data``.

    Args:
        schema: the run's ``data_schema`` (for list targets it describes one item).
        data: the run's ``data``: a dict for PER_DOC, a list of dicts otherwise.
        target: the run's ``config.extraction_target``.
        config: the run's full config; its flags decide which keys appear.
        file_type: the run's file type (pdf, png, docx); decides bounding boxes and parsing confidence.
        pages: number of pages extracted.
        rng: seeded randomness for scores and positions.
        field_error: a root-level ``error`` for PER_DOC field metadata (field-level extraction errors).
    """
    flags = MetadataFlags.for_run(config, file_type)
    if file_type == "png":
        page_size = _PAGE_SIZES["png"]
    else:
        page_size = _PAGE_SIZES["a4"] if rng.random() < 0.3 else _PAGE_SIZES["letter"]
    walk = _Walk(rng=rng, root_schema=schema, flags=flags, pages=max(1, pages), page_size=page_size)
    root = walk.resolve(schema)
    field_metadata: JSON | list[JSON]
    if isinstance(data, list):
        n = len(data)
        field_metadata = []
        for i, item in enumerate(data):
            # PER_PAGE item i is page i+1; table rows are spread over the document in order.
            page = i + 1 if target == "PER_PAGE" else 1 + (i * walk.pages) // max(n, 1)
            field_metadata.append(walk.object_meta(root, item, "", page, nested=False))
    else:
        doc_meta = walk.object_meta(root, data, "", None, nested=False)
        if flags.reasoning:
            doc_meta["reasoning"] = (
                f"Read {pages} page(s); the schema's fields were located in the header, the party block and "
                "the signature page."
            )
        if field_error is not None:
            doc_meta["error"] = field_error
        field_metadata = doc_meta
    usage = {
        "num_pages_extracted": pages,
        "num_document_tokens": pages * rng.randint(350, 1600),
        "num_output_tokens": max(1, walk.leaves) * rng.randint(6, 14),
    }
    return {"field_metadata": field_metadata, "usage": usage}
