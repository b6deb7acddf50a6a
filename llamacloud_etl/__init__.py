"""llamacloud-etl: land LlamaCloud extraction runs as typed, hive-partitioned Parquet."""

__version__ = "0.1.0"
