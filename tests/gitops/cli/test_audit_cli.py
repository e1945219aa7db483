"""`sealkeep audit verify|query` through click, on files written by the real broker.

Token hashing goes over real HTTP with the real hvac client to a loopback server that answers
`sys/audit-hash/<device>` from the same real AuditBroker that wrote the file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.audit import audit
from reconciler.store.audit.broker import AuditBroker
from reconciler.store.errors import BadRequest
from reconciler.store.logical import Response
from tests.store.audit.support import ACCESSOR, TOKEN, file_broker, lines, read_request


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[AuditBroker]:
    """A broker whose file device holds a read of payments and one of web."""
    broker = file_broker(tmp_path / "audit.log")
    payments = read_request("secret/data/payments/api")
    broker.log_request(payments, None)
    broker.log_response(payments, Response(data={"password": "pw"}), None)
    broker.log_request(
        read_request(
            "secret/data/web/cfg",
            token="hvs.other",
            client_token_accessor="OtherAccessor",
            display_name="ci",
        ),
        None,
    )
    yield broker
    broker.close()


def _hash_server(broker: AuditBroker) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            device = self.path.removeprefix("/v1/sys/audit-hash/")
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                status, doc = 200, {"data": {"hash": broker.hash(device, body["input"])}}
            except BadRequest as exc:
                status, doc = 400, {"errors": [str(exc)]}
            payload = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_verify_ok(broker: AuditBroker, tmp_path: Path) -> None:
    result = CliRunner().invoke(audit, ["verify", str(tmp_path / "audit.log")])
    assert result.exit_code == 0, result.output
    assert "OK, 4 lines (seq 1 to 4)" in result.output  # the device's test entry, then 3
    assert "authenticity NOT proved" in result.output


def test_verify_reports_file_and_line(broker: AuditBroker, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    content = lines(log)
    del content[1]
    log.write_bytes(b"".join(content))
    result = CliRunner().invoke(audit, ["verify", str(log)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{log}:2: deleted: 1 line(s) deleted before line 2")


def test_verify_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(audit, ["verify", str(tmp_path / "nope.log")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_query_table_by_path_and_operation(broker: AuditBroker, tmp_path: Path) -> None:
    args = ["query", str(tmp_path / "audit.log"), "--path", "secret/data/payments/*"]
    result = CliRunner().invoke(audit, [*args, "--operation", "read", "--since", "24h"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split()[:3] == ["TIME", "TYPE", "OPERATION"]
    assert len(rows) == 2
    assert all("secret/data/payments/api" in row and "approle-payments" in row for row in rows)


def test_query_json_lines_with_hmac(broker: AuditBroker, tmp_path: Path) -> None:
    hashed = broker.hash("file", "hvs.other")
    result = CliRunner().invoke(
        audit, ["query", str(tmp_path / "audit.log"), "--hmac", hashed, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert json.loads(line)["request"]["path"] == "secret/data/web/cfg"


def test_query_token_is_hashed_by_the_server(broker: AuditBroker, tmp_path: Path) -> None:
    server = _hash_server(broker)
    env = {"VAULT_ADDR": f"http://127.0.0.1:{server.server_port}", "VAULT_TOKEN": "root"}
    try:
        runner = CliRunner(env=env)
        log = str(tmp_path / "audit.log")
        by_token = runner.invoke(audit, ["query", log, "--token", TOKEN, "--format", "json"])
        by_accessor = runner.invoke(
            audit, ["query", log, "--accessor", ACCESSOR, "--type", "request"]
        )
        unknown = runner.invoke(audit, ["query", log, "--token", TOKEN, "--device", "nope"])
    finally:
        server.shutdown()
        server.server_close()
    assert by_token.exit_code == 0, by_token.output
    assert len(by_token.output.splitlines()) == 2
    assert TOKEN not in by_token.output
    assert len(by_accessor.output.splitlines()) == 2  # header + the payments request
    assert unknown.exit_code == 1
    assert "unknown audit backend" in unknown.output
    assert TOKEN not in unknown.output


def test_query_token_without_a_server(broker: AuditBroker, tmp_path: Path) -> None:
    runner = CliRunner(env={"VAULT_ADDR": None, "VAULT_TOKEN": None})
    result = runner.invoke(audit, ["query", str(tmp_path / "audit.log"), "--token", TOKEN])
    assert result.exit_code == 1
    assert "--hmac" in result.output
    assert TOKEN not in result.output


def test_query_bad_time(broker: AuditBroker, tmp_path: Path) -> None:
    result = CliRunner().invoke(audit, ["query", str(tmp_path / "audit.log"), "--since", "soon"])
    assert result.exit_code == 2
    assert "invalid time 'soon'" in result.output
