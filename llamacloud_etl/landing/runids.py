"""Run IDs kept compact: a day result holds its runs' IDs for checks, for every day of a landing.

A set of ``str`` costs about 150 bytes per ID (the string and its hash slot); a year of days at a
few hundred runs each would hold tens of megabytes of them. :class:`RunIds` keeps the sorted IDs
in one ``bytes`` (one byte per character, plus a separator) and is a read-only set otherwise:
``len``, ``in``, iteration, ``==``, ``|`` and ``-`` with any set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from typing import Any

_SEP = "\n"


class RunIds(Set[str]):
    """An immutable set of run IDs stored as one sorted, newline-joined ``bytes``."""

    __slots__ = ("_blob", "_len")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        unique = sorted(set(ids))
        if any(_SEP in i for i in unique):
            raise ValueError("a run ID cannot hold a newline")
        self._blob = _SEP.join(unique).encode()
        self._len = len(unique)

    @classmethod
    def _from_iterable(cls, it: Iterable[Any]) -> RunIds:  # type: ignore[override]  # IDs in, IDs out
        return cls(it)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        return iter(self._blob.decode().split(_SEP)) if self._len else iter(())

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str) or not self._len or _SEP in item:
            return False
        needle = f"{_SEP}{item}{_SEP}".encode()
        return needle in b"\n" + self._blob + b"\n"

    def __hash__(self) -> int:
        return hash(self._blob)

    def __repr__(self) -> str:
        return f"RunIds({sorted(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._blob, self._len))


def _restore(blob: bytes, length: int) -> RunIds:
    """A :class:`RunIds` back from its pickled bytes (worker processes send day results)."""
    ids = RunIds()
    ids._blob, ids._len = blob, length
    return ids
