"""The Parquet storage layer: hive-partitioned files under one root, one atomic file per table-day.

It knows paths and Arrow tables, not the API: nothing here imports the client or the flattener.
One job per module:

- :mod:`~llamacloud_etl.storage.store`: :class:`ParquetStore`, the entry point, and its writing
  (``replace_day``: a day replaced, superseded files deleted, emptied days removed);
- :mod:`~llamacloud_etl.storage.reading`: its base class, the read side (tables, days, stored
  schemas, ``read_table``) and the URLs of paths under the root;
- :mod:`~llamacloud_etl.storage.files`: putting one Parquet file in place atomically, and the
  Parquet encoding settings;
- :mod:`~llamacloud_etl.storage.versions`: which version of a data file is in place, and replacing
  it only if it still is (``read_day_versioned`` / ``replace_day_if``, compare-and-swap on a day);
- :mod:`~llamacloud_etl.storage.schema_record`: each table's schema record (current schema and
  version), updated by compare-and-swap so concurrent writers agree on a table's schema;
- :mod:`~llamacloud_etl.storage.listing`: finding tables, days and files cheaply on any filesystem;
- :mod:`~llamacloud_etl.storage.layout`: where things live (table paths, day folders, file names);
- :mod:`~llamacloud_etl.storage.slugs`: the path-safe folder name of an agent.
"""

from llamacloud_etl.storage.files import TableStream
from llamacloud_etl.storage.layout import (
    AGENTS_FOLDER,
    FIELD_METADATA_TABLE,
    PARTITION_KEY,
    RUNS_TABLE,
    WHOLE_DAY_FILE,
    agent_prefix,
    agent_table,
    split_agent_table,
)
from llamacloud_etl.storage.schema_record import SCHEMA_FOLDER, SchemaRecords, SchemaVersion
from llamacloud_etl.storage.slugs import agent_slug, check_slugs, short_id, slug_of_agent, split_slug
from llamacloud_etl.storage.store import ParquetStore, WrittenPartition

__all__ = [
    "AGENTS_FOLDER",
    "FIELD_METADATA_TABLE",
    "PARTITION_KEY",
    "RUNS_TABLE",
    "SCHEMA_FOLDER",
    "WHOLE_DAY_FILE",
    "ParquetStore",
    "SchemaRecords",
    "SchemaVersion",
    "TableStream",
    "WrittenPartition",
    "agent_prefix",
    "agent_slug",
    "agent_table",
    "check_slugs",
    "short_id",
    "slug_of_agent",
    "split_agent_table",
    "split_slug",
]
