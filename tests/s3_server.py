"""Fixtures of tests that write to S3: moto's S3 server on loopback, a fresh bucket per test.

As in s3fs's own test suite, a ``ThreadedMotoServer`` serves the S3 API over real HTTP on
``127.0.0.1`` (a free port), started once per session; s3fs talks to it through
``endpoint_url``. Credentials and region are dummies set per test, and AWS's config files and
instance metadata are switched off, so no request leaves loopback. s3fs caches its filesystems
per set of options; the cache is cleared around each test.

Star-imported by the conftests that need it (``from s3_server import *``); moto and s3fs are
imported by the fixtures, so tests that use none of them do not pay for the imports.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["s3_admin", "s3_bucket", "s3_endpoint", "s3_options", "s3_root"]

CREDENTIALS = {"key": "testing", "secret": "testing"}
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of moto's S3 server on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_admin(s3_endpoint: str) -> Any:
    """A filesystem of its own (outside s3fs's instance cache), to make buckets and check objects."""
    import s3fs

    return s3fs.S3FileSystem(**CREDENTIALS, endpoint_url=s3_endpoint, skip_instance_cache=True)


@pytest.fixture
def s3_options(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The ``storage_options`` that point s3fs at the server, with dummy credentials in the environment."""
    import s3fs

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["secret"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # the developer's ~/.aws is not read
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    s3fs.S3FileSystem.clear_instance_cache()
    yield {"endpoint_url": s3_endpoint}
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def s3_bucket(s3_options: dict[str, Any], s3_admin: Any) -> str:
    """A new, empty bucket on the server."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    s3_admin.mkdir(name)
    return name


@pytest.fixture
def s3_root(s3_bucket: str) -> str:
    """An output root in a fresh bucket (``s3://<bucket>/lake``), not written yet."""
    return f"s3://{s3_bucket}/lake"
