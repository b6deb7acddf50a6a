"""The value conversions every table shares: strings, integers, floats and JSON text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llamacloud_etl.flatten.values import (
    INT64_MAX,
    INT64_MIN,
    as_float,
    as_int,
    canonical_json,
    clean_str,
    dumps,
    exact_float,
    utf8_ok,
)


def test_clean_str_replaces_lone_surrogates_only() -> None:
    """A valid string is returned as is; a lone surrogate is replaced; non-strings give None."""
    text = "prénom 名前 🙂"
    assert clean_str(text) is text
    assert clean_str("a\ud800b") == "a?b"
    assert utf8_ok(text) and not utf8_ok("a\ud800b")
    assert clean_str(None) is None and clean_str(1) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(INT64_MAX, INT64_MAX, id="int64-max"),
        pytest.param(INT64_MIN, INT64_MIN, id="int64-min"),
        pytest.param(INT64_MAX + 1, None, id="beyond-int64"),
        pytest.param(3.0, 3, id="integral-float"),
        pytest.param(float("inf"), None, id="infinity"),
        pytest.param(True, None, id="bool"),
        pytest.param("3", None, id="string"),
    ],
)
def test_as_int(value: Any, expected: int | None) -> None:
    """as_int keeps JSON integers (and integral floats) that fit int64, and nothing else."""
    assert as_int(value) == expected


def test_as_float_and_exact_float() -> None:
    """as_float takes any JSON number but not bools; exact_float refuses what float64 cannot hold."""
    assert as_float(10**400) is None
    assert as_float(False) is None
    assert exact_float(-(2**53)) == -(2.0**53)
    assert exact_float(2**53 + 1) is None
    assert exact_float(10**400) is None


def test_dumps_keeps_order_and_escapes_only_invalid_unicode() -> None:
    """dumps keeps key order and non-ASCII text; a lone surrogate is written as a \\u escape."""
    assert dumps({"b": "é", "a": 1}) == '{"b":"é","a":1}'
    escaped = dumps({"k": "a\ud800"})
    assert escaped.isascii()
    assert json.loads(escaped) == {"k": "a\ud800"}


def test_canonical_json_sorts_keys() -> None:
    """canonical_json sorts keys at every level and keeps non-ASCII characters."""
    assert canonical_json({"b": {"d": 1, "c": 2}, "a": "é"}) == '{"a":"é","b":{"c":2,"d":1}}'
