"""Naming rules for the flattened tables: how JSON field paths become SQL-safe column and table names.

Every name is a pure function of the JSON Schema, so the same schema always gives the same names,
and adding a field never renames a field whose name is already canonical (rule 6).

1. **Segments.** Each JSON key on the path is turned into a *segment*: Unicode is decomposed (NFKD)
   and reduced to ASCII, so accents fall off (``prénom`` -> ``prenom``) and scripts with no ASCII
   form vanish (``名前`` -> empty); camelCase is split (``invoiceNumber`` -> ``invoice_number``,
   ``HTTPStatus`` -> ``http_status``); everything is lower-cased; every run of characters outside
   ``[a-z0-9]`` (underscores included) becomes one ``_``; leading and trailing ``_`` are dropped.
   A key is *canonical* when this leaves it unchanged (``total``, ``unit_price``, ``line_items``).
2. **Nesting.** A nested object's fields are joined with a double underscore:
   ``vendor.address.city`` -> ``vendor__address__city``. Because a segment never holds ``__``
   (rule 1), a key literally named ``a__b`` becomes ``a_b`` and cannot clash with nested ``a.b``.
3. **First character.** A name that starts with a digit gets a ``_`` prefix (``1st_page`` ->
   ``_1st_page``). So a data column starts with ``_`` only when a digit follows, and never clashes
   with the bookkeeping columns ``_row_id``, ``_parent_row_id``, ``_idx``, ``_shape``, ``_extra``:
   a key ``_extra`` becomes ``extra``.
4. **Reserved names.** ``run_id``, ``record_index`` and ``run_date`` (the Hive partition key the
   storage layer adds) are ours; a data field with one of those names always gets a hash suffix
   (rule 7): ``run_id`` -> ``run_id_d83b3b07``.
5. **Length.** Names are capped at 63 characters (PostgreSQL's identifier limit, the strictest
   engine we target): a longer name is cut and gets a hash suffix (rule 7). A key with nothing left
   after rule 1 (``名前``, ``€``, ``""``) becomes ``field`` and always gets a hash suffix, so two such
   keys never fight over one name.
6. **Collisions.** When several paths of one table end up with the same name (``Total`` and
   ``total``; ``a_b`` and ``a__b``), the canonical path, if any, keeps the plain name and every
   other one gets a hash suffix. The suffix depends only on the path itself, never on what else is
   in the schema or on field order, so adding a field can only rename a non-canonical field it
   collides with (keep keys canonical to be fully safe).
7. **Hash suffix.** ``_`` + the first 8 hex digits of the SHA-256 of the JSON array of the
   field's original keys (``["vendor", "Total"]``), relative to the table's rows. In the
   practically impossible case that this still collides, 16 and then 64 hex digits are used.
8. **Child tables.** An array of objects becomes a child table named after its parent table and
   the array's name in it: ``records__line_items``, ``records__line_items__taxes``,
   ``records__vendor__contacts``. A table name longer than 63 characters, or one that another
   array already took, gets the hash suffix of the array's path from the record (rule 7).
   Inside a child table, columns are named relative to the array item.
9. **Paths in values.** Row IDs and ``field_metadata.field_path`` use the *original* JSON keys, not
   column names: keys are joined with ``.``, array positions written ``[i]``
   (``line_items[1].amount``). Inside a key, the characters ``\\ . / [ ]`` are escaped with a
   backslash so that two different paths never render the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

MAX_NAME_LENGTH = 63
"""Longest column or table name we produce (PostgreSQL's identifier limit)."""

RESERVED_NAMES = frozenset({"run_id", "record_index", "run_date"})
"""Names our own columns (and the storage layer's partition key) use; data columns never take them."""

_EMPTY_SEGMENT = "field"
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_PATH_ESCAPE = re.compile(r"([\\./\[\]])")


def sanitize_segment(key: str) -> str:
    """Turn one JSON key into a name segment (rule 1); may return ``""``.

    Examples:
        >>> sanitize_segment("invoiceNumber"), sanitize_segment("Prénom"), sanitize_segment("a__b")
        ('invoice_number', 'prenom', 'a_b')
    """
    ascii_only = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    split = _CAMEL.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", ascii_only))
    return _NOT_ALNUM.sub("_", split.lower()).strip("_")


def path_hash(path: Sequence[str], digits: int = 8) -> str:
    """Hex digest identifying a path of original JSON keys (rule 7)."""
    encoded = json.dumps(list(path), ensure_ascii=True).encode("ascii")
    return hashlib.sha256(encoded).hexdigest()[:digits]


def _with_hash(name: str, path: Sequence[str], digits: int) -> str:
    suffix = path_hash(path, digits)
    keep = MAX_NAME_LENGTH - len(suffix) - 1
    return f"{name[:keep].rstrip('_')}_{suffix}"


def plain_name(path: Sequence[str]) -> tuple[str, bool, bool]:
    """Apply rules 1-5 to a path of JSON keys.

    Returns:
        ``(name, canonical, needs_hash)``: the plain name, whether every key is canonical (and the
        name needs no prefix), and whether rules 4-5 force a hash suffix whatever the collisions.
    """
    segments = [sanitize_segment(key) for key in path]
    lost = any(not segment for segment in segments)
    name = "__".join(segment or _EMPTY_SEGMENT for segment in segments)
    prefixed = name[:1].isdigit()
    if prefixed:
        name = "_" + name
    needs_hash = lost or name in RESERVED_NAMES or len(name) > MAX_NAME_LENGTH
    canonical = not needs_hash and not prefixed and all(s == k for s, k in zip(segments, path, strict=True))
    return name, canonical, needs_hash


def assign_names(paths: Iterable[Sequence[str]], taken: Iterable[str] = ()) -> dict[tuple[str, ...], str]:
    """Give each path a unique name (rules 1-7); ``taken`` names are never handed out.

    Examples:
        >>> assign_names([("Total",), ("total",), ("vendor", "name")])
        {('Total',): 'total_8b1be9fc', ('total',): 'total', ('vendor', 'name'): 'vendor__name'}
    """
    keys = [tuple(path) for path in paths]
    plain = {key: plain_name(key) for key in keys}
    groups: dict[str, list[tuple[str, ...]]] = {}
    for key in keys:
        groups.setdefault(plain[key][0], []).append(key)
    blocked = set(taken)
    names: dict[tuple[str, ...], str] = {}
    for name, members in groups.items():
        for key in members:
            _, canonical, needs_hash = plain[key]
            alone = len(members) == 1 and name not in blocked
            keeps_plain = not needs_hash and (alone or (canonical and name not in blocked))
            names[key] = name if keeps_plain else _with_hash(name, key, 8)
    # Rule 7's fallback: a suffixed name that still collides gets a longer digest.
    for digits in (16, 64):
        seen: dict[str, int] = {}
        for value in [*blocked, *names.values()]:
            seen[value] = seen.get(value, 0) + 1
        clashing = [key for key, value in names.items() if seen[value] > 1 and value != plain[key][0]]
        if not clashing:
            break
        for key in clashing:
            names[key] = _with_hash(plain[key][0], key, digits)
    return names


@lru_cache(maxsize=65536)  # keys repeat from run to run, but come from the data: bounded
def escape_key(key: str) -> str:
    r"""Escape one JSON key for a rendered path (rule 9): ``a.b`` -> ``a\.b``."""
    return _PATH_ESCAPE.sub(r"\\\1", key)


def render_path(parts: Iterable[str | int]) -> str:
    """Render keys and array positions as a readable path (rule 9).

    Examples:
        >>> render_path(["line_items", 1, "amount"])
        'line_items[1].amount'
    """
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(("." if out else "") + escape_key(part))
    return "".join(out)


def parse_path(path: str) -> list[str | int]:
    r"""The keys and array positions of a rendered path: the inverse of :func:`render_path`.

    Examples:
        >>> parse_path("line_items[1].amount"), parse_path(r"x\.y[0][2]"), parse_path("")
        (['line_items', 1, 'amount'], ['x.y', 0, 2], [''])
    """
    parts: list[str | int] = []
    key: list[str] = []
    in_key, chars = True, iter(path)
    for char in chars:
        if char == "\\":
            key.append(next(chars, ""))
        elif char == "." or char == "[":
            if in_key:
                parts.append("".join(key))
                key = []
            in_key = char == "."
            if char == "[":
                digits = "".join(iter(lambda: next(chars, "]"), "]"))
                parts.append(int(digits))
        else:
            key.append(char)
    if in_key:
        parts.append("".join(key))
    return parts


NAMING_RULES: str = __doc__ or ""
"""The rules above as Markdown, ready to paste into the README."""
