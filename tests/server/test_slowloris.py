"""Connections that never finish a request are closed; other clients keep being served.

The listener's limits come from the config file (`listener "tcp"`), here set short so the
test is quick: a socket that sends nothing, one that sends its headers a byte at a time, one
that stops half-way through its body, and an idle keep-alive connection are all closed by
the server, while an hvac client is served throughout. Past `max_connections`, a new
connection is closed as soon as it is accepted.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import ServerProcess, free_port, init_and_unseal, start_server

# How long the test waits for the server to close a socket; far above the 1 s limits.
PATIENCE = 20.0
REQUEST_HEAD = b"GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def _start(tmp_path: Path, listener_options: str) -> ServerProcess:
    port = free_port()
    config = tmp_path / "server.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "store.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n'
        f"{listener_options}}}\n"
    )
    server = start_server(["--config", str(config)], tmp_path / "server.log", port)
    try:
        init_and_unseal(server)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """Header, body and idle limits of 1 s."""
    server = _start(
        tmp_path,
        '  http_read_header_timeout = "1s"\n  http_read_timeout = "1s"\n'
        '  http_idle_timeout = "1s"\n  max_connections = 200\n',
    )
    yield server
    server.stop()


def _connect(server: ServerProcess) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(PATIENCE)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes (True) or PATIENCE runs out (False)."""
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def _trickle(sock: socket.socket, data: bytes) -> bool:
    """Send one byte every 0.2 s; True when the server closed the connection first."""
    deadline = time.monotonic() + PATIENCE
    for byte in data * 200:
        if time.monotonic() > deadline:
            return False
        try:
            sock.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        time.sleep(0.2)
    return False


def test_slow_and_idle_connections_are_closed_while_others_are_served(
    strict_server: ServerProcess,
) -> None:
    client = strict_server.client()
    silent = [_connect(strict_server) for _ in range(20)]
    slowloris = _connect(strict_server)
    slowloris.sendall(REQUEST_HEAD)
    half_body = _connect(strict_server)
    half_body.sendall(
        b"POST /v1/sys/mounts/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"type":'
    )
    keep_alive = _connect(strict_server)
    keep_alive.sendall(REQUEST_HEAD + b"\r\n")
    assert keep_alive.recv(4096).startswith(b"HTTP/1.1 200")
    try:
        # Served while every one of those sockets is open.
        assert client.sys.read_health_status(method="GET")["initialized"] is True
        assert _trickle(slowloris, b"X-Slow: 1\r\n"), "the slowloris connection was kept open"
        assert _closed_by_server(half_body), "the half-sent body was waited for"
        assert _closed_by_server(keep_alive), "the idle keep-alive connection was kept open"
        assert all(_closed_by_server(sock) for sock in silent), "a silent socket was kept open"
        # And still served after.
        assert client.sys.read_health_status(method="GET")["sealed"] is False
    finally:
        for sock in [*silent, slowloris, half_body, keep_alive]:
            sock.close()


def test_connections_past_the_cap_are_closed_on_accept(tmp_path: Path) -> None:
    server = _start(tmp_path, '  http_read_header_timeout = "60s"\n  max_connections = 4\n')
    held: list[socket.socket] = []
    try:
        held = [_connect(server) for _ in range(4)]
        extra = _connect(server)
        held.append(extra)
        assert _closed_by_server(extra)
        for sock in held[:4]:  # the first four are still open, waiting for their headers
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
        for sock in held:
            sock.close()
        with contextlib.closing(_connect(server)) as fresh:  # room again once they left
            fresh.sendall(REQUEST_HEAD + b"Connection: close\r\n\r\n")
            assert fresh.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_malformed_http_is_answered_with_a_json_error(strict_server: ServerProcess) -> None:
    with contextlib.closing(_connect(strict_server)) as sock:
        sock.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head.lower()
    assert body.startswith(b'{"errors":[')
