"""How long to wait between attempts, and stamina's retry hook that applies it to one request.

Whether a failure is retried is its error's class (see :mod:`llamacloud_etl.errors`); this module
only says how long to wait first. The server says how long when it can (``retry-after-ms``,
``Retry-After``, honoured up to 60 s as the official SDK does), otherwise the wait comes from
capped exponential backoff with jitter.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import stamina

from llamacloud_etl.errors import APIError, RetriableAPIError

logger = logging.getLogger("llamacloud_etl.client")


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long to wait between attempts.

    Without a usable server hint, the wait before retry ``n`` (0-based: retries already made) is
    ``min(initial * multiplier**n, maximum) * uniform(1 - jitter, 1)``; the defaults reproduce the
    official SDK (0.375-0.5 s, then 0.75-1 s, ..., at most 8 s). A server hint in
    ``(0, retry_after_cap]`` seconds is used exactly instead.

    Attributes:
        initial: Base wait before the first retry, in seconds.
        multiplier: Growth factor per retry.
        maximum: Cap of the computed (non-server) wait.
        jitter: Fraction of the wait that is randomised away (0 disables jitter).
        retry_after_cap: Largest server-given wait honoured; a longer one falls back to the
            computed wait (so a bogus ``Retry-After: 86400`` cannot stall a run).
        random: Source of uniform floats in [0, 1) for jitter.
        clock: Current POSIX time, to turn an HTTP-date ``Retry-After`` into a delay.

    Examples:
        >>> policy = BackoffPolicy(random=lambda: 0.0)
        >>> policy.wait(retries_made=2, retry_after=None)
        2.0
        >>> policy.wait(retries_made=0, retry_after=3.5)
        3.5
    """

    initial: float = 0.5
    multiplier: float = 2.0
    maximum: float = 8.0
    jitter: float = 0.25
    retry_after_cap: float = 60.0
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (self.initial >= 0 and self.maximum >= 0 and self.retry_after_cap >= 0):
            raise ValueError("BackoffPolicy waits must be non-negative")
        if self.multiplier < 1:
            raise ValueError("BackoffPolicy.multiplier must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("BackoffPolicy.jitter must be within [0, 1]")

    def wait(self, retries_made: int, retry_after: float | None) -> float:
        """Seconds to wait before the next attempt.

        Args:
            retries_made: Retries already made for this request (0 before the first retry).
            retry_after: The server's hint in seconds, if it gave one.
        """
        if retry_after is not None and 0 < retry_after <= self.retry_after_cap:
            return retry_after
        try:
            base = min(self.initial * self.multiplier**retries_made, self.maximum)
        except OverflowError:
            base = self.maximum
        return base * (1 - self.jitter * self.random())


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """The server's requested delay in seconds, from ``retry-after-ms`` or ``Retry-After``.

    ``retry-after-ms`` wins (milliseconds); ``Retry-After`` is seconds (a float is accepted) or an
    HTTP-date, measured against ``now``. Unparseable, infinite or NaN values give ``None``.
    ``headers`` must look keys up case-insensitively (``httpx.Headers`` does).

    Examples:
        >>> parse_retry_after({"retry-after": "2"}, now=0.0)
        2.0
        >>> parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}, now=0.0)
        0.25
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        ms = _finite_float(raw_ms)
        if ms is not None:
            return ms / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _finite_float(raw)
    if seconds is not None:
        return seconds
    try:
        moment = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        # RFC 9110 dates are GMT; parsedate_to_datetime leaves "-0000" naive.
        return None
    return moment.timestamp() - now


@dataclass(slots=True)
class RequestRetries:
    """The retries of one request: stamina's ``on`` hook, which also logs them.

    Passed as ``on=`` to ``stamina.retry_context``. After a failed attempt stamina calls it with
    the exception; it answers False (raise the exception) or the seconds to wait before the next
    attempt, which stamina sleeps (not under its test mode) and reports to its instrumentation
    hooks as ``RetryDetails.wait_for`` (0 under test mode).

    Attributes:
        method: HTTP method of the request, for the log lines.
        max_retries: Retries allowed after the first attempt.
        backoff: How long to wait.
        attempt: 1-based number of the attempt in progress; the request sets it on each attempt.

    Examples:
        >>> from llamacloud_etl.errors import NotFoundError, ServerError
        >>> retries = RequestRetries("GET", max_retries=1, backoff=BackoffPolicy(random=lambda: 0.0))
        >>> retries.attempt = 1
        >>> retries(ServerError("server error", method="GET", url="https://x.invalid", status_code=503))
        0.5
        >>> retries(NotFoundError("not found", method="GET", url="https://x.invalid", status_code=404))
        False
    """

    method: str
    max_retries: int
    backoff: BackoffPolicy
    attempt: int = 0

    def __call__(self, exc: Exception) -> bool | float:
        """False for an error not to retry, or with no retry left; else the wait before the next attempt."""
        if not isinstance(exc, RetriableAPIError) or self.attempt > self.max_retries:
            return False
        retries_made = self.attempt - 1
        delay = self.backoff.wait(retries_made, exc.retry_after)
        # A first retry is routine; a failure that persists deserves attention.
        logger.log(
            logging.INFO if retries_made == 0 else logging.WARNING,
            "retrying %s %s after %s: retry %d of %d in %.2f s%s",
            self.method,
            exc.url,
            _status_text(exc),
            retries_made + 1,
            self.max_retries,
            delay,
            " (as the server asked)" if delay == exc.retry_after else "",
        )
        return delay

    def giving_up(self, error: APIError) -> None:
        """Log that the retriable ``error`` of the last attempt ends the request."""
        logger.warning(
            "giving up on %s %s after %d attempts: %s",
            self.method,
            error.url,
            self.attempt,
            _status_text(error),
        )


def _status_text(error: APIError) -> str:
    """``503`` for an error response, the error's class name for a transport failure."""
    return str(error.status_code) if error.status_code is not None else type(error).__name__


def _finite_float(raw: str) -> float | None:
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class RetrySwitches:
    """stamina's process-wide switches, captured in one process and applied in another.

    A landing spread over worker processes applies the caller's switches in each worker, so
    ``stamina.set_active(False)`` or ``stamina.set_testing(True)`` reach the workers' retries too.
    Under testing mode the workers keep their clients' attempt counts (``max_retries + 1``) and
    skip the waits.
    """

    active: bool
    testing: bool

    @classmethod
    def current(cls) -> RetrySwitches:
        """The switches as they are in this process."""
        return cls(active=stamina.is_active(), testing=stamina.is_testing())

    def apply(self) -> None:
        """Set this process's switches to these."""
        stamina.set_active(self.active)
        stamina.set_testing(self.testing, attempts=_NO_CAP, cap=True)


_NO_CAP = 1_000_000
"""Testing mode caps attempts at this: in effect each call keeps its own count."""
