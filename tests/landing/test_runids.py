"""RunIds: the compact set of run IDs a day result keeps."""

import pickle
import uuid

from llamacloud_etl.landing.runids import RunIds


def test_run_ids_behave_as_a_set() -> None:
    """RunIds compare, test membership, combine and iterate like the set of their IDs."""
    ids = RunIds(["b", "a", "b"])
    assert (ids == {"a", "b"}, len(ids)) == (True, 2)
    assert ("a" in ids, "c" in ids, "a\nb" in ids) == (True, False, False)
    assert (ids | {"c"}, ids - {"a"}) == ({"a", "b", "c"}, {"b"})
    assert (sorted(ids), set(RunIds())) == (["a", "b"], set())


def test_run_ids_survive_pickling() -> None:
    """RunIds sent from a worker process come back equal."""
    ids = RunIds(["x", "y"])
    assert pickle.loads(pickle.dumps(ids)) == {"x", "y"}  # noqa: S301 (our own bytes)


def test_run_ids_of_uuids_and_other_text_iterate_sorted() -> None:
    """UUIDs (kept as 16-byte keys) and other IDs come back as one sorted set, and survive pickling."""
    uuids = [str(uuid.UUID(int=n * 7919 << 64)) for n in range(1, 40)]
    ids = RunIds([*uuids, "run-1", "", "ffff", uuids[0]])
    expected = sorted({*uuids, "run-1", "", "ffff"})
    assert (list(ids), len(ids)) == (expected, len(expected))
    assert all(i in ids for i in expected) and "run-2" not in ids and str(uuid.UUID(int=1)) not in ids
    assert list(pickle.loads(pickle.dumps(ids))) == expected  # noqa: S301 (our own bytes)
