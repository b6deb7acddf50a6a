"""Turn failed HTTP exchanges into the errors of :mod:`llamacloud_etl.errors`, in one place.

:func:`api_error` decides the class of every error the client raises for a failed exchange, and
the class alone decides whether the client retries (see :mod:`llamacloud_etl.errors`).

Every error carries the method, the full URL (query included, headers never) and the status,
plus the API's ``detail``: the decoded ``{"detail": ...}`` value when the body is JSON, else the
body text, both truncated and passed through the :class:`Redactor`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pydantic

from llamacloud_etl.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    FatalAPIError,
    InvalidRequestError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RetriableAPIError,
    RetryRefusedError,
    RetryRequestedError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)

from ._redact import Redactor
from ._retry import parse_retry_after

MAX_DETAIL_CHARS = 2000
"""Longest body text kept as ``detail``, and longest JSON ``detail`` kept decoded."""

MAX_MESSAGE_DETAIL_CHARS = 300
"""Longest rendering of ``detail`` inside the exception message."""

_REASONS: dict[type[APIError], str] = {
    AuthenticationError: "authentication failed",
    NotFoundError: "not found",
    UnprocessableEntityError: "request rejected as unprocessable",
    RateLimitError: "rate limited",
    ServerError: "server error",
    BadRequestError: "bad request",
    FatalAPIError: "unexpected response status",
}

# httpx errors that are our own mistake, not the network's: sending again cannot help.
_NOT_SENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def error_class_for_status(status: int, headers: Mapping[str, str] | None = None) -> type[APIError]:
    """The error class for an HTTP error status and its response headers.

    By status: 401/403 :class:`AuthenticationError`, 404 :class:`NotFoundError`, 422
    :class:`UnprocessableEntityError`, 429 :class:`RateLimitError`, 408/409/5xx
    :class:`ServerError`, any other 4xx :class:`BadRequestError`; anything else that is not
    2xx (1xx, an unfollowed 3xx redirect) :class:`FatalAPIError`. A header
    ``x-should-retry: true|false`` that contradicts that class (``headers`` must look keys up
    case-insensitively, as ``httpx.Headers`` does) gives :class:`RetryRequestedError` or
    :class:`RetryRefusedError` instead; any other value of it is ignored.

    Examples:
        >>> error_class_for_status(404).__name__, error_class_for_status(502).__name__
        ('NotFoundError', 'ServerError')
        >>> error_class_for_status(404, {"x-should-retry": "true"}).__name__
        'RetryRequestedError'
        >>> error_class_for_status(503, {"x-should-retry": "false"}).__name__
        'RetryRefusedError'
    """
    return _as_the_server_says(_status_class(status), headers)


def api_error(
    method: str,
    url: str,
    outcome: httpx.Response | httpx.TransportError,
    redactor: Redactor,
    *,
    now: float,
) -> APIError:
    """The error to raise for a failed exchange: an error response, or an httpx transport error.

    The class says whether the client retries it: an error response gets
    :func:`error_class_for_status` of its status and headers (``x-should-retry`` included), a
    transport failure :class:`TransportError`, or :class:`InvalidRequestError` when httpx
    would not send the request at all. A retriable error response keeps the server's
    ``retry-after-ms``/``Retry-After`` delay as ``retry_after``. A transport error is chained
    as ``__cause__``, unless its message held the key.

    Args:
        method: HTTP method of the request.
        url: Full request URL, query included.
        outcome: The error response (non-2xx), or the httpx exception raised instead of one.
        redactor: Masks the API key in everything copied from the outcome.
        now: Current POSIX time, to turn an HTTP-date ``Retry-After`` into a delay.
    """
    url = redactor.text(url)
    if isinstance(outcome, httpx.TransportError):
        return _transport_error(method, url, outcome, redactor)
    status = outcome.status_code
    by_status = _status_class(status)
    cls = _as_the_server_says(by_status, outcome.headers)
    detail = response_detail(outcome, redactor)
    message = _REASONS.get(by_status, "API error")
    if cls is not by_status:
        message = f"{message} (x-should-retry: {outcome.headers['x-should-retry'].strip().lower()})"
    shown = render_detail(detail)
    if shown:
        message = f"{message}: {shown}"
    if issubclass(cls, RetriableAPIError):
        retry_after = parse_retry_after(outcome.headers, now=now)
        return cls(
            message, method=method, url=url, status_code=status, detail=detail, retry_after=retry_after
        )
    return cls(message, method=method, url=url, status_code=status, detail=detail)


def _status_class(status: int) -> type[APIError]:
    """The error class of a status alone (the table of :func:`error_class_for_status`)."""
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status == 422:
        return UnprocessableEntityError
    if status == 429:
        return RateLimitError
    if status in (408, 409) or 500 <= status <= 599:
        return ServerError
    if 400 <= status <= 499:
        return BadRequestError
    return FatalAPIError


def _as_the_server_says(cls: type[APIError], headers: Mapping[str, str] | None) -> type[APIError]:
    """``cls``, or its retriable/fatal variant when ``x-should-retry`` says the opposite."""
    hint = (headers or {}).get("x-should-retry", "").strip().lower()
    retriable = issubclass(cls, RetriableAPIError)
    if hint == "true" and not retriable:
        return RetryRequestedError
    if hint == "false" and retriable:
        return RetryRefusedError
    return cls


def _transport_error(method: str, url: str, exc: httpx.TransportError, redactor: Redactor) -> APIError:
    """The error for an exchange that got no response; ``url`` is already redacted."""
    cls: type[APIError] = TransportError
    if isinstance(exc, _NOT_SENT):
        cls, kind = InvalidRequestError, "request not sent"
    elif isinstance(exc, httpx.TimeoutException):
        kind = "timed out"
    else:
        kind = "transport error"
    text = redactor.text(str(exc)) or type(exc).__name__
    error = cls(f"{kind}: {type(exc).__name__}: {text}", method=method, url=url)
    if redactor.text(str(exc)) == str(exc):
        # Chain the httpx error for its traceback, unless its message held the key.
        error.__cause__ = exc
    return error


def response_detail(response: httpx.Response, redactor: Redactor) -> Any:
    """The API's ``detail`` of an error response: decoded JSON when possible, else truncated text."""
    text = redactor.text(response.text)
    try:
        body = json.loads(text)
    except ValueError:
        return _truncate(text.strip(), MAX_DETAIL_CHARS) or None
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if len(json.dumps(detail, default=str)) > MAX_DETAIL_CHARS:
        # A huge JSON detail (a 422 echoing a big input) is kept as truncated text instead.
        return _truncate(json.dumps(detail, default=str), MAX_DETAIL_CHARS)
    return detail


def render_detail(detail: Any) -> str:
    """A short one-line rendering of ``detail`` for an exception message.

    FastAPI validation errors (a list of ``{"loc", "msg"}``) become ``loc.path: msg; ...``.

    Examples:
        >>> render_detail([{"loc": ["path", "run_id"], "msg": "Input should be a valid UUID", "type": "x"}])
        'path.run_id: Input should be a valid UUID'
    """
    if detail is None or detail == "":
        return ""
    if isinstance(detail, str):
        text = detail
    elif isinstance(detail, list) and detail and all(isinstance(i, dict) and "msg" in i for i in detail):
        text = "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc') or ())}: {item['msg']}".lstrip(": ")
            for item in detail
        )
    else:
        text = json.dumps(detail, default=str)
    return _truncate(" ".join(text.split()), MAX_MESSAGE_DETAIL_CHARS)


def payload_error(
    method: str, url: str, model: str, exc: pydantic.ValidationError, redactor: Redactor
) -> PayloadError:
    """A :class:`PayloadError` for a 2xx body that is not a valid ``model``, naming model, URL and fields.

    Input values are left out of the message: they are API data, possibly large or sensitive.
    """
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [f"{'.'.join(str(p) for p in err['loc']) or '$'}: {err['msg']}" for err in errors[:3]]
    if len(errors) > 3:
        parts.append(f"... {len(errors) - 3} more")
    summary = redactor.text("; ".join(parts))
    return PayloadError(
        f"{method} {redactor.text(url)}: response body is not a valid {model} "
        f"({len(errors)} validation error{'s' if len(errors) != 1 else ''}: {summary})"
    )


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
