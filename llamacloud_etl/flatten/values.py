"""JSON values -> what a column can store: the conversions every table of the flattener shares.

Each takes a plain JSON value (as :mod:`json` decodes it, or as a source hands it over) and gives
what an Arrow column of the matching type holds exactly, or None when the value does not fit:
strings that UTF-8 can store, integers that fit int64, floats that round-trip, and JSON text.
"""

from __future__ import annotations

import json
import math
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The range of an int64 column."""

_FLOAT_EXACT = 2**53  # every integer up to this magnitude is exactly a float64

# Built once: json.dumps with options builds a new encoder per call. JSON has no cycles, and a
# Python object with one fails anyway (RecursionError), so the cycle bookkeeping is switched off.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_ASCII_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def utf8_ok(text: str) -> bool:
    """True when ``text`` can be stored as UTF-8 (no lone surrogates).

    Examples:
        >>> utf8_ok("prénom"), utf8_ok("\\ud800")
        (True, False)
    """
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_str(value: Any) -> str | None:
    """A string that can be stored as UTF-8 (lone surrogates replaced), or None for non-strings.

    Examples:
        >>> clean_str("a\\ud800b"), clean_str(7)
        ('a?b', None)
    """
    if not isinstance(value, str):
        return None
    return value if utf8_ok(value) else value.encode("utf-8", "replace").decode("utf-8")


def as_float(value: Any) -> float | None:
    """A JSON number as float64; None for anything else (bools included).

    Examples:
        >>> as_float(3), as_float(2.5), as_float(True), as_float("1")
        (3.0, 2.5, None, None)
    """
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return None
    return None


def as_int(value: Any) -> int | None:
    """A JSON integer (or integral float) that fits int64; None for anything else.

    Examples:
        >>> as_int(7), as_int(7.0), as_int(7.5), as_int(2**63), as_int(False)
        (7, 7, None, None, None)
    """
    if type(value) is float and math.isfinite(value) and value.is_integer():
        value = int(value)
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
    return None


def exact_float(value: int) -> float | None:
    """``float(value)`` when that float converts back to exactly ``value``, else None.

    Examples:
        >>> exact_float(2**53), exact_float(2**53 + 1)
        (9007199254740992.0, None)
    """
    if -_FLOAT_EXACT <= value <= _FLOAT_EXACT:
        return float(value)
    try:
        converted = float(value)
    except OverflowError:
        return None
    return converted if int(converted) == value else None


def dumps(value: Any) -> str:
    """Compact JSON text, keeping key order and non-ASCII characters.

    Strings that are not valid Unicode (lone surrogates) cannot be stored as UTF-8, so such a value
    is written with ``\\u`` escapes instead, which JSON parsers turn back into the same string.

    Examples:
        >>> dumps({"b": "é", "a": [1, None]})
        '{"b":"é","a":[1,null]}'
    """
    text = _ENCODER.encode(value)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _ASCII_ENCODER.encode(value)
    return text


def canonical_json(value: Any) -> str:
    """Canonical JSON text: sorted keys, compact separators, non-ASCII kept.

    Examples:
        >>> canonical_json({"b": 1, "a": "é"})
        '{"a":"é","b":1}'
    """
    return _CANONICAL.encode(value)
