"""What a KV read returns and where a secret lives (no hvac: the fast read shares these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.client.results import JSONDict

DEFAULT_MOUNT = "secret"


@dataclass(frozen=True)
class KvLocation:
    """A secret's place: the mount (no slashes around it), the key below it, and KV version."""

    mount: str
    path: str
    version: int

    @property
    def display(self) -> str:
        """`mount/path` as the user would type it."""
        return f"{self.mount}/{self.path}".rstrip("/")


@dataclass(frozen=True)
class KvSecret:
    """A read secret: its data (None when deleted or destroyed) and, for v2, its metadata."""

    raw: JSONDict
    data: dict[str, Any] | None
    metadata: dict[str, Any]
    location: KvLocation
