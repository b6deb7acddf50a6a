"""Finding tables, days and files under a root on any fsspec filesystem.

Two ways to list, each where it is cheap:

* :func:`walk_tables` walks folders without entering day folders: its cost grows with the
  number of tables, not of days. It answers "which tables are there" and "which tables have
  this day" (``list_tables``, ``table_schema``, scoped removals).
* :func:`find_data_files` lists a table's tree in one recursive listing (one paginated request
  on object stores, where walking day folders would cost a request per day). It answers
  "which files does this table have" (``list_days``, ``read_table``).

Listings are not cached: s3fs and friends cache directory listings, and a stale one would hide
files written since, so every call invalidates the cache of what it lists.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from datetime import date
from typing import Any

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage.layout import (
    WHOLE_DAY_FILE,
    check_table_path,
    is_data_file,
    parse_partition_name,
    partition_name,
)


def join(root: str, *parts: str) -> str:
    """Join a root path on a filesystem and relative parts with ``/``."""
    return "/".join([root.rstrip("/"), *parts])


def list_files(fs: Any, directory: str) -> list[str]:
    """Paths of the files (not folders) directly in ``directory``, sorted; none if it is missing."""
    return sorted(str(entry["name"]) for entry in _ls(fs, directory) if entry.get("type") == "file")


def walk_tables(fs: Any, root: str, prefix: str | None = None) -> dict[str, list[date]]:
    """Table paths at or below ``prefix`` with the days they have a folder for (maybe an empty one)."""
    found: dict[str, list[date]] = {}
    pending = [prefix or ""]
    while pending:
        relative = pending.pop()
        for entry in _ls(fs, join(root, relative) if relative else root):
            if entry.get("type") != "directory":
                continue
            name = posixpath.basename(str(entry["name"]).rstrip("/"))
            day = parse_partition_name(name)
            if day is not None:
                if relative:
                    found.setdefault(relative, []).append(day)
            elif is_table_path(name):
                pending.append(f"{relative}/{name}" if relative else name)
    return found


def day_data_files(fs: Any, root: str, table: str, day: date) -> list[str]:
    """The data files of one day of one table (not of the tables below it), sorted."""
    return [p for p in list_files(fs, join(root, table, partition_name(day))) if _is_data_path(p)]


def newest_data_file(fs: Any, root: str, table: str, days: Iterable[date]) -> str | None:
    """The data file of the newest day folder of ``table`` that holds one.

    Of a day written in parts, the last part by name.
    """
    for day in sorted(days, reverse=True):
        files = [p for p in list_files(fs, join(root, table, partition_name(day))) if _is_data_path(p)]
        if files:
            whole = [path for path in files if posixpath.basename(path) == WHOLE_DAY_FILE]
            return (whole or files)[-1]
    return None


def find_data_files(fs: Any, root: str, table: str) -> list[tuple[str, date, str]]:
    """Every data file of a table and the tables below it, as (table path, day, path), sorted."""
    base = join(root, table)
    prefix = root.rstrip("/") + "/"
    try:
        fs.invalidate_cache(base)
        paths = fs.find(base)
    except FileNotFoundError:
        return []
    except Exception as exc:
        raise StorageError(f"cannot list {fs.unstrip_protocol(base)}: {exc}") from exc
    found: list[tuple[str, date, str]] = []
    for path in paths:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split("/")
        if len(parts) < 3 or not is_data_file(parts[-1]):
            continue
        day = parse_partition_name(parts[-2])
        found_table = "/".join(parts[:-2])
        if day is not None and is_table_path(found_table):
            found.append((found_table, day, path))
    return sorted(found)


def is_table_path(text: str) -> bool:
    """Whether ``text`` is a valid table path (see :mod:`llamacloud_etl.storage.layout`)."""
    try:
        check_table_path(text)
    except ValueError:
        return False
    return True


def _is_data_path(path: str) -> bool:
    return is_data_file(posixpath.basename(path))


def _ls(fs: Any, path: str) -> list[dict[str, Any]]:
    fs.invalidate_cache(path)
    try:
        return list(fs.ls(path, detail=True))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except Exception as exc:
        raise StorageError(f"cannot list {fs.unstrip_protocol(path)}: {exc}") from exc
