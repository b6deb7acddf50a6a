"""Which version of a data file is in place, and replacing it only if it still is (compare-and-swap).

A landing that conforms a day another landing wrote reads the day's file, converts it and writes
it back. If the day's owner writes new rows in between, an unconditional write would put the old
rows back over them. So that write is conditional on the file being the one read
(:meth:`~llamacloud_etl.storage.ParquetStore.replace_day_if`); when it is not, nothing is written
and the caller reads the newer file. How "replace only if unchanged" is made atomic:

* **Local disk**: every write (and the removal of a whole day) renames its file into place while
  holding an exclusive :func:`fcntl.flock` on the day's folder; a conditional write compares the
  file in place with the one read (device, inode, size, modification and change times in
  nanoseconds: each write is a new file, renamed in) under that lock, just before its
  :func:`os.replace`. The lock is held for the check and the rename only, never while encoding.
  Windows has no ``flock``: there the check and the rename are not atomic.
* **S3** (s3fs): one ``PutObject`` with ``If-Match: <ETag read>``; S3 (and moto) refuse it with
  ``412 Precondition Failed`` when the object changed, ``404`` when it is gone, and may answer a
  concurrent conditional write with ``409 ConditionalRequestConflict``: all three mean "changed".
* **memory://** and other fsspec filesystems: the check and the write happen under one lock of this
  process, which every write of the store in this process takes too: atomic for ``memory://`` (one
  process), a check-then-write for filesystems shared between processes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class VersionMismatch(Exception):
    """The file to replace is no longer the version read: nothing was written."""


@dataclass(frozen=True)
class FileVersion:
    """One version of a data file: local stat fields, an S3 ETag, or another filesystem's info fields."""

    token: tuple[Any, ...]


PROCESS_LOCK = threading.Lock()
"""Makes check-then-write atomic on filesystems without a conditional write (within one process)."""


def is_s3(fs: Any) -> bool:
    """Whether ``fs`` is s3fs, whose ``PutObject`` takes ``IfMatch``."""
    protocol = fs.protocol
    return "s3" in ((protocol,) if isinstance(protocol, str) else tuple(protocol))


def stat_version(stat: os.stat_result) -> FileVersion:
    """The version of a local file: a write renames a new file in, so all of these change."""
    return FileVersion((stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))


def local_version(path: str) -> FileVersion | None:
    """The version of the local file at ``path``; None when there is none."""
    try:
        return stat_version(os.stat(path))
    except FileNotFoundError:
        return None


def remote_version(fs: Any, path: str) -> FileVersion | None:
    """The version of ``path`` on a remote filesystem, asked of the store (not a cache); None if absent."""
    fs.invalidate_cache(path)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return None
    if is_s3(fs):
        return FileVersion((info["ETag"],))
    return FileVersion((info.get("size"), info.get("created"), info.get("mtime"), info.get("ETag")))


@contextlib.contextmanager
def locked_folder(directory: str) -> Iterator[None]:
    """Hold an exclusive lock on a local day folder (see the module docstring).

    The folder may be removed and made again while we wait; the lock is then taken again on the
    folder now at that path.

    Raises:
        FileNotFoundError: the folder is gone.
    """
    if sys.platform == "win32":  # pragma: no cover - no flock; the rename stays atomic
        yield
        return
    import fcntl

    while True:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held, now = os.fstat(fd), os.stat(directory)
        except BaseException:
            os.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            break
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


def put_if_match(fs: Any, path: str, body: bytes, expected: FileVersion) -> None:
    """PUT ``body`` to ``path`` on S3 only if its ETag is still ``expected``'s, in one request.

    Raises:
        VersionMismatch: the object changed or is gone.
    """
    bucket, key, _ = fs.split_path(path)
    try:
        # One PutObject whatever the size (up to S3's 5 GB): s3fs's multipart path drops IfMatch.
        fs.call_s3("put_object", Bucket=bucket, Key=key, Body=body, IfMatch=expected.token[0])
    except FileNotFoundError as exc:
        raise VersionMismatch(path) from exc
    except OSError as exc:  # s3fs: 412 PreconditionFailed is EINVAL, 409 ConditionalRequestConflict EBUSY
        if exc.errno in (errno.EINVAL, errno.EBUSY):
            raise VersionMismatch(path) from exc
        raise
    finally:
        fs.invalidate_cache(path)
