"""A table's schema record: its current (unified) Arrow schema and version, updated by compare-and-swap.

Landings that write different days of one table at the same time (Dagster runs of one backfill,
perhaps on different machines) agree on the table's schema through this record, never through
each other's data files::

    <root>/<table path>/_schema/v00000001.json
    <root>/<table path>/_schema/v00000002.json     the current version: the highest number

Each version is a new object, created **only if its name is free**; the highest version is the
current schema. Publishing version ``n + 1`` is the compare-and-swap: of two writers that read
version ``n`` and publish at once, exactly one creates ``v(n+1)``, the other is told it lost,
re-reads the record, unifies its schema with the winner's and tries ``n + 2``
(:meth:`SchemaRecords.update`). How "create only if free" is made atomic:

* **Local disk**: the version is written whole to a hidden temporary file, then hard-linked onto
  its final name with :func:`os.link`, which fails if the name exists. Readers never see a
  partial record.
* **S3** (s3fs): one PUT with ``If-None-Match: *`` (``S3FileSystem.pipe_file(..., mode="create")``),
  which S3 has honoured since 2024 (moto too); the loser gets ``412 Precondition Failed``.
* **memory://** and other fsspec filesystems: ``pipe_file(mode="create")``; atomic for memory
  (one process), a check-then-write for filesystems without a conditional write, which is not safe
  for concurrent writers.

Folders and files starting with ``_`` are no tables and no data files (see
:mod:`llamacloud_etl.storage.layout`), so readers' ``*.parquet`` globs and the store's listings
never see the record. Versions are kept (a few bytes each, one per schema change).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import posixpath
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage.layout import check_table_path, temp_file_name
from llamacloud_etl.storage.listing import join, list_files

SCHEMA_FOLDER = "_schema"
"""The folder of a table's schema record, next to its day folders."""
MAX_ATTEMPTS = 100
"""Publishing attempts before :meth:`SchemaRecords.update` gives up (each lost one means another
writer's version won, so this bounds contention, not time)."""

_VERSION_FILE = re.compile(r"v(\d{8})\.json")

Merge = Callable[["pa.Schema | None"], "pa.Schema"]
"""Given the record's current schema (None when there is no record), the schema to publish."""


@dataclass(frozen=True)
class SchemaVersion:
    """One version of a table's schema record."""

    version: int
    schema: pa.Schema


class SchemaRecords:
    """The schema records of the tables under a dataset root.

    Args:
        fs: the store's fsspec filesystem.
        root: the root's path on ``fs``.
        is_local: whether ``fs`` is the local disk.
    """

    def __init__(self, fs: Any, root: str, *, is_local: bool) -> None:
        self.fs = fs
        self.root = root
        self.is_local = is_local

    def folder(self, table: str) -> str:
        """The path of a table's record folder on ``fs``."""
        return join(self.root, check_table_path(table), SCHEMA_FOLDER)

    def read(self, table: str) -> SchemaVersion | None:
        """The table's current version, or None when it has no record."""
        versions = sorted(
            (int(match[1]), path)
            for path in list_files(self.fs, self.folder(table))
            if (match := _VERSION_FILE.fullmatch(posixpath.basename(path)))
        )
        if not versions:
            return None
        version, path = versions[-1]
        try:
            body = self.fs.cat_file(path)
        except Exception as exc:
            raise StorageError(f"cannot read {self.fs.unstrip_protocol(path)}: {exc}") from exc
        return SchemaVersion(version, decode(body))

    def publish(self, table: str, version: int, schema: pa.Schema) -> bool:
        """Create ``version`` of the table's record; False when another writer created it first."""
        path = f"{self.folder(table)}/v{version:08d}.json"
        body = encode(table, version, schema)
        try:
            if self.is_local:
                return _create_local(path, body)
            return _create_remote(self.fs, path, body)
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(f"cannot write {self.fs.unstrip_protocol(path)}: {exc}") from exc

    def update(self, table: str, merge: Merge) -> SchemaVersion:
        """Publish ``merge(current)`` as the next version, retrying on a lost race; the version now current.

        Nothing is published when ``merge`` gives back the current schema (metadata included).

        Raises:
            StorageError: the record cannot be read or written, or :data:`MAX_ATTEMPTS` races were lost.
        """
        for _ in range(MAX_ATTEMPTS):
            current = self.read(table)
            merged = merge(None if current is None else current.schema)
            if current is not None and merged.equals(current.schema, check_metadata=True):
                return current
            version = 1 if current is None else current.version + 1
            if self.publish(table, version, merged):
                return SchemaVersion(version, merged)
        raise StorageError(f"gave up updating the schema record of {table}: {MAX_ATTEMPTS} races lost")


def encode(table: str, version: int, schema: pa.Schema) -> bytes:
    """A record version's bytes: the same schema always gives the same bytes."""
    document = {
        "table": table,
        "version": version,
        # For people; the Arrow IPC bytes below are what is read back.
        "columns": [[f.name, str(f.type)] for f in schema],
        "arrow_schema": base64.b64encode(schema.serialize().to_pybytes()).decode("ascii"),
    }
    return (json.dumps(document, indent=1) + "\n").encode()


def decode(body: bytes) -> pa.Schema:
    """The Arrow schema of a record version's bytes."""
    try:
        raw = base64.b64decode(json.loads(body)["arrow_schema"])
        return pa.ipc.read_schema(pa.py_buffer(raw))
    except (ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        raise StorageError(f"malformed schema record: {exc}") from exc


def _create_local(path: str, body: bytes) -> bool:
    """Write ``path`` whole if it does not exist yet: a temporary file hard-linked onto its name."""
    folder, name = posixpath.split(path)
    os.makedirs(folder, exist_ok=True)
    temp = posixpath.join(folder, temp_file_name(name, uuid.uuid4().hex))
    try:
        with open(temp, "xb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(OSError):
            os.remove(temp)
    return True


def _create_remote(fs: Any, path: str, body: bytes) -> bool:
    """Create ``path`` in one conditional PUT (``If-None-Match: *`` on S3)."""
    try:
        fs.pipe_file(path, body, mode="create")
    except FileExistsError:
        return False
    except OSError as exc:
        # s3fs maps a 412 to FileExistsError only when S3 names the failed condition; otherwise
        # to an EINVAL OSError. The name being taken now means another writer won.
        fs.invalidate_cache(path)
        if exc.errno == errno.EINVAL and fs.exists(path):
            return False
        raise
    return True
