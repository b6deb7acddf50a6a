"""Fixtures for the storage and query tests: stores on local disk, on fsspec's memory filesystem and on S3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import fsspec
import pytest
from s3_server import *  # noqa: F403 (moto's S3 server on loopback, a bucket per test)

from llamacloud_etl.storage import ParquetStore


@pytest.fixture
def root(tmp_path) -> str:
    """A fresh local output root (not created yet)."""
    return str(tmp_path / "llamacloud_data")


@pytest.fixture
def store(root) -> ParquetStore:
    """A store over a fresh local root."""
    return ParquetStore(root)


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A fresh ``memory://`` root, removed afterwards (fsspec's memory filesystem is process-global)."""
    url = f"memory://llamacloud-etl-test-{uuid.uuid4().hex}"
    yield url
    fs, path = fsspec.core.url_to_fs(url)
    if fs.exists(path):
        fs.rm(path, recursive=True)
