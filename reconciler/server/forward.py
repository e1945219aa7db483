"""Standby nodes pass requests on to the active node, so a client pointed at any node works.

The request is replayed over HTTP to the active node's `api_addr` (method, path, query,
headers, body) and its answer returned as it is. With `disable_clustering` set, a standby
answers 307 to the same path on the active node instead, as Vault's standbys do without
request forwarding. A request that was already forwarded is never forwarded again (a stale
leader would bounce it around): it gets a 503 the client can retry.
"""

from __future__ import annotations

import httpx
from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse

FORWARDED_HEADER = "x-sealkeep-forwarded"
# Hop-by-hop headers and those httpx sets itself.
_DROPPED = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
            "upgrade", "proxy-connection", "accept-encoding"}  # fmt: skip
_PASSED_BACK = ("content-type", "cache-control", "retry-after", "location")


class Forwarder:
    """Replays requests on the active node (one connection pool per server)."""

    def __init__(self, redirect_only: bool = False, timeout: float = 60.0) -> None:
        self.redirect_only = redirect_only
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None  # made on first use: most nodes never forward

    def already_forwarded(self, http: HTTPRequest) -> bool:
        """True for a request another standby passed on."""
        return FORWARDED_HEADER in http.headers

    async def forward(self, http: HTTPRequest, leader: str, body: bytes) -> HTTPResponse:
        """The active node's answer to this request (or a 307 to it)."""
        target = leader.rstrip("/") + http.url.path
        if http.url.query:
            target += "?" + http.url.query
        if self.redirect_only:
            return HTTPResponse(status_code=307, headers={"Location": target})
        headers = {k: v for k, v in http.headers.items() if k.lower() not in _DROPPED}
        headers[FORWARDED_HEADER] = "1"
        if http.client is not None:
            headers["x-forwarded-for"] = http.client.host
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        answer = await self._client.request(http.method, target, headers=headers, content=body)
        passed = {k: v for k, v in answer.headers.items() if k.lower() in _PASSED_BACK}
        return HTTPResponse(answer.content, status_code=answer.status_code, headers=passed)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
