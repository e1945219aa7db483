"""Unclean request paths (`..`, `.`, `//`) answered as Go's http.ServeMux answers them for
Vault: 307 to the cleaned path, query kept, before anything reads the request."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse

# Percent-encoded dots and slashes are refused (400) by the app, as OpenBao does: no redirect.
_ENCODED = re.compile(rb"%2f|%5c|%2e", re.IGNORECASE)


def clean_path(path: str) -> str:
    """Go's `cleanPath`: `path.Clean`, keeping one trailing slash when there was one."""
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts:
                parts.pop()
            continue
        parts.append(segment)
    cleaned = "/" + "/".join(parts)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def redirect_if_unclean(http: HTTPRequest) -> HTTPResponse | None:
    """A 307 to the cleaned path when the request's path is not clean, else None."""
    raw: bytes = http.scope.get("raw_path") or b""
    if _ENCODED.search(raw):
        return None
    path = http.url.path
    cleaned = clean_path(path)
    if cleaned == path:
        return None
    # The path is decoded: encode it again, or a non-ASCII segment could not be a header.
    target = quote(cleaned, safe="/:@!$&'()*+,;=~") + (
        f"?{http.url.query}" if http.url.query else ""
    )
    headers = {"Location": target, "Cache-Control": "no-store"}
    if http.method not in ("GET", "HEAD"):  # as Go's http.Redirect: no body, no type
        return HTTPResponse(status_code=307, headers=headers)
    body = f'<a href="{_escape(target)}">Temporary Redirect</a>.\n\n'
    return HTTPResponse(
        body if http.method == "GET" else b"",
        status_code=307,
        media_type="text/html; charset=utf-8",
        headers=headers,
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    )
