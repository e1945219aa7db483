"""Devices: resuming the chain from a file, crash recovery, rotation, a real TCP/UDP peer."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from reconciler.store.audit.broker import AuditBroker
from reconciler.store.audit.devices import FileDevice, SocketDevice
from reconciler.store.audit.verify import verify, verify_files
from reconciler.store.errors import AuditFailed, BadRequest
from tests.store.audit.support import entries, file_broker, lines, new_view, read_request


def test_partial_last_line_is_cut_before_appending(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    view = new_view()
    broker = AuditBroker(view)
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    for _ in range(3):
        broker.log_request(read_request(), None)
    broker.close()
    with log.open("ab") as handle:  # a crash in the middle of the 4th write
        handle.write(b'{"chain":{"seq":4,"prev":"ab')
    assert verify(str(log)).truncated_tail

    restarted = AuditBroker(view)
    restarted.load()
    restarted.log_request(read_request(), None)
    restarted.close()
    assert [e["chain"]["seq"] for e in entries(log)] == [2, 3, 4, 5]  # 1 is the probe
    result = verify(str(log))
    assert result.ok and not result.truncated_tail and result.lines == 5


def test_file_mode_is_applied(tmp_path: Path) -> None:
    log = tmp_path / "nested" / "audit.log"
    device = FileDevice(str(log), 0o640)
    device.write({"type": "request"})
    device.close()
    assert log.stat().st_mode & 0o777 == 0o640
    assert (log.parent.stat().st_mode & 0o777) == 0o700


def test_reopen_after_rotation_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    rotated = tmp_path / "audit.log.1"
    broker = file_broker(log)
    broker.log_request(read_request(), None)
    broker.log_request(read_request(), None)
    log.rename(rotated)  # logrotate's rename; the server still holds the old file
    broker.log_request(read_request(), None)  # lands in the renamed file
    broker.reopen()  # SIGHUP
    broker.log_request(read_request(), None)
    broker.log_request(read_request(), None)
    broker.close()

    assert len(lines(rotated)) == 4  # the test entry and three requests
    assert len(lines(log)) == 2
    first_new = entries(log)[0]["chain"]
    assert first_new["seq"] == 5
    old, new = verify_files([str(rotated), str(log)])
    assert old.ok and new.ok
    assert not new.starts_at_genesis
    assert new.continues_from == old.head.digest


def test_restart_with_a_fresh_file_restarts_at_genesis(tmp_path: Path) -> None:
    view = new_view()
    log = tmp_path / "audit.log"
    broker = AuditBroker(view)
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    broker.log_request(read_request(), None)
    broker.close()
    log.rename(tmp_path / "old.log")
    again = AuditBroker(view)
    again.load()
    again.log_request(read_request(), None)
    again.close()
    old, new = verify_files([str(tmp_path / "old.log"), str(log)])
    assert old.ok and new.ok and new.restarts_at_genesis


def _tcp_listener(
    conns: list[socket.socket] | None = None,
) -> tuple[socket.socket, list[bytes], threading.Thread]:
    """A one-connection TCP collector; the accepted connection is appended to `conns`."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        if conns is not None:
            conns.append(conn)
        with conn:
            try:
                while chunk := conn.recv(65536):
                    received.append(chunk)
            except OSError:
                return  # the test shut the connection down

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, received, thread


def test_socket_device_over_tcp() -> None:
    server, received, thread = _tcp_listener()
    port = server.getsockname()[1]
    broker = AuditBroker(new_view())
    options = {"address": f"127.0.0.1:{port}", "socket_type": "tcp", "write_timeout": "2s"}
    broker.enable("sock", "socket", "", options, False)
    broker.log_request(read_request(), None)
    broker.log_response(read_request(), None, None)
    broker.close()
    thread.join(timeout=5)
    server.close()
    got = [json.loads(line) for line in b"".join(received).splitlines()]
    assert got[0]["request"]["path"] == "sys/audit/test"  # the probe taken at enable
    assert [e["type"] for e in got[1:]] == ["request", "response"]
    assert [e["chain"]["seq"] for e in got] == [1, 2, 3]


def test_socket_device_over_udp() -> None:
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(5)
    device = SocketDevice(f"127.0.0.1:{peer.getsockname()[1]}", "udp")
    device.write({"type": "request"})
    datagram = peer.recv(65536)
    device.close()
    peer.close()
    assert json.loads(datagram)["type"] == "request"


def test_socket_device_with_nobody_listening_is_refused() -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens on this port now
    broker = AuditBroker(new_view())
    with pytest.raises(BadRequest) as caught:
        broker.enable("sock", "socket", "", {"address": f"127.0.0.1:{port}"}, False)
    assert str(caught.value) == (
        f'sanity check failed; unable to write a test entry to "127.0.0.1:{port}": '
        "connection refused"
    )
    assert broker.list() == {}


def test_socket_device_whose_peer_dies_fails_closed_at_once() -> None:
    conns: list[socket.socket] = []
    server, received, thread = _tcp_listener(conns)
    port = server.getsockname()[1]
    broker = AuditBroker(new_view())
    broker.enable("sock", "socket", "", {"address": f"127.0.0.1:{port}"}, False)
    broker.log_request(read_request(), None)
    for _ in range(500):  # the collector's thread accepts the connection in its own time
        if conns:
            break
        time.sleep(0.01)
    server.close()  # the collector goes away: nobody listens any more...
    conns[0].shutdown(socket.SHUT_RDWR)  # ...and its connection ends
    thread.join(timeout=5)
    # The very next entry fails: it is not handed to a connection the peer has closed.
    with pytest.raises(AuditFailed):
        broker.log_request(read_request(), None)
    broker.close()
    assert len(b"".join(received).splitlines()) == 2
