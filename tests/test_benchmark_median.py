"""The benchmark's reduction of repeated runs to one row: the run of median time."""

from __future__ import annotations

from benchmarks._harness import Measurement, median_of


def _ran(seconds: float, status: str = "ok") -> Measurement:
    return Measurement("e2e", "someone", runs=1000, seconds=seconds, status=status)


def test_the_run_of_median_time_stands_for_the_repeats() -> None:
    """Of 3 repeats, the middle one by time is kept, and the note lists every repeat's rate."""
    chosen = median_of([_ran(10.0), _ran(8.0), _ran(12.5)])
    assert chosen.seconds == 10.0
    assert chosen.note.startswith("median of 3 runs (100, 125, 80 runs/s)")


def test_an_even_count_keeps_the_lower_median() -> None:
    """Of 2 repeats, the faster is kept: every contender repeated alike is reduced alike."""
    assert median_of([_ran(10.0), _ran(8.0)]).seconds == 8.0


def test_failed_repeats_are_left_out_and_counted() -> None:
    """A failed repeat does not count toward the median; the note says how many failed."""
    chosen = median_of([_ran(0.0, "failed"), _ran(9.0), _ran(11.0), _ran(10.0)])
    assert chosen.seconds == 10.0 and "1 failed" in chosen.note


def test_a_single_run_is_kept_as_it_is() -> None:
    """Without repeats, the row is the run, note untouched."""
    single = _ran(7.0)
    assert median_of([single]) is single and single.note == ""
