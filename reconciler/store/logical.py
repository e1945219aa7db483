"""The store's request and response types: what `Core.handle` takes and returns.

The HTTP layer builds a `Request` and renders a `Response` into Vault's JSON envelope; the core
and the backends never see HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Operation(StrEnum):
    """A logical operation, as Vault's router sees it (HTTP verbs map onto these)."""

    READ = "read"
    LIST = "list"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    PATCH = "patch"


@dataclass
class Auth:
    """What an auth method (or token create) returns; the core turns it into a token.

    `policies` are the token policies before `default` is added. Durations are seconds;
    0 means "use the mount / system default".
    """

    policies: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    display_name: str = ""
    ttl: int = 0
    max_ttl: int = 0
    explicit_max_ttl: int = 0
    period: int = 0
    num_uses: int = 0
    renewable: bool = True
    no_default_policy: bool = False
    bound_cidrs: list[str] = field(default_factory=list)
    alias_name: str = ""
    # Names of external groups the login proves membership of (JWT `groups_claim`).
    group_aliases: list[str] = field(default_factory=list)
    # Filled in by the core once the token exists:
    client_token: str = ""
    accessor: str = ""
    token_policies: list[str] = field(default_factory=list)
    lease_duration: int = 0
    entity_id: str = ""
    identity_policies: list[str] = field(default_factory=list)
    orphan: bool = True
    token_type: str = "service"


@dataclass
class Secret:
    """A lease-bearing result from an engine (dynamic credentials).

    `internal` is kept with the lease (encrypted) and handed back to the engine on renew and
    revoke; it never leaves the store.
    """

    ttl: int = 0
    max_ttl: int = 0
    renewable: bool = True
    internal: dict[str, Any] = field(default_factory=dict)
    # True for KV v1's advisory TTL: reported as lease_duration, but no lease is created.
    informational: bool = False
    # Filled in by the core when the lease is registered:
    lease_id: str = ""


@dataclass
class Request:
    """One logical request. `path` has no `/v1/` prefix and no leading slash."""

    operation: Operation
    path: str
    data: dict[str, Any] = field(default_factory=dict)
    token: str = ""
    remote_addr: str = ""
    remote_port: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    wrap_ttl: int = 0
    help: bool = False  # `?help=1`: answer the path's help instead of serving it
    # Set by the core while it routes the request:
    mount_point: str = ""
    mount_type: str = ""
    mount_accessor: str = ""
    mount_class: str = ""
    client_token_accessor: str = ""
    display_name: str = ""
    policies: list[str] = field(default_factory=list)
    entity_id: str = ""
    granting_policies: tuple[str, ...] = ()
    token_entry: Any = None  # the caller's TokenEntry (typed in auth.token_store)
    # Headers the core asks the HTTP layer to send with any answer (rate-limit quotas):
    response_headers: dict[str, str] = field(default_factory=dict)
    # The undecoded body, for the few paths that take a file (a snapshot restore); never
    # audited or logged.
    body: bytes = field(default=b"", repr=False)

    @property
    def is_root(self) -> bool:
        """True when the caller holds the root policy."""
        return "root" in self.policies


@dataclass
class Response:
    """What a handler returns. `None` from a handler means 204 No Content.

    - `status` overrides the code (e.g. 404 with a full envelope for deleted KV v2 versions).
    - `raw` is a bare JSON object with no envelope (sys/init, sys/seal-status, sys/health).
    - `inject_top_level` copies `data`'s keys to the top of the envelope (sys/mounts etc.).
    """

    data: dict[str, Any] | None = None
    auth: Auth | None = None
    secret: Secret | None = None
    warnings: list[str] = field(default_factory=list)
    status: int | None = None
    raw: dict[str, Any] | None = None
    inject_top_level: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    # A file to send as it is (a snapshot), with its media type; no envelope.
    body: bytes | None = field(default=None, repr=False)
    content_type: str = "application/octet-stream"
    # Set when the response was wrapped: token, accessor, ttl, creation_time, creation_path
    # (and wrapped_accessor); the HTTP layer then renders only this, never the payload.
    wrap_info: dict[str, Any] | None = None
