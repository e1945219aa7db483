"""The keyed chain against someone who can write the file but not the server's storage.

Each tamper is what such an attacker would do, including recomputing every plain SHA-256
hash and seq after the change; with the chain key and signed checkpoints `verify` catches
each one, and without them it says it cannot prove authenticity.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.store.audit import ledger
from reconciler.store.audit.broker import AuditBroker
from reconciler.store.audit.chain import parse_chain
from reconciler.store.audit.ledger import ChainMaterial
from reconciler.store.audit.proof import verify_proved
from reconciler.store.audit.verify import verify_files
from reconciler.store.errors import BadRequest
from tests.server.db_support import wait_until
from tests.store.audit.support import lines, new_view, read_request, rechain

COUNT = 12


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, ChainMaterial]:
    """A 12-line file (the test entry and 11 reads) and its key and checkpoints."""
    log = tmp_path / "audit.log"
    broker = AuditBroker(new_view())
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    for index in range(1, COUNT):
        broker.log_request(read_request(path=f"secret/data/app/{index}"), None)
    material = broker.chain_material("file")
    broker.close()
    return log, material


def _write(path: Path, new_lines: list[bytes]) -> None:
    path.write_bytes(b"".join(new_lines))


def _problem(log: Path, material: ChainMaterial) -> tuple[str, int, str]:
    [result] = verify_proved([str(log)], material)
    assert result.problem is not None, "the tamper went unnoticed"
    return result.problem.kind, result.problem.line, result.problem.message


def test_intact_file_is_proved(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    [result] = verify_proved([str(log)], material)
    assert result.ok and result.authenticated and result.keyed
    assert result.lines == COUNT
    assert result.notes == [
        f"segment 1 proved complete up to seq {COUNT} (checkpoint of "
        f"{_when(material)}); 0 line(s) after it are authentic but could have been cut "
        "undetected"
    ]


def _when(material: ChainMaterial) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(material.checkpoints[-1].time))


def test_plain_rechain_passes_without_the_key_and_says_so(
    audited: tuple[Path, ChainMaterial],
) -> None:
    log, _ = audited
    content = lines(log)
    content[5] = content[5].replace(b"secret/data/app/5", b"secret/data/app/X")
    _write(log, rechain(content))
    [result] = verify_files([str(log)])
    assert result.ok and result.keyed and not result.authenticated


def test_edit(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    content = lines(log)
    content[5] = content[5].replace(b"secret/data/app/5", b"secret/data/app/X")
    _write(log, content)
    assert _problem(log, material)[:2] == ("forged", 6)


@pytest.mark.parametrize("strip_mac", [False, True])
def test_edit_with_recomputed_hashes(audited: tuple[Path, ChainMaterial], strip_mac: bool) -> None:
    log, material = audited
    content = lines(log)
    content[5] = content[5].replace(b"secret/data/app/5", b"secret/data/app/X")
    _write(log, rechain(content, strip_mac=strip_mac))
    kind, line, _ = _problem(log, material)
    assert kind == "forged" and line <= 6


def test_delete_with_recomputed_hashes(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    content = lines(log)
    del content[4]
    _write(log, rechain(content))
    assert _problem(log, material)[:2] == ("forged", 5)


def test_reorder_with_recomputed_hashes(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    content = lines(log)
    content[3], content[4] = content[4], content[3]
    _write(log, rechain(content))
    assert _problem(log, material)[:2] == ("forged", 4)


def test_duplicate_with_recomputed_hashes(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    content = lines(log)
    content.insert(7, content[2])  # a replayed entry
    _write(log, rechain(content))
    assert _problem(log, material)[:2] == ("forged", 8)


def test_head_cut(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    _write(log, lines(log)[3:])
    assert verify_files([str(log)])[0].ok  # plainly, it looks like a rotated file
    kind, line, message = _problem(log, material)
    assert (kind, line) == ("head-cut", 1)
    assert "3 line(s) cut from its head" in message


def test_head_cut_renumbered_from_genesis(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    _write(log, rechain(lines(log)[3:]))
    assert _problem(log, material)[:2] == ("forged", 1)


def test_tail_cut(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    _write(log, lines(log)[:-2])
    assert verify_files([str(log)])[0].ok  # plainly, nothing is wrong
    kind, _, message = _problem(log, material)
    assert kind == "tail-cut"
    assert f"had reached seq {COUNT}" in message and "2 line(s) cut from its tail" in message


def test_whole_file_emptied(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    _write(log, [])
    kind, _, message = _problem(log, material)
    assert kind == "tail-cut" and "segment 1" in message


def test_full_rewrite_with_recomputed_plain_hashes(
    audited: tuple[Path, ChainMaterial],
) -> None:
    log, material = audited
    content = [line.replace(b"secret/data/app/", b"secret/data/other/") for line in lines(log)]
    _write(log, rechain(content, strip_mac=True))
    assert verify_files([str(log)])[0].ok
    kind, line, message = _problem(log, material)
    assert (kind, line) == ("forged", 1)
    assert "no mac" in message


def test_lines_after_the_last_checkpoint_can_be_cut_undetected(tmp_path: Path) -> None:
    """The documented window: what was written since the last checkpoint is not provable."""
    log = tmp_path / "audit.log"
    broker = AuditBroker(new_view())
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    broker.log_request(read_request(), None)
    material = broker.chain_material("file")  # checkpoints seq 2
    broker.log_request(read_request(), None)
    broker.log_request(read_request(), None)
    _write(log, lines(log)[:-1])  # seq 4 cut: after the checkpoint
    [result] = verify_proved([str(log)], material)
    assert result.ok
    assert "up to seq 2" in result.notes[0] and "1 line(s) after it" in result.notes[0]
    broker.close()


def test_checkpoints_every_n_lines_and_at_close(tmp_path: Path) -> None:
    view = new_view()
    log = tmp_path / "audit.log"
    broker = AuditBroker(view)
    options = {"file_path": str(log), "checkpoint_lines": "5"}
    broker.enable("file", "file", "", options, False)
    device_uuid = view.get_json("table")["devices"][0]["uuid"]
    for _ in range(7):
        broker.log_request(read_request(), None)
    [cp] = ledger.checkpoints(view, device_uuid)
    assert (cp.seg, cp.start_seq, cp.head_seq, cp.reason) == (1, 1, 6, "interval")
    assert cp.start_offset == 0 and cp.offset == sum(len(x) for x in lines(log)[:6])
    broker.close()
    [cp] = ledger.checkpoints(view, device_uuid)
    assert (cp.head_seq, cp.reason) == (8, "close")


def test_rotation_starts_a_segment_and_both_files_are_proved(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    rotated = tmp_path / "audit.log.1"
    broker = AuditBroker(new_view())
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    broker.log_request(read_request(), None)
    log.rename(rotated)
    broker.reopen()  # SIGHUP: checkpoints the old segment, starts segment 2
    broker.log_request(read_request(), None)
    material = broker.chain_material("file")
    broker.close()
    old, new = verify_proved([str(rotated), str(log)], material)
    assert old.ok and new.ok, (old.problem, new.problem)
    [alone] = verify_proved([str(log)], material)
    assert alone.ok and any("older segments 1 to 1" in note for note in alone.notes)
    [stale] = verify_proved([str(rotated)], material)
    assert stale.problem is not None and stale.problem.kind == "tail-cut"
    assert "pass the newer file too" in stale.problem.message


def test_a_segment_started_mid_file_after_its_head_is_cut(tmp_path: Path) -> None:
    """A restart that finds the file cut behind its checkpoint starts segment 2 there; cutting
    all of segment 1 afterwards still shows, by the byte offset segment 2 began at."""
    view = new_view()
    log = tmp_path / "audit.log"
    broker = AuditBroker(view)
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    broker.log_request(read_request(), None)
    broker.log_request(read_request(), None)
    broker.close()
    _write(log, lines(log)[:-1])  # tail cut while the server is down
    again = AuditBroker(view)
    again.load()  # logs that the file ends before its checkpoint; segment 2 starts
    again.log_request(read_request(), None)
    material = again.chain_material("file")
    again.close()
    kind, _, message = _problem(log, material)
    assert kind == "tail-cut" and "segment 1" in message
    seg2 = [line for line in lines(log) if b'"seg":2}' in line]
    _write(log, seg2)
    kind, line, message = _problem(log, material)
    assert (kind, line) == ("head-cut", 1) and "began at byte" in message


def test_an_altered_checkpoint_is_refused(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    cp = material.checkpoints[0]
    moved = replace(material, checkpoints=(replace(cp, head_seq=cp.head_seq - 2),))
    _write(log, lines(log)[:-2])
    kind, _, message = _problem(log, moved)
    assert kind == "forged" and "not signed with this key" in message


def test_export_round_trip(audited: tuple[Path, ChainMaterial]) -> None:
    log, material = audited
    again = ChainMaterial.from_json(json.loads(json.dumps(material.to_json())))
    assert verify_proved([str(log)], again)[0].ok
    assert repr(again.key) == "ChainKey((sensitive))"


def test_a_file_that_is_not_a_sealkeep_log(tmp_path: Path) -> None:
    other = tmp_path / "other.log"
    other.write_text('{"time":"2026-01-01T00:00:00Z","type":"request"}\n{"type":"response"}\n')
    [result] = verify_files([str(other)])
    assert result.problem is not None and result.problem.kind == "foreign"
    assert result.problem.message.startswith("not a Sealkeep audit log")
    assert parse_chain(other.read_bytes()) is None


def test_a_quiet_device_is_checkpointed_by_the_ticker(tmp_path: Path) -> None:
    view = new_view()
    broker = AuditBroker(view)
    options = {"file_path": str(tmp_path / "audit.log"), "checkpoint_interval": "1s"}
    broker.enable("file", "file", "", options, False)
    device_uuid = view.get_json("table")["devices"][0]["uuid"]
    broker.log_request(read_request(), None)  # seq 2, not yet checkpointed (1 of 1,000 lines)
    assert ledger.checkpoints(view, device_uuid)[0].head_seq == 1

    def ticked() -> bool:
        broker.tick()  # what the server's background ticker calls every second
        return ledger.checkpoints(view, device_uuid)[0].head_seq == 2

    wait_until(ticked, timeout=10, step=0.1)
    assert ledger.checkpoints(view, device_uuid)[0].reason == "interval"
    broker.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"checkpoint_lines": "0"}, 'invalid checkpoint_lines "0"'),
        ({"checkpoint_interval": "soon"}, 'invalid checkpoint_interval "soon"'),
    ],
)
def test_bad_checkpoint_options_are_refused(
    tmp_path: Path, options: dict[str, str], message: str
) -> None:
    broker = AuditBroker(new_view())
    with pytest.raises(BadRequest, match=message):
        broker.enable("file", "file", "", {"file_path": str(tmp_path / "a.log"), **options}, False)
    assert broker.list() == {}
    assert not (tmp_path / "a.log").exists()


def test_a_file_removed_while_the_server_was_down_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    view = new_view()
    log = tmp_path / "audit.log"
    broker = AuditBroker(view)
    broker.enable("file", "file", "", {"file_path": str(log)}, False)
    broker.log_request(read_request(), None)
    broker.close()
    log.unlink()
    again = AuditBroker(view)
    again.load()
    again.log_request(read_request(), None)  # a new file: segment 2, from genesis
    material = again.chain_material("file")
    again.close()
    assert "was rotated or removed while the server was down" in caplog.text
    [result] = verify_proved([str(log)], material)
    assert result.ok and any("older segments 1 to 1" in note for note in result.notes)


def test_lines_a_socket_device_sent_are_proved(tmp_path: Path) -> None:
    """A collector stores what the socket device sends; the server's key proves it."""
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def collect() -> None:
        conn, _ = listener.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.append(chunk)

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    broker = AuditBroker(new_view())
    address = f"127.0.0.1:{listener.getsockname()[1]}"
    broker.enable("sock", "socket", "", {"address": address}, False)
    for _ in range(3):
        broker.log_request(read_request(), None)
    material = broker.chain_material("sock")
    broker.close()
    thread.join(timeout=5)
    listener.close()
    stored = tmp_path / "collected.log"
    stored.write_bytes(b"".join(received))
    [result] = verify_proved([str(stored)], material)
    assert result.ok and result.lines == 4 and result.authenticated
    _write(stored, lines(stored)[:-1])
    assert _problem(stored, material)[0] == "tail-cut"


def test_a_refused_device_leaves_nothing_in_storage() -> None:
    view = new_view()
    broker = AuditBroker(view)
    with pytest.raises(BadRequest):
        broker.enable("full", "file", "", {"file_path": "/dev/full"}, False)
    assert list(view.walk()) == []
