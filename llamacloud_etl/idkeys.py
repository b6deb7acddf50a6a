"""Run IDs as 16-byte keys: what a landing remembers of every run it has seen, kept compact.

A run ID is a canonical lower-case UUID (:func:`llamacloud_etl.models.validate_id`): 36 characters,
which as a ``str`` held in a set cost about 125 bytes (85 for the string, the rest its hash slot).
Packed, the same ID is 16 bytes. :func:`pack_id` gives the key of a canonical UUID (None for any
other text, which callers keep as text), :func:`unpack_id` gives the text back. Lower-case hex
digits sort as their values, so keys sort exactly as their IDs' text does.

:class:`IdSet` is a set that only grows (``add``, ``in``, ``len``): the IDs a listing walk has
seen, one per run of the whole range, held until the walk ends.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

KEY_SIZE = 16


def pack_id(run_id: str) -> bytes | None:
    """The 16-byte key of a canonical lower-case UUID; None for any other text.

    Examples:
        >>> key = pack_id("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
        >>> (len(key), unpack_id(key))
        (16, '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e')
        >>> pack_id("182BD5E5-6E1A-4FE4-A799-AA6D9A6AB26E") is None
        True
    """
    if len(run_id) != 36 or not run_id[8] == run_id[13] == run_id[18] == run_id[23] == "-":
        return None
    if run_id.lower() != run_id:
        return None
    try:
        # 32 hex digits exactly give 16 bytes: a fifth dash or a space elsewhere leaves fewer.
        key = bytes.fromhex(run_id.replace("-", ""))
    except ValueError:
        return None
    return key if len(key) == KEY_SIZE else None


def unpack_id(key: bytes) -> str:
    """The canonical UUID text of a key made by :func:`pack_id`."""
    h = key.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def find_key(blob: bytes, key: bytes, start: int = 0, end: int | None = None) -> bool:
    """Whether ``key`` is one of the keys joined in ``blob`` (from key ``start`` to key ``end``)."""
    stop = len(blob) if end is None else min(len(blob), end * KEY_SIZE)
    at = blob.find(key, start * KEY_SIZE, stop)
    while at > 0 and at % KEY_SIZE:  # found across two keys: look on from the next byte
        at = blob.find(key, at + 1, stop)
    return at != -1


class _Keys:
    """Sorted keys joined in one ``bytes``, seen as a sequence for :mod:`bisect`."""

    __slots__ = ("_blob",)

    def __init__(self, blob: bytes) -> None:
        self._blob = blob

    def __len__(self) -> int:
        return len(self._blob) // KEY_SIZE

    def __getitem__(self, index: int) -> bytes:
        return self._blob[index * KEY_SIZE : (index + 1) * KEY_SIZE]


class IdSet:
    """A set of IDs that only grows, canonical UUIDs kept as 16-byte keys.

    New keys gather in a small set; once it holds ``merge_every`` keys (or a 16th of the merged
    ones, so that merging, which copies them all, stays linear overall), they are merged into one
    sorted ``bytes``, with every :data:`BLOCK`-th key in a list: a key is looked for by bisecting
    that list, then searching one block of the ``bytes``. IDs that are not canonical UUIDs are
    kept as text.
    """

    BLOCK = 32

    __slots__ = ("_index", "_merge_every", "_merged", "_recent", "_text")

    def __init__(self, *, merge_every: int = 4096) -> None:
        self._merge_every = merge_every
        self._merged = b""
        self._index: list[bytes] = []
        self._recent: set[bytes] = set()
        self._text: set[str] = set()

    def __contains__(self, run_id: str) -> bool:
        key = pack_id(run_id)
        if key is None:
            return run_id in self._text
        return key in self._recent or self._has(key)

    def __len__(self) -> int:
        return len(self._merged) // KEY_SIZE + len(self._recent) + len(self._text)

    def add(self, run_id: str) -> bool:
        """Add ``run_id``; whether it was new."""
        key = pack_id(run_id)
        if key is None:
            new = run_id not in self._text
            self._text.add(run_id)
            return new
        if key in self._recent or self._has(key):
            return False
        self._recent.add(key)
        if len(self._recent) >= max(self._merge_every, len(self._merged) // KEY_SIZE // 16):
            self._merge()
        return True

    def _has(self, key: bytes) -> bool:
        block = bisect_right(self._index, key) - 1
        return block >= 0 and find_key(self._merged, key, block * self.BLOCK, (block + 1) * self.BLOCK)

    def _merge(self) -> None:
        """Merge the recent keys into the sorted ones (none of them is there yet)."""
        blob, keys = self._merged, _Keys(self._merged)
        pieces: list[bytes] = []
        start = 0
        for key in sorted(self._recent):
            block = max(0, bisect_right(self._index, key) - 1)
            lo = max(start, block * self.BLOCK)
            at = bisect_left(keys, key, lo=lo, hi=max(lo, min(len(keys), (block + 1) * self.BLOCK)))
            pieces += (blob[start * KEY_SIZE : at * KEY_SIZE], key)
            start = at
        pieces.append(blob[start * KEY_SIZE :])
        self._merged = b"".join(pieces)
        step = self.BLOCK * KEY_SIZE
        self._index = [self._merged[i : i + KEY_SIZE] for i in range(0, len(self._merged), step)]
        self._recent = set()
