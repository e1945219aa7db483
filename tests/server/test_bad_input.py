"""Bad input is a 4xx with Vault's JSON error envelope, from every layer, never a 5xx.

Each case is one a hostile client sent in the attack run: an unknown verb, an oversized
body, malformed or hostile JSON (deep nesting, NaN, 1e999, invalid UTF-8, a lone
surrogate), durations out of range, a body-less role-id write, and a tune with one bad
field (refused whole). A file audit device is enabled throughout, so a value it could not
write would have shown up as a 500.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.servers import ServerProcess, start_dev_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A dev server of its own with a file audit device, AppRole and a limited token."""
    tmp = tmp_path_factory.mktemp("bad-input")
    process = start_dev_server(tmp)
    try:  # stopped even when the setup fails
        root = process.client()
        root.sys.enable_audit_device("file", options={"file_path": str(tmp / "audit.log")})
        root.sys.enable_auth_method("approle")
        root.auth.approle.create_or_update_approle("r1", token_policies=["default"])
        yield process
    finally:
        process.stop()


def _send(
    server: ServerProcess, method: str, path: str, body: bytes | None = None, token: str = ""
) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Vault-Token"] = token
    return requests.request(
        method, f"{server.url}/v1/{path}", data=body, headers=headers, timeout=30
    )


def _assert_json_error(response: requests.Response, status: int) -> list[Any]:
    assert response.status_code == status, (response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()["errors"]
    assert isinstance(errors, list)
    return errors


def test_an_unknown_method_is_a_json_405(server: ServerProcess) -> None:
    _assert_json_error(_send(server, "FOO", "sys/health"), 405)
    _assert_json_error(_send(server, "TRACE", "secret/data/x", token=server.root_token), 405)


def test_a_body_over_the_size_cap_is_a_json_413(server: ServerProcess) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/sys/policies/acl/big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: 40000000\r\n\r\n{"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["errors"]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 400 + b"1" + b"}" * 400,
        b'{"policy": NaN}',
        b'{"policy": Infinity}',
        b'{"policy": -Infinity}',
        b'{"policy": 1e999}',
        b'{"policy": "\xff\xfe"}',
        b'{"policy": "\\ud800"}',
        b'{"\\udfff": "x"}',
        b'{"policy": ' + b"9" * 5000 + b"}",
        b'"a string"',
    ],
    ids=[
        "malformed",
        "nested-arrays",
        "nested-objects",
        "nan",
        "infinity",
        "minus-infinity",
        "1e999",
        "invalid-utf8",
        "lone-surrogate",
        "surrogate-key",
        "huge-integer",
        "not-an-object",
    ],
)
def test_hostile_json_is_a_json_400_with_or_without_a_token(
    server: ServerProcess, body: bytes
) -> None:
    for token in ("", server.root_token):
        errors = _assert_json_error(_send(server, "POST", "sys/policies/acl/h", body, token), 400)
        assert errors[0].startswith("error parsing JSON")


@pytest.mark.parametrize(
    "value", ["1e999", "-1e999", '"Infinity"', '"1e999h"', "1e30", '"9999999999999999999999999"']
)
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("auth/token/create", "ttl"),
        ("auth/token/create", "explicit_max_ttl"),
        ("auth/token/create", "period"),
        ("auth/token/renew-self", "increment"),
        ("sys/mounts/secret/tune", "default_lease_ttl"),
        ("sys/mounts/secret/tune", "max_lease_ttl"),
        ("auth/approle/role/r1", "token_ttl"),
        ("auth/approle/role/r1", "secret_id_ttl"),
    ],
)
def test_durations_out_of_range_are_a_400(
    server: ServerProcess, path: str, field: str, value: str
) -> None:
    token = server.root_token
    if path == "auth/token/renew-self":  # renew a token of its own, not root
        token = server.client().auth.token.create(ttl="1h")["auth"]["client_token"]
    body = f'{{"{field}": {value}}}'.encode()
    if value in ("1e999", "-1e999"):  # not JSON Go accepts: refused as JSON
        _assert_json_error(_send(server, "POST", path, body, token), 400)
        return
    errors = _assert_json_error(_send(server, "POST", path, body, token), 400)
    assert errors and "internal" not in errors[0]


def test_a_role_id_write_with_no_body_is_a_400(server: ServerProcess) -> None:
    errors = _assert_json_error(
        _send(server, "POST", "auth/approle/role/r1/role-id", None, server.root_token), 400
    )
    assert errors == ["missing role_id"]


def test_a_tune_with_one_bad_field_changes_nothing(server: ServerProcess) -> None:
    root = server.client()
    before = root.sys.read_mount_configuration("secret")
    bad = json.dumps({"description": "changed", "default_lease_ttl": "1h", "options": [1, 2]})
    _assert_json_error(
        _send(server, "POST", "sys/mounts/secret/tune", bad.encode(), server.root_token), 400
    )
    assert root.sys.read_mount_configuration("secret")["data"] == before["data"]


def test_the_audit_device_still_logs_after_all_that(server: ServerProcess) -> None:
    """Refused bodies never reached the audit device: it still writes whole JSON lines."""
    assert _send(server, "GET", "sys/mounts", token=server.root_token).status_code == 200
    lines = (server.log_path.parent / "audit.log").read_bytes().splitlines()
    assert lines
    for line in lines:
        json.loads(line)
