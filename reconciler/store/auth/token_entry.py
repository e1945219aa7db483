"""The stored form of a token. The token ID itself is never stored, only its salted hash."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TokenEntry:
    """One token. Times are unix seconds; TTLs are seconds (0 = none).

    Invariants: `id_hash` is the salted hash of the token ID (the key it is stored under);
    `accessor` is random and unrelated to the ID; `policies` are sorted and de-duplicated.
    """

    id_hash: str
    accessor: str
    policies: list[str]
    path: str
    display_name: str
    meta: dict[str, str] = field(default_factory=dict)
    parent_hash: str = ""
    creation_time: float = 0.0
    ttl: int = 0
    explicit_max_ttl: int = 0
    max_ttl: int = 0  # cap from the auth method or mount; 0 = system max
    period: int = 0
    num_uses: int = 0
    renewable: bool = True
    orphan: bool = False
    no_default_policy: bool = False
    entity_id: str = ""
    role: str = ""
    bound_cidrs: list[str] = field(default_factory=list)
    expire_time: float = 0.0  # 0 = never
    last_renewal_time: float = 0.0
    token_type: str = "service"
    mount_accessor: str = ""

    def to_json(self) -> dict[str, Any]:
        """The stored JSON form (format version 1)."""
        return {"v": 1, **asdict(self)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TokenEntry:
        """Decode the stored form."""
        fields = {k: v for k, v in doc.items() if k != "v"}
        return cls(**fields)
