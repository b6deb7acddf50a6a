"""Unit tests of llamacloud_etl.landing.group: a landing's thread switch interval and garbage collection."""

from __future__ import annotations

import gc
import sys

import pytest
from landing_fakes import FIRST, LAST

from llamacloud_etl.landing import group, land_days
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore


def test_land_days_restores_the_thread_switch_interval(source: V1Source, store: ParquetStore) -> None:
    """The shorter switch interval is for the landing only; the process gets its own back."""
    before = sys.getswitchinterval()
    land_days(source, store, FIRST, LAST)
    assert sys.getswitchinterval() == before


def test_land_days_turns_automatic_garbage_collection_back_on(source: V1Source, store: ParquetStore) -> None:
    """Automatic collection is off for the landing only."""
    assert gc.isenabled()
    land_days(source, store, FIRST, LAST)
    assert gc.isenabled()


def test_land_days_leaves_automatic_garbage_collection_off_when_it_was(
    source: V1Source, store: ParquetStore
) -> None:
    """A caller that turned the collector off keeps it off."""
    gc.disable()
    try:
        land_days(source, store, FIRST, LAST)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_land_days_collects_reference_cycles_every_few_days(
    source: V1Source, store: ParquetStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With automatic collection off, the landing collects by itself, once per COLLECT_EVERY_DAYS days."""
    collections: list[bool] = []
    monkeypatch.setattr(group.gc, "collect", lambda generation=2: collections.append(gc.isenabled()) or 0)
    report = land_days(source, store, FIRST, LAST)
    assert len(collections) == len(report.days) // group.COLLECT_EVERY_DAYS > 0
    assert not any(collections)
