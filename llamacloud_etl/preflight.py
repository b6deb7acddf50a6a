"""Checks the command line makes before Dagster starts: the settings can work, without any request.

They build the same objects the landing will (the client from :class:`ApiSettings`, the
:class:`ParquetStore` over the output root), so a setting refused here is refused for the same
reason there, and add what the landing would only find out late: a missing key, and an output
root that is a file or cannot be created.
"""

from __future__ import annotations

import os
from pathlib import Path

from llamacloud_etl.errors import StorageError
from llamacloud_etl.settings import OUTPUT_ENV, ApiSettings, Settings


def check_api(settings: ApiSettings | None = None) -> ApiSettings:
    """The API settings of the environment, once a client accepts them (key present and
    well-formed, base URL usable: plain http only to a loopback host). Sends no request.

    Raises:
        ConfigurationError: what is wrong, and the variable to set.
    """
    from llamacloud_etl.client import LlamaCloudClient

    api = ApiSettings.from_env() if settings is None else settings
    LlamaCloudClient.from_settings(api).close()  # the client's own refusals: no key, bad URL, ...
    Settings.from_env()  # a malformed LLAMACLOUD_ETL_PROCESSES or _LOOKBACK_DAYS
    return api


def check_output(root: str) -> None:
    """Refuse an output root the landing could not write: a local path that is a file, or whose
    nearest existing parent is a file or not writable; a URL whose filesystem is not installed.

    Raises:
        StorageError: what is wrong with the root, and what to do.
    """
    from llamacloud_etl.storage import ParquetStore

    store = ParquetStore(root)  # an s3:// root without s3fs fails here
    if not store.is_local:
        return
    path = Path(store.path)
    if path.exists() and not path.is_dir():
        raise StorageError(
            f"the output {root!r} is a file, not a folder (set --output or {OUTPUT_ENV} to a "
            "folder, or move the file away)"
        )
    parent = next((p for p in (path, *path.parents) if p.exists()), None)
    if parent is None or not parent.is_dir():
        raise StorageError(f"the output {root!r} cannot be created: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StorageError(f"the output {root!r} cannot be written: no write permission on {parent}")
