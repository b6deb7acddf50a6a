"""WrittenFiles: the compact record of the files a day wrote."""

import pickle
from datetime import date

import pyarrow as pa

from llamacloud_etl.landing.written import WrittenFiles
from llamacloud_etl.storage import WrittenPartition

DAY = date(2026, 9, 3)
SCHEMA = pa.schema([("run_id", pa.string())])


def _file(table: str, part: str | None, uri: str, rows: int = 3) -> WrittenPartition:
    return WrittenPartition(table, DAY, uri, rows, 1234, SCHEMA, part)


FILES = [
    _file("runs", "agent-a", "file:///data/out/runs/run_date=2026-09-03/agent-a.parquet", rows=2**40),
    _file("agents/inv-1/records", None, "s3://b/p/agents/inv-1/records/run_date=2026-09-03/part-0.parquet"),
    _file("runs", "agent-b", "memory://elsewhere/odd-name.parquet"),
]


def test_written_files_read_back_as_the_partitions_given() -> None:
    """Every field of every file, URLs laid out otherwise included, reads back as given."""
    files = WrittenFiles(FILES)
    assert (list(files), len(files), files[-1], files[1:]) == (FILES, 3, FILES[2], FILES[1:])
    assert files == FILES and files != FILES[:2]
    assert FILES == files  # noqa: SIM300 (a list on the left: the reflected comparison)


def test_written_files_survive_pickling() -> None:
    """Files of a day result sent from a worker process come back equal."""
    assert pickle.loads(pickle.dumps(WrittenFiles(FILES))) == FILES  # noqa: S301 (our own bytes)


def test_written_files_share_one_string_per_table() -> None:
    """A table path read from many days' records is one string object, not a copy per day."""
    a = WrittenFiles([_file("runs", "x", "file:///r/runs/run_date=2026-09-03/x.parquet")])
    b = WrittenFiles([_file("".join(["ru", "ns"]), "x", "file:///r/runs/run_date=2026-09-03/x.parquet")])
    assert a._tables[0] is b._tables[0] and a._roots[0] is b._roots[0]
