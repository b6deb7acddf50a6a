"""A day's extraction quality: per agent exact, summed over agents within a 1% bin."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from llamacloud_etl.landing.quality import BINS, Quality, _confidence, pack_bins, total, unpack_bins


def _scored(*scores: float | None) -> Quality:
    return _confidence(pa.chunked_array([list(scores)], type=pa.float64()), threshold=0.5)


def test_one_agents_quality_has_its_exact_lower_10th_percentile() -> None:
    """One agent's p10 is the sorted scores' element at floor(0.1 * (n - 1)); nulls are not scored."""
    quality = _scored(0.9, None, 0.05, 0.3, 0.99, 1.0, 0.42, 0.1, 0.77, 0.6, 0.61, 0.2)
    assert quality.scored == 11 and quality.low == 5
    assert quality.confidence_p10 == 0.1
    assert math.isclose(quality.confidence_mean or 0, 5.94 / 11)


def test_summed_qualities_keep_counts_and_give_the_p10_to_a_hundredth() -> None:
    """Summed over agents, counts and means stay exact, and the p10 is its 1% bin's lower edge."""
    first, second = _scored(0.93, 0.456, 0.8), _scored(0.123, 0.9, 0.7, 0.95)
    both = total([first, second, Quality(runs=2, errored=1)])
    assert (both.scored, both.low, both.runs, both.errored, both.error_rate) == (7, 2, 2, 1, 0.5)
    assert both.confidence_p10 == 0.12  # exact: 0.123
    assert both.credits is None


def test_an_unscored_day_has_no_confidence_numbers() -> None:
    """No scores: no mean, percentile or share, rather than zeros."""
    quality = total([Quality(runs=3)])
    assert quality.confidence_mean is quality.confidence_p10 is quality.low_share is None


@pytest.mark.parametrize("top", [1, 65_535, 65_536, 2**32, 2**40])
def test_packed_bins_come_back_whatever_their_counts(top: int) -> None:
    """Bins packed in the narrowest integers that hold their counts unpack to the same pairs."""
    pairs = [(0, 1), (57, top), (BINS, 3)]
    assert unpack_bins(pack_bins(pairs)) == pairs
