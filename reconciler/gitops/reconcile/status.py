"""The loop's last result and health, served as JSON over a small HTTP endpoint.

GET /healthz: 200 while the last run succeeded, else 503 (also before the first run),
with the status and the last error. GET /status: the last run (commit, times, outcome,
counts), consecutive failures and when the next run is due.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.gitops.reconcile.result import RunResult


@dataclass
class StatusBoard:
    """The last result and the schedule, shared by the loop and the HTTP threads.

    Invariant: every read and write holds `lock`; readers get plain JSON-ready dicts.
    """

    repo: str
    branch: str
    dry_run: bool = False
    last: RunResult | None = None
    last_success: RunResult | None = None
    failures: int = 0
    next_run_at: str | None = None
    next_delay: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, result: RunResult, failures: int, delay: float | None) -> None:
        """Publish a finished run and when the next one starts (None: no next run)."""
        with self.lock:
            self.last = result
            if result.outcome.healthy:
                self.last_success = result
            self.failures = failures
            self.next_delay = delay
            due = datetime.now(UTC) + timedelta(seconds=delay) if delay is not None else None
            self.next_run_at = due.strftime("%Y-%m-%dT%H:%M:%SZ") if due else None

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, body) for /healthz."""
        with self.lock:
            last = self.last
            if last is None:
                return False, {"status": "starting", "error": None}
            healthy = last.outcome.healthy
            body = {
                "status": "ok" if healthy else "failing",
                "error": last.error,
                "consecutive_failures": self.failures,
                "last_run": last.finished_at,
                "last_success": self.last_success.finished_at if self.last_success else None,
            }
            return healthy, body

    def status(self) -> dict[str, Any]:
        """The body of /status."""
        with self.lock:
            return {
                "repo": self.repo,
                "branch": self.branch,
                "dry_run": self.dry_run,
                "last_run": self.last.encode() if self.last else None,
                "last_success": self.last_success.encode() if self.last_success else None,
                "consecutive_failures": self.failures,
                "next_run_at": self.next_run_at,
                "next_delay_seconds": self.next_delay,
            }


class _Handler(BaseHTTPRequestHandler):
    board: StatusBoard

    def do_GET(self) -> None:
        """Serve /healthz and /status; 404 for anything else."""
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/healthz":
            healthy, body = self.board.health()
            code = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(code, body)
        elif path == "/status":
            self._send(HTTPStatus.OK, self.board.status())
        else:
            self._send(HTTPStatus.NOT_FOUND, {"errors": [f"no such endpoint: {path or '/'}"]})

    def _send(self, code: HTTPStatus, body: dict[str, Any]) -> None:
        payload = json.dumps(body, sort_keys=True).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep probes out of the log."""


def parse_address(text: str) -> tuple[str, int]:
    """`host:port` (port 0 picks a free one); ValueError names bad input."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"invalid status address {text!r} (expected host:port)")
    return host.strip("[]") or "127.0.0.1", int(port)


class StatusServer:
    """An HTTP server for `board` on a daemon thread; a `with` block bounds its life."""

    def __init__(self, board: StatusBoard, address: str) -> None:
        host, port = parse_address(address)
        handler = type("StatusHandler", (_Handler,), {"board": board})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="sealkeep-status", daemon=True
        )

    @property
    def url(self) -> str:
        """Where it listens, as `http://host:port`."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StatusServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
