"""Turn failed HTTP exchanges into the errors of :mod:`llamacloud_etl.errors`, in one place.

Every error carries the method, the full URL (query included, headers never) and the status,
plus the API's ``detail``: the decoded ``{"detail": ...}`` value when the body is JSON, else the
body text, both truncated and passed through the :class:`Redactor`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pydantic

from llamacloud_etl.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    FatalAPIError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RetriableAPIError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)

from ._redact import Redactor

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


def error_class_for_status(status: int) -> type[APIError]:
    """The error class for an HTTP error status: the whole status table of the client.

    401/403 :class:`AuthenticationError`, 404 :class:`NotFoundError`, 422
    :class:`UnprocessableEntityError`, 429 :class:`RateLimitError`, 408/409/5xx
    :class:`ServerError`, any other 4xx :class:`BadRequestError`; anything else that is not
    2xx (1xx, an unfollowed 3xx redirect) :class:`FatalAPIError`.

    Examples:
        >>> error_class_for_status(404).__name__, error_class_for_status(502).__name__
        ('NotFoundError', 'ServerError')
    """
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


def api_error(
    method: str,
    url: str,
    outcome: httpx.Response | httpx.TransportError,
    redactor: Redactor,
    *,
    retry_after: float | None = None,
) -> APIError:
    """Map a failed exchange (an error response, or an httpx transport error) to an :class:`APIError`.

    Args:
        method: HTTP method of the request.
        url: Full request URL, query included.
        outcome: The error response (non-2xx), or the httpx exception raised instead of one.
        redactor: Masks the API key in everything copied from the outcome.
        retry_after: The server's parsed delay hint, kept on retriable errors.
    """
    url = redactor.text(url)
    if isinstance(outcome, httpx.TransportError):
        kind = "timed out" if isinstance(outcome, httpx.TimeoutException) else "transport error"
        text = redactor.text(str(outcome)) or type(outcome).__name__
        return TransportError(f"{kind}: {type(outcome).__name__}: {text}", method=method, url=url)
    status = outcome.status_code
    cls = error_class_for_status(status)
    detail = response_detail(outcome, redactor)
    message = _REASONS.get(cls, "API error")
    shown = render_detail(detail)
    if shown:
        message = f"{message}: {shown}"
    if issubclass(cls, RetriableAPIError):
        return cls(
            message, method=method, url=url, status_code=status, detail=detail, retry_after=retry_after
        )
    return cls(message, method=method, url=url, status_code=status, detail=detail)


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
