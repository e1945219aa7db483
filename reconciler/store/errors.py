"""Errors raised by the store core; the HTTP layer maps each to Vault's status code.

Two channels, as in Vault: user errors (4xx, message shown as written) and internal faults
(5xx). `core_formatted` errors use go-multierror's text ("1 error occurred:\\n\\t* ...") because
that is what Vault's core emits for ACL, sealed and unsupported-operation errors.
"""

from __future__ import annotations

from reconciler.vocabulary.errors import SealkeepError


def multierror(*messages: str) -> str:
    """Format messages the way go-multierror does (Vault's core errors)."""
    noun = "error" if len(messages) == 1 else "errors"
    body = "".join(f"\t* {m}\n" for m in messages)
    return f"{len(messages)} {noun} occurred:\n{body}\n"


class StoreError(SealkeepError):
    """Base for every error the core answers with an HTTP status."""

    status: int = 500

    def __init__(self, *messages: str) -> None:
        Exception.__init__(self, *messages)
        self.messages: list[str] = list(messages)

    def __str__(self) -> str:
        return ", ".join(self.messages)


class BadRequest(StoreError):
    """400: validation failures and backend error responses."""

    status = 400


class PermissionDenied(StoreError):
    """403: missing, invalid or expired token, or an ACL denial."""

    status = 403

    def __init__(self, *extra: str) -> None:
        super().__init__(multierror("permission denied", *extra))


class InvalidToken(PermissionDenied):
    """403 for a token that does not exist, expired or was revoked (Vault >= 1.17 wording)."""

    def __init__(self) -> None:
        super().__init__("invalid token")


class InvalidCredentials(BadRequest):
    """400: wrong credentials for a user or role that exists (counts toward user lock-out)."""


class NotFound(StoreError):
    """404 with an empty `errors` list (missing data), or a message for unrouted paths."""

    status = 404


class UnsupportedOperation(StoreError):
    """405: the path exists but not for this operation."""

    status = 405

    def __init__(self) -> None:
        super().__init__(multierror("unsupported operation"))


class Sealed(StoreError):
    """503: the barrier is sealed."""

    status = 503

    def __init__(self) -> None:
        super().__init__("Vault is sealed")


class Unavailable(StoreError):
    """503: the server is too busy to take the request now (nothing was applied)."""

    status = 503


class Standby(StoreError):
    """503 from a standby node: the HTTP layer forwards the request to `leader_address` (or
    redirects to it); with no active node known, the client gets this 503 and retries."""

    status = 503

    def __init__(self, leader_address: str) -> None:
        super().__init__("this node is a standby and no active node is known; retry shortly")
        self.leader_address = leader_address


class InternalError(StoreError):
    """500: a fault the user cannot fix (logged with detail, shown briefly)."""

    status = 500


class AuditFailed(InternalError):
    """500: audit devices are enabled and none could record the request (fail closed)."""

    def __init__(self) -> None:
        super().__init__(multierror("internal error"))


class BarrierError(Exception):
    """Decryption failed: wrong key, tampered ciphertext, or an entry moved to another path."""
