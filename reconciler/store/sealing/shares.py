"""Key shares given one call at a time toward a threshold: unseal, rekey, root generation and
seal migration all collect them the same way.

Shares are kept in `bytearray`s and zeroed by `clear` (and by `combine`), so a key exists in
memory only while an attempt is open.
"""

from __future__ import annotations

import hmac

from reconciler.store.sealing import shamir


class KeyShares:
    """Distinct shares toward `threshold`. Invariant: no two held shares are equal."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._parts: list[bytearray] = []

    @property
    def progress(self) -> int:
        """How many distinct shares are held."""
        return len(self._parts)

    @property
    def complete(self) -> bool:
        """True once `threshold` shares are held."""
        return len(self._parts) >= self.threshold

    def add(self, share: bytes) -> bool:
        """Hold `share`; False (and nothing held) when the same share was given before."""
        if any(hmac.compare_digest(share, seen) for seen in self._parts):
            return False
        self._parts.append(bytearray(share))
        return True

    def combine(self) -> bytes:
        """The secret the shares rebuild, then zero them. ValueError for shares that do not
        belong together."""
        try:
            if self.threshold == 1:
                return bytes(self._parts[0])
            return shamir.combine([bytes(part) for part in self._parts])
        finally:
            self.clear()

    def clear(self) -> None:
        """Zero and forget every share."""
        for part in self._parts:
            part[:] = bytes(len(part))
        self._parts.clear()
