"""RunIds: the compact set of run IDs a day result keeps."""

import pickle

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
