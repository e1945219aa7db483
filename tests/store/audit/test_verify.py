"""Tamper evidence: verify names the first edited, deleted, inserted or reordered line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.store.audit.verify import verify, verify_files
from tests.store.audit.support import file_broker, lines, read_request

COUNT = 10


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A 10-line audit file written by a real file device: its test entry (line 1), then
    reads of secret/data/app/1 to 9 (so line i+1 names app/i)."""
    path = tmp_path / "audit.log"
    broker = file_broker(path)
    for index in range(1, COUNT):
        broker.log_request(read_request(path=f"secret/data/app/{index}"), None)
    broker.close()
    return path


def _rewrite(path: Path, new_lines: list[bytes]) -> None:
    path.write_bytes(b"".join(new_lines))


def test_intact_file(log: Path) -> None:
    result = verify(str(log))
    assert result.ok
    assert (result.lines, result.first_seq, result.last_seq) == (COUNT, 1, COUNT)
    assert result.starts_at_genesis and not result.truncated_tail


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    result = verify(str(empty))
    assert result.ok and result.lines == 0


def test_edited_line(log: Path) -> None:
    content = lines(log)
    content[4] = content[4].replace(b"secret/data/app/4", b"secret/data/app/X")
    _rewrite(log, content)
    result = verify(str(log))
    assert result.problem is not None
    assert (result.problem.line, result.problem.kind) == (5, "edited")
    assert result.lines == 4


def test_edited_chain_field(log: Path) -> None:
    content = lines(log)
    content[6] = content[6][:30] + (b"0" if content[6][30:31] != b"0" else b"1") + content[6][31:]
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (7, "edited")


def test_deleted_line(log: Path) -> None:
    content = lines(log)
    del content[3]
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None
    assert (problem.line, problem.kind) == (4, "deleted")
    assert "seq 4 to 4" in problem.message


def test_deleted_lines_in_a_row(log: Path) -> None:
    content = lines(log)
    del content[2:5]
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (3, "deleted")
    assert problem.message.startswith("3 line(s) deleted")


def test_inserted_copy_of_a_line(log: Path) -> None:
    content = lines(log)
    content.insert(6, content[2])  # a replayed entry
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (7, "inserted")


def test_inserted_foreign_line(log: Path) -> None:
    content = lines(log)
    content.insert(5, b'{"time":"2024-01-01T00:00:00Z","type":"request"}\n')
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (6, "inserted")


def test_reordered_lines(log: Path) -> None:
    content = lines(log)
    content[3], content[4] = content[4], content[3]
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (4, "reordered")
    assert "line 5" in problem.message


def test_truncated_last_line_is_tolerated(log: Path) -> None:
    data = log.read_bytes()
    log.write_bytes(data[: len(data) - 40])
    result = verify(str(log))
    assert result.ok
    assert result.truncated_tail
    assert result.lines == COUNT - 1


def test_truncated_middle_line_is_rejected(log: Path) -> None:
    content = lines(log)
    content[5] = content[5][:60] + b"\n"
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (6, "truncated")


def test_middle_line_cut_and_joined_to_the_next_is_rejected(log: Path) -> None:
    content = lines(log)
    content[5] = content[5][:60]  # newline gone too: the line runs into the next one
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and (problem.line, problem.kind) == (6, "truncated")


def test_first_lines_deleted_show_as_mid_chain_and_break_the_link(log: Path) -> None:
    content = lines(log)
    older = log.with_name("older.log")
    _rewrite(older, content[:3])
    _rewrite(log, content[5:])  # lines 4-5 lost at the boundary
    alone = verify(str(log))
    assert alone.ok and not alone.starts_at_genesis and alone.first_seq == 6
    old, new = verify_files([str(older), str(log)])
    assert old.ok
    assert new.problem is not None and (new.problem.line, new.problem.kind) == (1, "unlinked")


def test_messages_hold_no_entry_content(log: Path) -> None:
    content = lines(log)
    content[4] = content[4].replace(b"secret/data/app/4", b"secret/data/app/X")
    _rewrite(log, content)
    problem = verify(str(log)).problem
    assert problem is not None and b"hmac-sha256" not in problem.message.encode()
    assert "secret/data" not in problem.message


def test_device_prefix_is_verified_and_queried(tmp_path: Path) -> None:
    path = tmp_path / "prefixed.log"
    broker = file_broker(path, prefix="sealkeep-audit: ")
    for _ in range(3):
        broker.log_request(read_request(), None)
    broker.close()
    assert all(line.startswith(b"sealkeep-audit: {") for line in lines(path))
    assert verify(str(path)).ok
    content = lines(path)
    content[0], content[1] = content[1], content[0]
    _rewrite(path, content)
    problem = verify(str(path)).problem
    assert problem is not None and (problem.line, problem.kind) == (2, "reordered")
