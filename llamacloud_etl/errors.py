"""The exception tree of llamacloud-etl, sorted by what the caller should do.

    LlamaCloudError                      base of everything raised on purpose
    ├── ConfigurationError               bad settings: no key, key over plain http, unknown region
    ├── InvalidIdError (+ ValueError)    a malformed run/job/agent/configuration ID, rejected unsent
    ├── PaginationError                  a listing's server sent a page token again: paging would loop
    ├── RunNotReadyError                 a run that is not SUCCESS/ERROR yet (CREATED, PENDING)
    ├── APIError                         the API or the transport failed; carries method, URL, status
    │   ├── RetriableAPIError            retried: the client backs off and tries again
    │   │   ├── RateLimitError           429
    │   │   ├── ServerError              5xx, 408, 409
    │   │   ├── TransportError           connection refused/reset, timeouts (status is None)
    │   │   └── RetryRequestedError      any other status, sent with x-should-retry: true
    │   └── FatalAPIError                not retried: fix the request or the setup; also 1xx, 3xx
    │       ├── AuthenticationError      401, 403
    │       ├── NotFoundError            404
    │       ├── UnprocessableEntityError 422
    │       ├── BadRequestError          any other 4xx
    │       ├── RetryRefusedError        5xx, 408, 409, 429, sent with x-should-retry: false
    │       └── InvalidRequestError      httpx would not send the request (unsupported URL scheme, ...)
    ├── PayloadError                     a 2xx body that is not the model it should be
    ├── FlattenError                     a run's data/metadata cannot be flattened; names run and path
    └── StorageError                     writing or reading the Parquet dataset failed
        └── QueryError                   DuckDB rejected a query over the dataset (bad SQL)

The class alone decides retrying: the client retries an :class:`APIError` exactly when it is a
:class:`RetriableAPIError`. An error response gets the class of its status, unless the server's
``x-should-retry`` header contradicts that class: then it gets the variant that does what the
server says, :class:`RetryRequestedError` or :class:`RetryRefusedError`, whose ``status_code``
still tells the status. So ``except NotFoundError`` catches every 404 the server did not ask to
retry, and a 404 sent with ``x-should-retry: true`` is retried, and raised as a
:class:`RetryRequestedError` (``status_code == 404``) if it persists.

No error ever carries the API key: messages hold method, URL (query included, no headers) and
the API's own ``detail``.
"""

from __future__ import annotations

from typing import Any


class LlamaCloudError(Exception):
    """Base class of every error llamacloud-etl raises on purpose.

    Errors pickle with their message and attributes (a landing spread over processes brings a
    worker's error back to the caller), whatever their constructor's arguments.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConfigurationError(LlamaCloudError):
    """The configuration cannot work (missing key, key over plain http to a remote host, ...)."""


class InvalidIdError(LlamaCloudError, ValueError):
    """An ID is not of its kind's shape (v1: a UUID; v2: ``ext-...``/``cfg-...``); raised before any request.

    Attributes:
        kind: What the ID names (``run``, ``job``, ``configuration``, ...).
        value: The rejected value.
        expected: The shape it should have had, as the message says it.
    """

    def __init__(self, kind: str, value: object, expected: str | None = None) -> None:
        self.kind = kind
        self.value = value
        self.expected = expected or "a UUID such as 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        super().__init__(f"malformed {kind} ID {shown}: expected {self.expected}")


class PaginationError(LlamaCloudError):
    """A cursor listing's server sent a ``next_page_token`` it had sent before.

    Following it would ask for pages already read, forever; the listing stops instead. Not an
    :class:`APIError`, so it is never retried: asking again would get the same token.
    """


class RunNotReadyError(LlamaCloudError):
    """A run was asked for as finished but is still CREATED or PENDING."""

    def __init__(self, run_id: str, status: str) -> None:
        self.run_id = run_id
        self.status = status
        super().__init__(f"run {run_id} is {status}, not SUCCESS or ERROR: it lands once it completes")


class APIError(LlamaCloudError):
    """The API answered with an error status, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int | None = None,
        detail: Any = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.detail = detail
        where = f"{method} {url}"
        status = f" -> {status_code}" if status_code is not None else ""
        super().__init__(f"{message} ({where}{status})")


class RetriableAPIError(APIError):
    """A failure the client retries: rate limits, server errors, timeouts, dropped connections.

    Attributes:
        retry_after: The server's requested delay in seconds (``retry-after-ms`` or
            ``Retry-After``), or None when it gave none or an unreadable one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class RateLimitError(RetriableAPIError):
    """429 Too Many Requests."""


class ServerError(RetriableAPIError):
    """5xx, 408 or 409: the server could not answer now."""


class TransportError(RetriableAPIError):
    """Connection refused or reset, or a timeout: no HTTP status."""


class RetryRequestedError(RetriableAPIError):
    """A status that is otherwise not retried (a 400, a 404...), sent with ``x-should-retry: true``.

    The server asked for another attempt, so the client makes one; ``status_code`` is the status.
    """


class FatalAPIError(APIError):
    """A failure the client does not retry: retrying will not fix it."""


class AuthenticationError(FatalAPIError):
    """401 or 403: the key is missing, wrong, revoked, or has no access to this resource."""


class NotFoundError(FatalAPIError):
    """404: no such run, job or agent (or it belongs to another project)."""


class UnprocessableEntityError(FatalAPIError):
    """422: the API rejected the request's parameters."""


class BadRequestError(FatalAPIError):
    """Any other 4xx."""


class RetryRefusedError(FatalAPIError):
    """A status that is otherwise retried (a 503, a 429...), sent with ``x-should-retry: false``.

    The server said another attempt will not help, so the client makes none; ``status_code`` is
    the status.
    """


class InvalidRequestError(FatalAPIError):
    """httpx refused to send the request as built (an unsupported URL scheme, an invalid header).

    No status: nothing reached the server, and sending it again would fail the same way.
    """


class PayloadError(LlamaCloudError):
    """A successful response whose body does not match the expected model."""


class FlattenError(LlamaCloudError):
    """A run cannot be flattened. Names the run and the JSON path where it failed."""

    def __init__(self, run_id: str, path: str, reason: str) -> None:
        self.run_id = run_id
        self.path = path
        self.reason = reason
        super().__init__(f"cannot flatten run {run_id} at {path or '$'}: {reason}")


class StorageError(LlamaCloudError):
    """Writing or reading the Parquet dataset failed."""


class QueryError(StorageError):
    """DuckDB rejected a query over the dataset: the SQL, not the dataset, is at fault."""


def _rebuild(cls: type[LlamaCloudError], args: tuple[Any, ...], state: dict[str, Any]) -> LlamaCloudError:
    """Unpickle an error without calling its constructor (whose arguments differ from ``args``)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
