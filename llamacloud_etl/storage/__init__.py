"""The Parquet storage layer: hive-partitioned files under one root, one atomic file per table-day.

It knows paths and Arrow tables, not the API: nothing here imports the client or the flattener.
"""

from llamacloud_etl.storage.layout import PARTITION_KEY, WHOLE_DAY_FILE
from llamacloud_etl.storage.slugs import agent_slug, split_slug
from llamacloud_etl.storage.store import (
    DEFAULT_OUTPUT_ROOT,
    OUTPUT_ENV_VAR,
    ParquetStore,
    WrittenPartition,
    default_output_root,
)

__all__ = [
    "DEFAULT_OUTPUT_ROOT",
    "OUTPUT_ENV_VAR",
    "PARTITION_KEY",
    "WHOLE_DAY_FILE",
    "ParquetStore",
    "WrittenPartition",
    "agent_slug",
    "default_output_root",
    "split_slug",
]
