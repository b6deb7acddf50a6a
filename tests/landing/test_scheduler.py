"""Unit tests of llamacloud_etl.landing.scheduler: listings side by side, in step, stopped together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from landing_fakes import FIRST, LAST, Breaking, Delegating, Pacing, paged

from llamacloud_etl.emulator import Dataset
from llamacloud_etl.errors import ServerError, StorageError
from llamacloud_etl.landing import land_days
from llamacloud_etl.run import Agent, Run, day_bounds
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore


def test_land_days_keeps_every_listing_within_a_day_of_the_slowest(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """An agent never lists on while it is more than LEAD_DAYS ahead of the slowest agent (memory)."""
    pacing = Pacing(paged(source, 2), dataset.agent_named("Invoices")["id"])
    land_days(pacing, store, FIRST - timedelta(days=20), LAST)
    assert pacing.asked > 5 and pacing.too_far == []


class _FailingStore(ParquetStore):
    """A store whose second day write fails, as a full disk would."""

    writes = 0

    def replace_day(self, *args: Any, **kwargs: Any) -> Any:
        self.writes += 1
        if self.writes == 2:
            raise StorageError("disk full")
        return super().replace_day(*args, **kwargs)


def test_land_days_stops_every_listing_when_a_write_fails(source: V1Source, tmp_path: Path) -> None:
    """A failed write ends the landing with its error, and no listing thread is left running."""
    with pytest.raises(StorageError, match="disk full") as failure:
        land_days(paged(source, 2), _FailingStore(str(tmp_path)), FIRST, LAST)
    # The exception (and so its traceback) is still held here, as a caller's handler would hold it.
    assert failure.value is not None
    assert not [t for t in threading.enumerate() if t.name.startswith("llamacloud-list")]


def test_land_days_fails_with_a_listing_error_and_stops_the_other_listings(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """An agent's listing error is the landing's error; the other listings stop with it."""
    breaking = Breaking(paged(source, 2), dataset.agent_named("Invoices")["id"])
    with pytest.raises(ServerError):
        land_days(breaking, store, FIRST - timedelta(days=30), LAST)
    assert not [t for t in threading.enumerate() if t.name.startswith("llamacloud-list")]


class _Bounds(Delegating):
    """Records the ``(since, until)`` of every listing."""

    def __init__(self, inner: V1Source) -> None:
        super().__init__(inner)
        self.asked: list[tuple[datetime, datetime | None]] = []

    def list_runs(self, agent: Agent, since: datetime, until: datetime | None = None) -> Iterator[list[Run]]:
        self.asked.append((since, until))
        return super().list_runs(agent, since, until)


def test_land_days_lists_each_agent_up_to_the_end_of_its_range(source: V1Source, store: ParquetStore) -> None:
    """Each listing is bounded by the range on both ends, so a source can seek past newer runs."""
    bounds = _Bounds(source)
    land_days(bounds, store, FIRST, LAST)
    assert bounds.asked and set(bounds.asked) == {day_bounds(FIRST, LAST)}
