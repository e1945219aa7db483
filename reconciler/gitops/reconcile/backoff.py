"""Exponential backoff while failing: doubles per failure, capped, reset by a success."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Backoff:
    """The delay before the next run.

    Invariant: after `n` consecutive failures the delay is
    `min(initial * 2 ** (n - 1), maximum)`; after a success it is `interval`.
    """

    interval: float
    initial: float
    maximum: float
    failures: int = 0

    def success(self) -> float:
        """Record a success; the delay is the regular interval again."""
        self.failures = 0
        return self.interval

    def failure(self) -> float:
        """Record a failure; the delay grows exponentially up to the cap."""
        self.failures += 1
        exponent = min(self.failures - 1, 62)
        return float(min(self.initial * 2**exponent, self.maximum))
