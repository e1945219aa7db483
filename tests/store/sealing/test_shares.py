"""KeyShares: distinct shares toward a threshold rebuild the secret and are zeroed after."""

from __future__ import annotations

import secrets

import pytest

from reconciler.store.sealing import shamir
from reconciler.store.sealing.shares import KeyShares


def test_a_threshold_of_distinct_shares_rebuilds_the_secret() -> None:
    secret = secrets.token_bytes(32)
    parts = shamir.split(secret, 5, 3)
    shares = KeyShares(3)
    assert shares.add(parts[0]) and not shares.add(parts[0])  # a repeat is not held twice
    assert shares.progress == 1 and not shares.complete
    shares.add(parts[3])
    shares.add(parts[4])
    assert shares.complete
    assert shares.combine() == secret
    assert shares.progress == 0  # combine zeroes and forgets the shares


def test_shares_that_cannot_belong_together_are_refused_and_zeroed() -> None:
    shares = KeyShares(2)
    shares.add(shamir.split(secrets.token_bytes(32), 3, 2)[0])
    shares.add(shamir.split(secrets.token_bytes(16), 3, 2)[0])  # another length
    with pytest.raises(ValueError):
        shares.combine()
    assert shares.progress == 0


def test_clear_zeroes_the_held_bytes() -> None:
    shares = KeyShares(2)
    shares.add(b"\x01" * 33)
    held = shares._parts[0]
    shares.clear()
    assert held == bytearray(33) and shares.progress == 0
