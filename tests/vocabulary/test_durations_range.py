"""Durations past Go's range, NaN and infinities are refused with a message, never overflow."""

from __future__ import annotations

import pytest

from reconciler.vocabulary.durations import MAX_SECONDS, parse_duration


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        float("-inf"),
        float("nan"),
        1e999,
        -1e999,
        10**30,
        "9" * 40,
        "1e999",
        "Infinity",
        "NaN",
        "99999999999h",
        "-99999999999h",
        MAX_SECONDS + 1,
    ],
)
def test_out_of_range_and_non_finite_durations_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(3600, 3600), ("1h30m", 5400), (1.9, 1), ("-5s", -5), ("", 0), (MAX_SECONDS, MAX_SECONDS)],
)
def test_durations_in_range_still_parse(value: object, seconds: int) -> None:
    assert parse_duration(value) == seconds
