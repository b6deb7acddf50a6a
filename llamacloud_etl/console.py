"""What the command line tells an operator when something fails: an exit code and one short message.

Each failure class has its exit code and a message that says what failed, why, and what to do:

    0  OK             everything landed and every blocking check passed
    1  INTERNAL       an unexpected error (a bug): re-run with --debug for the trace
    2  USAGE          bad arguments: click's own, a malformed ID, an unknown run, SQL DuckDB rejects
    3  CONFIGURATION  a setting cannot work: no key, a refused base URL, an unknown agent
    4  AUTHENTICATION the API rejected the key (401, 403)
    5  API            the API is unreachable or keeps failing (after retries), or refused a request
    6  DATA           the data or the dataset: a payload or run that cannot be landed, a storage
                      error, a run not finished yet, a blocking asset check that failed

The same messages are the failure descriptions of Dagster runs (UI runs, schedules, sensors), so
this module knows nothing of Dagster. Messages never hold the key: the errors carry none, and
:func:`redact` takes out any that would slip in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from llamacloud_etl.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    FatalAPIError,
    InvalidIdError,
    InvalidRequestError,
    LlamaCloudError,
    QueryError,
    RetriableAPIError,
    StorageError,
)
from llamacloud_etl.settings import API_KEY_ENV, BASE_URL_ENV, OUTPUT_ENV, PROJECT_ENV


class ExitCode(IntEnum):
    """The command's exit status, one per class of failure (see the module docstring)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    CONFIGURATION = 3
    AUTHENTICATION = 4
    API = 5
    DATA = 6


@dataclass(frozen=True)
class Problem:
    """A failure as the operator sees it: the exit code and a message with what to do."""

    code: ExitCode
    message: str


def describe(exc: BaseException, secrets: tuple[str, ...] = ()) -> Problem:
    """The exit code and the message for ``exc``, with ``secrets`` (the key) taken out.

    Examples:
        >>> describe(ConfigurationError("LLAMA_CLOUD_API_KEY is not set")).code
        <ExitCode.CONFIGURATION: 3>
    """
    code, message = _classify(exc)
    return Problem(code, redact(message, secrets))


def _classify(exc: BaseException) -> tuple[ExitCode, str]:
    if isinstance(exc, InvalidIdError | QueryError):
        return ExitCode.USAGE, f"{_text(exc)}."
    if isinstance(exc, ConfigurationError | InvalidRequestError):
        return ExitCode.CONFIGURATION, f"configuration error: {_text(exc)}."
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION, (
            f"the API rejected the key ({exc.status_code} on {exc.method} {exc.url}). "
            f"Check {API_KEY_ENV} (and {PROJECT_ENV} when set), then run again."
        )
    if isinstance(exc, RetriableAPIError):
        return ExitCode.API, (
            f"the API is unavailable: {_text(exc)}, after the client's retries. "
            f"Check {BASE_URL_ENV} and the network, or try again later."
        )
    if isinstance(exc, FatalAPIError | APIError):
        return ExitCode.API, f"the API refused a request: {_text(exc)}."
    if isinstance(exc, StorageError):
        hint = "" if OUTPUT_ENV in str(exc) else f" Check --output ({OUTPUT_ENV}): a folder you can write to."
        return ExitCode.DATA, f"storage error: {_text(exc)}.{hint}"
    if isinstance(exc, LlamaCloudError):
        return ExitCode.DATA, f"{_text(exc)}."
    name = type(exc).__name__
    return ExitCode.INTERNAL, (
        f"unexpected error: {name}: {_text(exc)}. Run again with --debug for the trace, and report it."
    )


def _text(exc: BaseException) -> str:
    return str(exc).strip().rstrip(".")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret of four characters or more replaced by ``***``.

    Examples:
        >>> redact("key llx-abc123 refused", ("llx-abc123", ""))
        'key *** refused'
    """
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
