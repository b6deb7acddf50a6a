"""Keep the API key out of every string the client produces.

The key only ever travels in the ``Authorization`` header, which httpx already masks in its own
reprs. This module is the second line of defence: any text that reaches an error message, an
error's ``detail`` or a log line goes through :meth:`Redactor.text` first, in case a server or a
proxy echoes the key back (some reflect the request headers in their error pages).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

# A bearer credential in free text: "Bearer <token>", whatever the token is.
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s\"',;]+")


class Redactor:
    """Replace one secret (and any bearer token) with ``***`` in text and JSON values."""

    __slots__ = ("_secret",)

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return f"Redactor({MASK})"

    def text(self, value: str) -> str:
        """Return ``value`` with the secret and any bearer token masked."""
        if self._secret:
            value = value.replace(self._secret, MASK)
        return _BEARER.sub(f"Bearer {MASK}", value)

    def json(self, value: Any) -> Any:
        """Return a copy of a decoded JSON value with every string (and key) passed through :meth:`text`."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(key)): self.json(item) for key, item in value.items()}
        return value
