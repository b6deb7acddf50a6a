"""Run IDs kept compact: a day result holds its runs' IDs for checks, for every day of a landing.

A set of ``str`` costs about 150 bytes per ID (the string and its hash slot); a year of days at a
few hundred runs each would hold tens of megabytes of them. :class:`RunIds` keeps the sorted IDs
that are canonical UUIDs as 16-byte keys in one ``bytes`` (see :mod:`llamacloud_etl.idkeys`), any
other ID as text in another (one byte per character, plus a separator), and is a read-only set
otherwise: ``len``, ``in``, iteration (sorted), ``==``, ``|`` and ``-`` with any set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from heapq import merge
from typing import Any

from llamacloud_etl.idkeys import KEY_SIZE, find_key, pack_id, unpack_id

_SEP = "\n"


class RunIds(Set[str]):
    """An immutable set of run IDs: sorted 16-byte keys of UUIDs, and the other IDs newline-joined."""

    __slots__ = ("_blob", "_keys", "_len")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        keys: list[bytes] = []
        text: list[str] = []
        for run_id in set(ids):
            key = pack_id(run_id)
            if key is not None:
                keys.append(key)
            elif _SEP in run_id:
                raise ValueError("a run ID cannot hold a newline")
            else:
                text.append(run_id)
        self._keys = b"".join(sorted(keys))
        self._blob = _SEP.join(sorted(text)).encode()
        self._len = len(keys) + len(text)

    @classmethod
    def _from_iterable(cls, it: Iterable[Any]) -> RunIds:  # type: ignore[override]  # IDs in, IDs out
        return cls(it)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        # Keys sort as their IDs' text, so the two sorted runs merge into one sorted run.
        uuids = (unpack_id(self._keys[i : i + KEY_SIZE]) for i in range(0, len(self._keys), KEY_SIZE))
        texts = self._len - len(self._keys) // KEY_SIZE  # one empty ID is an empty blob too
        return merge(uuids, self._blob.decode().split(_SEP) if texts else ())

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str) or not self._len or _SEP in item:
            return False
        key = pack_id(item)
        if key is not None:
            return find_key(self._keys, key)
        needle = f"{_SEP}{item}{_SEP}".encode()
        return needle in b"\n" + self._blob + b"\n"

    def __hash__(self) -> int:
        return hash((self._keys, self._blob))

    def __repr__(self) -> str:
        return f"RunIds({sorted(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._keys, self._blob, self._len))


def _restore(keys: bytes, blob: bytes, length: int) -> RunIds:
    """A :class:`RunIds` back from its pickled bytes (worker processes send day results)."""
    ids = RunIds()
    ids._keys, ids._blob, ids._len = keys, blob, length
    return ids
