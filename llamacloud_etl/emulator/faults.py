"""Injected faults: what a fault can be, how the next one is chosen, and how it is answered.

A fault stands for the proxy in front of the API, so the app draws it before routing and auth.
Scripted faults (:meth:`FaultScripts.add`) fire first, in order, on the requests they match; then a
draw from a :class:`random.Random` seeded by the app's seed picks a fault at the app's ``fault_rate``,
so a seed repeats the same fault sequence. The knobs (``latency_ms``, ``fault_rate``, ``faults``,
``retry_after``, ``slow_ms``) are attributes of :class:`~llamacloud_etl.emulator.app.EmulatorApp`.

Examples:
    >>> scripts = FaultScripts(seed=0)
    >>> scripts.add("GET", "/api/v1/extraction/runs", [503, "drop"])
    >>> [scripts.draw("GET", "/api/v1/extraction/runs/x", rate=0.0, kinds=()) for _ in range(3)]
    [503, 'drop', None]
    >>> fault_response(429, retry_after=0.5).headers
    [('content-type', 'application/json'), ('retry-after', '0.5')]
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

from llamacloud_etl.emulator.routing import Response, detail

FaultSpec = int | str
"""A fault: an HTTP status (429 carries ``Retry-After``; 5xx the injected-error body), ``"drop"`` (close
the connection without answering) or ``"slow"`` (answer normally after ``slow_ms``)."""

DEFAULT_FAULTS: tuple[int | str, ...] = (429, 500, 503, "drop", "slow")

_INTERNAL = "Internal Server Error"


class DropConnection(ConnectionError):
    """Raised by the app to drop the connection without a response: the emulator's own signal.

    :class:`~llamacloud_etl.emulator.server.EmulatorServer` catches it and shuts the socket down, so a
    client over loopback sees a real dropped connection. Called in-process (a WSGI server or an
    in-process transport such as ``httpx.WSGITransport``), the app lets it propagate as is; turning it
    into a client library's transport error is the caller's business.
    """

    def __init__(self) -> None:
        super().__init__("the emulator dropped the connection without sending a response")


def check_fault(fault: FaultSpec) -> FaultSpec:
    """Return ``fault`` if it is a 4xx/5xx status, ``"drop"`` or ``"slow"``; raise ValueError otherwise."""
    if isinstance(fault, bool) or not isinstance(fault, int | str):
        raise ValueError(f"unknown fault {fault!r}")
    if isinstance(fault, int) and not 400 <= fault <= 599:
        raise ValueError(f"fault status must be 4xx or 5xx, not {fault}")
    if isinstance(fault, str) and fault not in ("drop", "slow"):
        raise ValueError(f"unknown fault {fault!r}: use an HTTP status, 'drop' or 'slow'")
    return fault


@dataclass
class _Script:
    method: str
    prefix: str
    faults: deque[FaultSpec]


class FaultScripts:
    """Scripted faults and the seeded random draw, behind one lock.

    Args:
        seed: seeds the random draws, so the same seed and requests give the same faults.
    """

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"llamacloud-emulator/{seed}/faults")
        self._scripts: list[_Script] = []

    def add(self, method: str, path_prefix: str, faults: Sequence[FaultSpec]) -> None:
        """Make the next requests matching ``method`` (or ``"*"``) and ``path_prefix`` fail in order."""
        checked = deque(check_fault(f) for f in faults)
        with self._lock:
            self._scripts.append(_Script(method.upper(), path_prefix, checked))

    def clear(self) -> None:
        """Forget all scripted faults that have not fired yet."""
        with self._lock:
            self._scripts.clear()

    def draw(self, method: str, path: str, *, rate: float, kinds: Sequence[FaultSpec]) -> FaultSpec | None:
        """The fault for this request: the first matching script's next one, else a draw at ``rate``."""
        with self._lock:
            for script in self._scripts:
                if script.faults and script.method in ("*", method) and path.startswith(script.prefix):
                    fault = script.faults.popleft()
                    if not script.faults:
                        self._scripts.remove(script)
                    return fault
            if rate > 0 and self._rng.random() < rate:
                return self._rng.choice(kinds)
        return None


def fault_response(fault: int, *, retry_after: float | None) -> Response:
    """The answer of an injected status: 429 with ``Retry-After`` (unless None), 5xx the error body."""
    if fault == HTTPStatus.TOO_MANY_REQUESTS:
        headers = []
        if retry_after is not None:
            seconds = float(retry_after)
            headers.append(("retry-after", str(int(seconds)) if seconds.is_integer() else repr(seconds)))
        return detail(429, "Too many requests", headers)
    if fault >= 500:
        return detail(fault, _INTERNAL)
    return detail(fault, HTTPStatus(fault).phrase)
