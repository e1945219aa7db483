"""Shamir secret sharing over GF(256): round trips, thresholds and input validation."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.store.sealing import shamir


@st.composite
def split_cases(draw: st.DrawFn) -> tuple[bytes, int, int, list[bytes]]:
    secret = draw(st.binary(min_size=1, max_size=48))
    shares = draw(st.integers(min_value=2, max_value=12))
    threshold = draw(st.integers(min_value=2, max_value=shares))
    return secret, shares, threshold, shamir.split(secret, shares, threshold)


@given(split_cases(), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_any_threshold_subset_recovers(
    case: tuple[bytes, int, int, list[bytes]], rnd: random.Random
) -> None:
    secret, _shares, threshold, parts = case
    subset = rnd.sample(parts, rnd.randint(threshold, len(parts)))
    assert shamir.combine(subset) == secret


@given(st.binary(min_size=16, max_size=33), st.integers(min_value=3, max_value=8))
@settings(max_examples=40, deadline=None)
def test_fewer_than_threshold_does_not_recover(secret: bytes, threshold: int) -> None:
    parts = shamir.split(secret, threshold + 1, threshold)
    for subset in itertools.combinations(parts, threshold - 1):
        # 16+ random bytes: equal only with probability 2**-128
        assert shamir.combine(list(subset)) != secret


def test_every_subset_of_three_of_five() -> None:
    secret = bytes(range(32))
    parts = shamir.split(secret, 5, 3)
    for subset in itertools.combinations(parts, 3):
        assert shamir.combine(list(subset)) == secret


def test_share_layout() -> None:
    parts = shamir.split(b"\x01" * 32, 255, 2)
    assert all(len(part) == 33 for part in parts)
    xs = [part[-1] for part in parts]
    assert sorted(xs) == list(range(1, 256))  # distinct, nonzero, all used with 255 shares


def test_known_vector_from_polynomial() -> None:
    # f(x) = 0x2a + 0x01*x over GF(256): f(1) = 0x2b, f(2) = 0x28
    assert shamir.combine([bytes([0x2B, 1]), bytes([0x28, 2])]) == b"\x2a"


def test_duplicate_parts_rejected() -> None:
    parts = shamir.split(b"secret-bytes", 3, 2)
    with pytest.raises(ValueError, match="duplicate part"):
        shamir.combine([parts[0], parts[0]])


def test_same_x_different_y_rejected() -> None:
    parts = shamir.split(b"secret-bytes", 3, 2)
    forged = bytes([parts[0][0] ^ 1]) + parts[0][1:]
    with pytest.raises(ValueError, match="duplicate part"):
        shamir.combine([parts[0], forged])


@pytest.mark.parametrize(
    ("secret", "shares", "threshold", "message"),
    [
        (b"", 3, 2, "empty"),
        (b"s", 2, 3, "less than threshold"),
        (b"s", 256, 3, "exceed 255"),
        (b"s", 3, 1, "at least 2"),
    ],
)
def test_split_validation(secret: bytes, shares: int, threshold: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shamir.split(secret, shares, threshold)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([b"\x01\x02"], "less than two"),
        ([b"\x01", b"\x02"], "at least two bytes"),
        ([b"\x01\x02", b"\x01\x02\x03"], "same length"),
        ([b"\x01\x00", b"\x01\x02"], "x-coordinate 0"),
    ],
)
def test_combine_validation(parts: list[bytes], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shamir.combine(parts)
