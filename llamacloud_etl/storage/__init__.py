"""The Parquet storage layer: hive-partitioned files under one root, one atomic file per table-day.

It knows paths and Arrow tables, not the API: nothing here imports the client or the flattener.
"""

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
from llamacloud_etl.storage.slugs import agent_slug, slug_of_agent, split_slug
from llamacloud_etl.storage.store import ParquetStore, WrittenPartition

__all__ = [
    "AGENTS_FOLDER",
    "FIELD_METADATA_TABLE",
    "PARTITION_KEY",
    "RUNS_TABLE",
    "WHOLE_DAY_FILE",
    "ParquetStore",
    "WrittenPartition",
    "agent_prefix",
    "agent_slug",
    "agent_table",
    "slug_of_agent",
    "split_agent_table",
    "split_slug",
]
