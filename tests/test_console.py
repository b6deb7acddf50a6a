"""The operator's message and exit code for each class of failure."""

from __future__ import annotations

import pytest

from llamacloud_etl.console import ExitCode, describe
from llamacloud_etl.errors import (
    AuthenticationError,
    ConfigurationError,
    FlattenError,
    InvalidIdError,
    NotFoundError,
    QueryError,
    ServerError,
    StorageError,
    TransportError,
)

URL = "https://api.cloud.llamaindex.ai/api/v1/extraction/runs"


@pytest.mark.parametrize(
    ("error", "code", "hint"),
    [
        pytest.param(InvalidIdError("run", "x"), ExitCode.USAGE, "UUID", id="malformed-id"),
        pytest.param(QueryError("query failed: no view"), ExitCode.USAGE, "no view", id="bad-sql"),
        pytest.param(
            ConfigurationError("no key"), ExitCode.CONFIGURATION, "configuration error", id="config"
        ),
        pytest.param(
            AuthenticationError("denied", method="GET", url=URL, status_code=401),
            ExitCode.AUTHENTICATION,
            "LLAMA_CLOUD_API_KEY",
            id="auth",
        ),
        pytest.param(
            TransportError("refused", method="GET", url=URL), ExitCode.API, "LLAMA_CLOUD_BASE_URL", id="down"
        ),
        pytest.param(
            ServerError("unavailable", method="GET", url=URL, status_code=503), ExitCode.API, "503", id="503"
        ),
        pytest.param(
            NotFoundError("no such run", method="GET", url=URL, status_code=404),
            ExitCode.API,
            "404",
            id="404",
        ),
        pytest.param(StorageError("disk full"), ExitCode.DATA, "LLAMACLOUD_ETL_OUTPUT", id="storage"),
        pytest.param(FlattenError("r1", "$.a", "bad"), ExitCode.DATA, "cannot flatten run r1", id="flatten"),
        pytest.param(RuntimeError("boom"), ExitCode.INTERNAL, "--debug", id="bug"),
    ],
)
def test_each_class_gets_its_exit_code_and_a_hint(error: BaseException, code: ExitCode, hint: str) -> None:
    """Every class of failure maps to its documented exit code and a message that says what to do."""
    problem = describe(error)
    assert problem.code == code
    assert hint in problem.message
    assert "\n" not in problem.message


def test_a_key_that_slips_into_a_message_is_redacted() -> None:
    """A secret passed to describe never reaches the message."""
    problem = describe(RuntimeError("token llx-secret-123 in text"), ("llx-secret-123",))
    assert "llx-secret-123" not in problem.message
    assert "***" in problem.message
