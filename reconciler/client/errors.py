"""Errors the client raises, each saying where it happened and what to do (never a secret value).

Bad input is a `ClientInputError`. A failed request is translated (by `transport.py`, for every
client `connect` builds) into a `RequestFailed` whose `where` is `GET secret/data/x at
http://127.0.0.1:8200`; each one is also the `hvac.exceptions` class of its status (so code
that catches `hvac.exceptions.Forbidden` keeps working) and keeps hvac's `str()`. A server
nobody answers at is a `ServerUnreachable` naming the address and where it came from.

A 403 is told apart lazily, when its hint is read (the CLI reads it; library code that just
catches the error costs no extra request): no token at all, a token that expired (known when
`sealkeep login` saved it), a token the server does not know, or a valid token whose policies
do not allow the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import hvac.exceptions
import requests

from reconciler.client.usererrors import ClientError, ClientInputError, ClientNotFound

__all__ = ["ClientError", "ClientInputError", "ClientNotFound", "RequestFailed", "translate"]

LOGIN_HINT = "export VAULT_TOKEN=<token>, or run `sealkeep login`"


TokenKind = Literal["missing", "expired", "unknown", "valid"]


@dataclass(frozen=True)
class TokenState:
    """What the server says of the token a request was made with."""

    kind: TokenKind
    source: str  # "-token", "VAULT_TOKEN", "~/.vault-token" or "" when there was none
    policies: tuple[str, ...] = ()
    expired_at: str = ""


def token_hint(state: TokenState) -> str:
    """What to do about a 403, given the token's state."""
    if state.kind == "missing":
        return f"no token was given: {LOGIN_HINT}"
    if state.kind == "expired":
        return f"the token from {state.source} expired at {state.expired_at}: run `sealkeep login`"
    if state.kind == "unknown":
        return (
            f"the server does not know the token from {state.source} (mistyped, revoked, "
            f"expired, or meant for another server): {LOGIN_HINT}"
        )
    policies = ", ".join(state.policies) or "none"
    return (
        f"the token is valid but its policies ({policies}) do not allow this request: "
        "ask for a policy that grants it, or log in as someone who has one"
    )


def server_messages(exc: hvac.exceptions.VaultError) -> str:
    """The server's messages on one line, without go-multierror's framing."""
    errors = getattr(exc, "errors", None) or [str(exc.args[0] if exc.args else "")]
    messages: list[str] = []
    for error in errors:
        bullets = re.findall(r"\t\* (.+)", str(error))
        messages.extend(bullets or [str(error).strip()])
    return "; ".join(m for m in messages if m and m != "None")


def request_where(method: str, url: str, address: str) -> str:
    """`GET secret/data/x at http://127.0.0.1:8200` for a request URL."""
    path = url.split("/v1/", 1)[1] if "/v1/" in url else url
    return f"{method.upper()} {path.split('?', 1)[0]} at {address}"


class RequestFailed(ClientError):
    """A request the server refused or failed. `str()` is hvac's (`message, on METHOD url`)."""

    _default_message = "the request failed"

    def __init__(self, original: hvac.exceptions.VaultError, address: str) -> None:
        message = server_messages(original) or self._default_message
        method = getattr(original, "method", None) or ""
        url = getattr(original, "url", None) or ""
        super().__init__(message, where=request_where(method, url, address))
        # The hvac side of the class: the same attributes as the error it replaces.
        self.errors = getattr(original, "errors", None)
        self.method, self.url = method, url
        self.text = getattr(original, "text", None)
        self.json = getattr(original, "json", None)
        self.message = message

    def __str__(self) -> str:
        return f"{self.message}, on {self.method} {self.url}"

    def describe(self) -> str:
        """`where: message`, then the hint (hvac's `str()` is kept for library callers)."""
        text = f"{self.where}: {self.message}"
        return f"{text}\nHint: {self.hint}" if self.hint else text


class InvalidRequest(RequestFailed, hvac.exceptions.InvalidRequest):
    """400: the server refused the request's input."""


class Unauthorized(RequestFailed, hvac.exceptions.Unauthorized):
    """401."""


class Forbidden(RequestFailed, hvac.exceptions.Forbidden):
    """403: no token, a bad or expired token, or a token whose policies say no."""

    _default_message = "permission denied"
    probe: Callable[[], TokenState] | None = None
    _state: TokenState | None = None

    @property  # type: ignore[override]
    def hint(self) -> str | None:
        """What to do, found by asking the server about the token (once, when first read)."""
        if self.probe is None:
            return f"check the token and its policies: {LOGIN_HINT}"
        if self._state is None:
            self._state = self.probe()
        return token_hint(self._state)

    @hint.setter
    def hint(self, value: str | None) -> None:
        del value  # the hint is always worked out from the token's state


class InvalidPath(RequestFailed, hvac.exceptions.InvalidPath):
    """404: nothing at this path, or no such API path."""

    _default_message = "nothing found"


class RateLimitExceeded(RequestFailed, hvac.exceptions.RateLimitExceeded):
    """429."""

    hint = "the server is rate limiting: wait a moment and retry"


class InternalServerError(RequestFailed, hvac.exceptions.InternalServerError):
    """500: the server failed."""

    internal = True


class VaultNotInitialized(RequestFailed, hvac.exceptions.VaultNotInitialized):
    """501: the server is not initialised."""

    hint = "initialise it once: sealkeep operator init"


class BadGateway(RequestFailed, hvac.exceptions.BadGateway):
    """502."""

    internal = True


class VaultDown(RequestFailed, hvac.exceptions.VaultDown):
    """503: sealed (or in maintenance)."""

    hint = "if it is sealed, unseal it: sealkeep operator unseal (threshold times)"


class UnexpectedError(RequestFailed, hvac.exceptions.UnexpectedError):
    """Any other status."""


_BY_STATUS_CLASS: dict[type[hvac.exceptions.VaultError], type[RequestFailed]] = {
    hvac.exceptions.InvalidRequest: InvalidRequest,
    hvac.exceptions.Unauthorized: Unauthorized,
    hvac.exceptions.Forbidden: Forbidden,
    hvac.exceptions.InvalidPath: InvalidPath,
    hvac.exceptions.RateLimitExceeded: RateLimitExceeded,
    hvac.exceptions.InternalServerError: InternalServerError,
    hvac.exceptions.VaultNotInitialized: VaultNotInitialized,
    hvac.exceptions.BadGateway: BadGateway,
    hvac.exceptions.VaultDown: VaultDown,
}


class ServerUnreachable(ClientError, requests.exceptions.ConnectionError):
    """Nobody answered at the address (or TLS failed); names it and where it came from."""


def unreachable(
    exc: requests.exceptions.RequestException, address: str, source: str
) -> ClientError:
    """The error for a request that got no answer from `address`."""
    if isinstance(exc, requests.exceptions.SSLError):
        return ServerUnreachable(
            "TLS verification failed",
            where=address,
            hint="point VAULT_CACERT at the server's CA bundle (or, for a test server only, "
            "set VAULT_SKIP_VERIFY=true)",
        )
    if source == "default":
        hint = (
            f"VAULT_ADDR is not set, so the default {address} was used: "
            "export VAULT_ADDR=https://<host>:8200 (or pass -address)"
        )
    else:
        hint = f"is the server running, and is the address (from {source}) right?"
    return ServerUnreachable(
        f"cannot reach the server ({type(exc).__name__})", where=address, hint=hint
    )


def translate(
    exc: BaseException,
    address: str,
    source: str = "-address",
    probe: Callable[[], TokenState] | None = None,
) -> ClientError | None:
    """The client error for an hvac or requests exception; None for anything else."""
    if isinstance(exc, ClientError):
        return exc
    if isinstance(exc, hvac.exceptions.VaultError):
        kind = next((c for b, c in _BY_STATUS_CLASS.items() if isinstance(exc, b)), UnexpectedError)
        error = kind(exc, address)
        if isinstance(error, Forbidden):
            error.probe = probe
        return error
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return unreachable(exc, address, source)
    return None


def address_of(url: str) -> str:
    """The server address (scheme://host:port) of a request URL."""
    return url.split("/v1/", 1)[0] if "/v1/" in url else url
