"""RunIds: the compact set of run IDs a day result keeps."""

import pickle

from llamacloud_etl.landing.runids import RunIds


def test_run_ids_behave_as_a_set() -> None:
    """RunIds compare, test membership, combine and iterate like the set of their IDs."""
    ids = RunIds(["b", "a", "b"])
    assert (ids == {"a", "b"}, len(ids), "a" in ids, "c" in ids, "a\nb" in ids) == (True, 2, True, False, False)
    assert (ids | {"c"}, ids - {"a"}, sorted(ids), set(RunIds())) == ({"a", "b", "c"}, {"b"}, ["a", "b"], set())


def test_run_ids_survive_pickling() -> None:
    """RunIds sent from a worker process come back equal."""
    ids = RunIds(["x", "y"])
    assert pickle.loads(pickle.dumps(ids)) == {"x", "y"}
