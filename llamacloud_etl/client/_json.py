"""Parsing 2xx bodies that hold whole runs: orjson where its result is exact, else pydantic's parser.

A page of runs is mostly ``data`` and ``extraction_metadata``, which stay plain JSON values, and
turning its bytes into Python objects is the largest single cost of a landing. For a page of 100
emulated runs (760 kB), orjson, the digit check below and validating the Python objects take
about 5 ms, against 8 ms for pydantic's ``validate_json``. orjson differs from pydantic's parser
in three ways, and none may change what lands:

- an integer beyond 64 bits becomes a float in orjson (an exact ``int`` in pydantic). A body with
  20 digits in a row anywhere (also inside strings) is left to pydantic;
- ``NaN``, ``Infinity`` and numbers too large for a float are refused by orjson, and accepted by
  pydantic;
- a lone UTF-16 surrogate escape is refused by both, with different errors.

Whatever orjson refuses is parsed by pydantic, so its results and errors are the ones of before.
"""

from __future__ import annotations

from typing import Any

import orjson

_DIGITS = bytes(0x31 if 0x30 <= i <= 0x39 else 0x30 for i in range(256))
"""Maps each digit to ``1`` and every other byte to ``0``, to find runs of digits with ``in``."""

_LONG_DIGITS = b"1" * 20
"""The smallest number of digits that can be beyond 64 bits (2**64 has 20)."""


def loads_exact(content: bytes) -> Any | None:
    """The parsed JSON of ``content`` when orjson's result is exactly pydantic's; else None.

    None means: parse with pydantic (a possibly long integer, or a value orjson refuses).
    """
    if _LONG_DIGITS in content.translate(_DIGITS):
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
