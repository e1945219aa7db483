"""The ASGI app: HTTP in, `Core.handle`, Vault JSON out. Nothing else lives here."""

from __future__ import annotations

import logging
import re

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import Route

from reconciler.server.forward import Forwarder
from reconciler.server.redirect import redirect_if_unclean
from reconciler.server.translate import (
    JSON,
    MAX_BODY,
    HTTPError,
    build_request,
    encode,
    error_body,
    parse_body,
    render_envelope,
)
from reconciler.store.core import Core
from reconciler.store.errors import BadRequest, Standby, StoreError, Unavailable
from reconciler.store.logical import Request, Response
from reconciler.store.system.snapshot_paths import FILE_BODY_PATHS

log = logging.getLogger("sealkeep.server")

NO_STORE = {"Cache-Control": "no-store"}
# The paths whose body is a file, not JSON, are the store's (snapshot restores).
MAX_FILE_BODY = 2 * 1024**3
_ENCODED_SLASH = re.compile(rb"%2f|%5c|%2e%2e", re.IGNORECASE)
# Requests are served on threads so a slow one (a login hashing a password) never holds up
# the event loop; the core bounds its own lock and worker waits (503 past the limit). Reads
# that no slow work serves are answered inline: the hand-off would cost them more.
REQUEST_THREADS = 64


def _json(status: int, body: bytes, head: bool = False) -> HTTPResponse:
    return HTTPResponse(
        b"" if head else body, status_code=status, media_type=JSON, headers=NO_STORE
    )


def _empty(status: int) -> HTTPResponse:
    return HTTPResponse(status_code=status, headers=NO_STORE)


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """`dict(http.headers)` without its per-key rescans: the first of repeated names wins."""
    headers: dict[str, str] = {}
    for name, value in raw:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return headers


async def _read_body(http: HTTPRequest, limit: int) -> bytes:
    declared = http.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, ["http: request body too large"])
    chunks: list[bytes] = []
    size = 0
    async for chunk in http.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, ["http: request body too large"])
        chunks.append(chunk)
    return b"".join(chunks)


def _render(req: Request, resp: Response | None, head: bool) -> HTTPResponse:
    if resp is None:
        return _empty(204)
    if resp.body is not None:  # a file (a snapshot): sent as it is
        content = b"" if head else resp.body
        return HTTPResponse(content, resp.status or 200, NO_STORE, resp.content_type)
    if resp.raw is not None:
        return _json(resp.status or 200, encode(resp.raw), head)
    body = render_envelope(req, resp)
    return _json(resp.status or 200, encode(body), head)


class VaultAPI:
    """Binds a `Core` to HTTP."""

    def __init__(
        self, core: Core, max_body: int = MAX_BODY, forwarder: Forwarder | None = None
    ) -> None:
        self.core = core
        self.max_body = max_body
        self.forwarder = forwarder or Forwarder()
        self.threads = anyio.CapacityLimiter(REQUEST_THREADS)

    async def endpoint(self, http: HTTPRequest) -> HTTPResponse:
        """Serve any `/v1/...` request."""
        head = http.method == "HEAD"
        redirect = redirect_if_unclean(http)
        if redirect is not None:
            return redirect
        req: Request | None = None
        try:
            req = await self._build(http)
            if self.core.is_quick(req):  # a KV read: a thread hand-off would cost more
                resp = self.core.handle(req)
            else:
                resp = await anyio.to_thread.run_sync(self.core.handle, req, limiter=self.threads)
            answer = _render(req, resp, head)
            if req.response_headers:  # X-Ratelimit-* when quotas say so
                answer.headers.update(req.response_headers)
            return answer
        except Standby as exc:
            return await self._to_active(http, exc, head)
        except (StoreError, HTTPError) as exc:
            status, body = error_body(exc)
            answer = _json(status, body, head)
            # A 429's Retry-After, else the quota's X-Ratelimit-* of a request it let through.
            quota = req.response_headers if req is not None else {}
            answer.headers.update(getattr(exc, "headers", None) or quota)
            return answer
        except ClientDisconnect:  # gone mid-body (or its read deadline closed it): no answer
            return _empty(400)
        except Exception:
            log.exception("internal error serving %s %s", http.method, http.url.path)
            return _json(500, encode({"errors": ["internal error"]}), head)

    async def _to_active(self, http: HTTPRequest, exc: Standby, head: bool) -> HTTPResponse:
        """A standby's answer: the active node's, through the forwarder."""
        if not exc.leader_address or self.forwarder.already_forwarded(http):
            status, body = error_body(exc)
            return _json(status, body, head)
        try:
            return await self.forwarder.forward(http, exc.leader_address, http.state.raw_body)
        except httpx.HTTPError:
            unreachable = Unavailable("the active node cannot be reached; retry shortly")
            status, body = error_body(unreachable)
            return _json(status, body, head)

    async def _build(self, http: HTTPRequest) -> Request:
        raw_path: bytes = http.scope.get("raw_path") or b""
        if _ENCODED_SLASH.search(raw_path):
            raise BadRequest(
                "invalid request path: encoded slashes and dot segments are not allowed"
            )
        path = http.url.path[len("/v1/") :]
        takes_file = path.rstrip("/") in FILE_BODY_PATHS
        limit = MAX_FILE_BODY if takes_file else self.max_body
        body = b"" if http.method in ("GET", "HEAD") else await _read_body(http, limit)
        http.state.raw_body = body  # kept to replay on the active node if this is a standby
        headers = _headers(http.scope["headers"])
        content_type = headers.get("content-type", "")
        data = {} if takes_file else parse_body(body, content_type, http.method)
        query = dict(http.query_params) if http.scope.get("query_string") else {}
        peer = http.scope.get("client")
        client = (peer[0], peer[1]) if peer else ("", 0)
        request = build_request(http.method, path, query, data, headers, client)
        if takes_file:
            request.body = body
        return request


async def _not_found(_http: HTTPRequest) -> HTTPResponse:
    return _json(404, b'{"errors":[]}')


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "LIST", "OPTIONS", "TRACE"]


def create_app(
    core: Core, max_body: int = MAX_BODY, *, redirect_standby: bool = False
) -> Starlette:
    """The ASGI application serving the Vault HTTP API for `core` (bodies up to `max_body`).

    On an HA standby, requests go to the active node: forwarded, or answered with a 307 to
    it when `redirect_standby` (the config's `disable_clustering`).
    """
    api = VaultAPI(core, max_body, Forwarder(redirect_only=redirect_standby))
    routes = [
        Route("/v1/{path:path}", api.endpoint, methods=ALL_METHODS),
        Route("/{path:path}", _not_found, methods=ALL_METHODS),
    ]
    # A verb outside ALL_METHODS (FOO) is refused by the router itself: in Vault's JSON.
    return Starlette(routes=routes, exception_handlers={HTTPException: _router_error})


async def _router_error(_http: HTTPRequest, exc: Exception) -> HTTPResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return _json(status, b'{"errors":[]}')
