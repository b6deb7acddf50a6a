"""Run IDs as 16-byte keys, and the growing set a listing walk keeps of them."""

import random
import uuid

import pytest

from llamacloud_etl.idkeys import IdSet, pack_id, unpack_id


def test_a_canonical_uuid_packs_to_16_bytes_and_back() -> None:
    """A canonical lower-case UUID packs to its 16 bytes, and unpacks to the same text."""
    run_id = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
    key = pack_id(run_id)
    assert (key, unpack_id(key or b"")) == (uuid.UUID(run_id).bytes, run_id)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("182BD5E5-6E1A-4FE4-A799-AA6D9A6AB26E", id="upper-case"),
        pytest.param("182bd5e56e1a4fe4a799aa6d9a6ab26e", id="no-dashes"),
        pytest.param("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab2 e", id="space"),
        pytest.param("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab2-e", id="fifth-dash"),
        pytest.param("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26g", id="not-hex"),
        pytest.param("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26", id="short"),
        pytest.param("run-1", id="other"),
    ],
)
def test_other_text_has_no_key(text: str) -> None:
    """Text that is not a canonical lower-case UUID has no key (it is kept as text)."""
    assert pack_id(text) is None


def test_keys_sort_as_their_ids() -> None:
    """Sorting keys sorts their IDs' text the same way."""
    ids = [str(uuid.uuid4()) for _ in range(500)]
    keys = sorted(k for k in map(pack_id, ids) if k is not None)
    assert [unpack_id(k) for k in keys] == sorted(ids)


@pytest.mark.parametrize("merge_every", [1, 3, 64])
def test_an_id_set_answers_as_a_set_does(merge_every: int) -> None:
    """Adds and lookups of UUIDs and other IDs, across merges, answer as a plain set's."""
    rng = random.Random(merge_every)
    pool = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(300)] + ["a", "", "B" * 36]
    seen, expected = IdSet(merge_every=merge_every), set()
    for _ in range(2_000):
        run_id = rng.choice(pool) if rng.random() < 0.5 else str(uuid.UUID(int=rng.getrandbits(128)))
        assert (run_id in seen, seen.add(run_id)) == (run_id in expected, run_id not in expected)
        expected.add(run_id)
    assert len(seen) == len(expected) and all(run_id in seen for run_id in expected)
