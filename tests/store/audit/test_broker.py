"""The broker: enable/disable/list, persistence of the table and salts, fail closed.

Tests run as root, which ignores file permissions, so "unwritable" is made in ways that fail
even for root: a file_path whose parent is a regular file (open fails: not a directory /
file exists), and /dev/full (every write fails with ENOSPC, like a full disk). /dev/full is
enabled with mode "0000" so the device never chmods it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reconciler.store.audit.broker import AuditBroker
from reconciler.store.audit.verify import verify
from reconciler.store.errors import AuditFailed, BadRequest
from reconciler.store.logical import Operation, Response
from tests.store.audit.support import TOKEN, entries, file_broker, new_view, read_request


def test_list_shape_and_disable(tmp_path: Path) -> None:
    broker = AuditBroker(new_view())
    assert not broker.has_devices
    assert broker.list() == {}
    options = {"file_path": str(tmp_path / "a.log"), "hmac_accessor": "false"}
    broker.enable("file", "file", "main log", options, False)
    assert broker.has_devices
    assert broker.list() == {
        "file/": {
            "type": "file",
            "description": "main log",
            "options": options,
            "local": False,
            "path": "file/",
        }
    }
    broker.disable("file/")
    broker.disable("never-enabled")
    assert broker.list() == {}
    assert not broker.has_devices


@pytest.mark.parametrize(
    ("path", "kind", "options", "message"),
    [
        ("x", "syslogd", {}, 'unknown backend type: "syslogd"'),
        ("x", "file", {}, "file_path is required"),
        ("x", "socket", {}, "address is required"),
        ("x", "socket", {"address": "nohost"}, "invalid address"),
        ("x", "file", {"file_path": "stdout", "format": "jsonx"}, "unsupported"),
        ("x", "file", {"file_path": "stdout", "mode": "rw"}, 'invalid mode "rw"'),
    ],
)
def test_enable_rejects_bad_input(
    path: str, kind: str, options: dict[str, str], message: str
) -> None:
    broker = AuditBroker(new_view())
    with pytest.raises(BadRequest, match=message):
        broker.enable(path, kind, "", options, False)
    assert broker.list() == {}


def test_path_already_in_use(tmp_path: Path) -> None:
    broker = file_broker(tmp_path / "a.log")
    for path in ("file", "file/", "file/sub"):
        with pytest.raises(BadRequest, match="path already in use"):
            broker.enable(path, "file", "", {"file_path": "discard"}, False)
    broker.close()


def test_sanity_check_fails_when_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    broker = AuditBroker(new_view())
    target = blocker / "audit.log"
    with pytest.raises(BadRequest) as caught:
        broker.enable("file", "file", "", {"file_path": str(target)}, False)
    assert str(caught.value).startswith(f'sanity check failed; unable to open "{target}" for')
    assert broker.list() == {}


def test_table_and_salt_survive_restart(tmp_path: Path) -> None:
    view = new_view()
    log = tmp_path / "audit.log"
    first = AuditBroker(view)
    first.enable("file", "file", "", {"file_path": str(log)}, True)
    first.log_request(read_request(), None)
    token_hash = first.hash("file", TOKEN)
    first.close()

    second = AuditBroker(view)
    second.load()
    assert second.list()["file/"]["local"] is True
    assert second.hash("file", TOKEN) == token_hash
    second.log_request(read_request(), None)
    second.close()
    one, two = entries(log)
    assert one["auth"]["client_token"] == two["auth"]["client_token"] == token_hash
    assert two["chain"]["seq"] == 3  # seq 1 is the test entry taken at enable
    assert verify(str(log)).ok


def test_hash_of_unknown_device() -> None:
    with pytest.raises(BadRequest, match="unknown audit backend"):
        AuditBroker(new_view()).hash("nope", "x")


def test_no_devices_means_nothing_required() -> None:
    broker = AuditBroker(new_view())
    broker.log_request(read_request(), None)
    broker.log_response(read_request(), Response(data={"a": "b"}), None)


@pytest.mark.parametrize("mode", ["", "0000"])
def test_a_device_that_cannot_write_is_refused(mode: str) -> None:
    broker = AuditBroker(new_view())
    before = Path("/dev/full").stat().st_mode
    with pytest.raises(BadRequest) as caught:
        broker.enable("full", "file", "", {"file_path": "/dev/full", "mode": mode}, False)
    assert str(caught.value) == (
        'sanity check failed; unable to write a test entry to "/dev/full": no space left on device'
    )
    assert caught.value.status == 400
    assert broker.list() == {}
    assert Path("/dev/full").stat().st_mode == before  # a device node is never chmodded


def _break(folder: Path, broker: AuditBroker) -> None:
    """Make the file device writing into `folder` fail from now on, even for root: the
    folder becomes a regular file and SIGHUP's reopen cannot open the log again."""
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("now a regular file")
    broker.reopen()  # logs the error; the device stays enabled


def test_fail_closed_when_the_only_device_cannot_write(tmp_path: Path) -> None:
    broker = file_broker(tmp_path / "logs" / "audit.log")
    _break(tmp_path / "logs", broker)
    with pytest.raises(AuditFailed) as caught:
        broker.log_request(read_request(), None)
    assert caught.value.status == 500
    assert "internal error" in str(caught.value)
    with pytest.raises(AuditFailed):
        broker.log_response(read_request(), Response(data={"password": "pw"}), None)
    broker.close()


def test_disable_and_seal_pass_when_no_device_can_log(tmp_path: Path) -> None:
    broker = file_broker(tmp_path / "logs" / "audit.log")
    _break(tmp_path / "logs", broker)
    disable = read_request(path="sys/audit/file", operation=Operation.DELETE)
    broker.log_request(disable, None)  # let through: it removes a device
    broker.disable("file")
    broker.log_response(disable, None, None)
    assert not broker.has_devices
    broker.enable("file2", "file", "", {"file_path": str(tmp_path / "b.log")}, False)
    _break_device_at(broker, tmp_path)
    seal = read_request(path="sys/seal", operation=Operation.UPDATE)
    broker.log_request(seal, None)
    broker.log_response(seal, None, None)
    with pytest.raises(AuditFailed):  # a denied attempt is not let through
        broker.log_request(disable, "permission denied")
    broker.log_request(read_request(path="sys/audit", operation=Operation.READ), None)
    with pytest.raises(AuditFailed):  # anything else fails closed
        broker.log_request(read_request(), None)
    broker.close()


def _break_device_at(broker: AuditBroker, tmp_path: Path) -> None:
    (tmp_path / "b.log").unlink()
    (tmp_path / "b.log").mkdir()  # the path is now a folder: reopening it fails
    broker.reopen()


def test_fail_closed_when_the_file_becomes_unopenable(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    log = folder / "audit.log"
    broker = file_broker(log)
    broker.log_request(read_request(), None)
    log.unlink()
    folder.rmdir()
    folder.write_text("now a regular file")
    broker.reopen()  # logs the error; the device stays enabled
    with pytest.raises(AuditFailed):
        broker.log_request(read_request(), None)
    broker.close()


def test_one_failing_device_and_one_working_device_succeeds(tmp_path: Path) -> None:
    log = tmp_path / "good.log"
    broker = file_broker(log)
    bad = tmp_path / "bad" / "audit.log"
    broker.enable("bad", "file", "", {"file_path": str(bad)}, False)
    bad.unlink()
    bad.parent.rmdir()
    bad.parent.write_text("now a regular file")
    broker.reopen()
    broker.log_request(read_request(), None)
    broker.log_response(read_request(), None, None)
    broker.close()
    assert [e["type"] for e in entries(log)] == ["request", "response"]


def test_concurrent_logging_keeps_one_intact_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)

    def worker() -> None:
        for _ in range(50):
            broker.log_request(read_request(), None)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    broker.close()
    result = verify(str(log))
    assert result.ok, result.problem
    assert result.lines == 401  # and the test entry


def test_stdout_and_discard_devices(capsys: pytest.CaptureFixture[str]) -> None:
    broker = AuditBroker(new_view())
    broker.enable("out", "file", "", {"file_path": "stdout"}, False)
    broker.enable("null", "file", "", {"file_path": "discard"}, False)
    broker.log_request(read_request(), None)
    broker.close()
    out = capsys.readouterr().out
    assert out.startswith('{"chain":{"seq":1,"prev":"' + "0" * 64)
    assert TOKEN not in out
