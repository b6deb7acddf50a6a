"""Thread-safe request counters, reported by the Dagster asset as metadata."""

from __future__ import annotations

import threading
from collections import Counter


class ClientStats:
    """Counts of what one client sent and got back. Safe to update from the fetch threads.

    ``requests`` counts HTTP attempts actually sent (a retried call counts once per attempt),
    ``retries`` counts waits-then-resend, ``transport_errors`` counts attempts that got no
    response, and ``status_counts`` counts responses by status code.
    """

    __slots__ = ("_lock", "_requests", "_retries", "_statuses", "_transport_errors")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._retries = 0
        self._transport_errors = 0
        self._statuses: Counter[int] = Counter()

    def __repr__(self) -> str:
        return (
            f"ClientStats(requests={self.requests}, retries={self.retries}, "
            f"transport_errors={self.transport_errors}, status_counts={self.status_counts})"
        )

    @property
    def requests(self) -> int:
        """HTTP attempts sent."""
        return self._requests

    @property
    def retries(self) -> int:
        """Attempts that were retries of an earlier failed attempt."""
        return self._retries

    @property
    def transport_errors(self) -> int:
        """Attempts that failed without a response (connection errors, timeouts)."""
        return self._transport_errors

    @property
    def status_counts(self) -> dict[int, int]:
        """Responses received, by status code (a copy)."""
        with self._lock:
            return dict(sorted(self._statuses.items()))

    def as_dict(self) -> dict[str, int]:
        """A flat snapshot for metadata: ``requests``, ``retries``, ``transport_errors``, ``status_<code>``.

        Examples:
            >>> stats = ClientStats()
            >>> stats.record_response(200)
            >>> stats.as_dict()
            {'requests': 1, 'retries': 0, 'transport_errors': 0, 'status_200': 1}
        """
        with self._lock:
            snapshot = {
                "requests": self._requests,
                "retries": self._retries,
                "transport_errors": self._transport_errors,
            }
            snapshot.update({f"status_{code}": n for code, n in sorted(self._statuses.items())})
        return snapshot

    def record_response(self, status: int) -> None:
        """Count one attempt that got a response with ``status``."""
        with self._lock:
            self._requests += 1
            self._statuses[status] += 1

    def record_transport_error(self) -> None:
        """Count one attempt that got no response."""
        with self._lock:
            self._requests += 1
            self._transport_errors += 1

    def record_retry(self) -> None:
        """Count one retry."""
        with self._lock:
            self._retries += 1
