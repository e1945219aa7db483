"""The baseline: a bare Starlette endpoint on uvicorn with the server's settings.

`bench_kv_http.py` runs it next to the real server so the store's cost is a ratio measured in
the same run, on the same machine, through the same ASGI stack.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# About the size of a KV v2 read envelope, so serialisation costs are comparable.
BODY = (
    b'{"request_id":"00000000-0000-0000-0000-000000000000","lease_id":"","renewable":false,'
    b'"lease_duration":0,"data":{"data":{"password":"0123456789abcdef"},"metadata":'
    b'{"created_time":"2026-01-01T00:00:00.000000000Z","custom_metadata":null,'
    b'"deletion_time":"","destroyed":false,"version":1}},"wrap_info":null,"warnings":null,'
    b'"auth":null,"mount_type":"kv"}'
)


async def endpoint(_request: Request) -> Response:
    """Return a fixed JSON body."""
    return Response(BODY, media_type="application/json", headers={"Cache-Control": "no-store"})


app = Starlette(routes=[Route("/v1/{path:path}", endpoint, methods=["GET"])])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
