"""The snapshot file format: a round trip keeps every entry; any damage is refused whole."""

from __future__ import annotations

import io
import tarfile

import pytest

from reconciler.store.errors import BadRequest
from reconciler.store.operations.snapshot import SnapshotHeader, read_snapshot, write_snapshot

HEADER = SnapshotHeader(created=1.5, keyring_term=2, cluster_id="c-1", storage_type="sqlite")
ITEMS = [("core/keyring", b"\x01\x02"), ("logical/x/y", b"\xff" * 40)]


def _seal(sums: bytes) -> bytes:
    return b"sealed:" + sums


def _rebuild(blob: bytes, change: dict[str, bytes | None]) -> bytes:
    """The same archive with members replaced (bytes) or dropped (None)."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as src,
        tarfile.open(fileobj=out, mode="w:gz") as dst,
    ):
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name in change:
                if change[info.name] is None:
                    continue
                data = change[info.name]  # type: ignore[assignment]
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_round_trip_and_the_sealed_checksums() -> None:
    snapshot = read_snapshot(write_snapshot(HEADER, ITEMS, _seal))
    assert snapshot.header == HEADER
    assert snapshot.items == ITEMS
    assert snapshot.taken_by(lambda blob: blob.removeprefix(b"sealed:"))
    assert not snapshot.taken_by(lambda blob: b"other keys")


def test_an_edited_entry_is_refused() -> None:
    blob = write_snapshot(HEADER, ITEMS, _seal)
    forged = _rebuild(blob, {"entries.jsonl": b'["logical/x/y", "AAAA"]\n'})
    with pytest.raises(BadRequest, match="checksum"):
        read_snapshot(forged)


def test_a_missing_member_is_refused() -> None:
    blob = write_snapshot(HEADER, ITEMS, _seal)
    with pytest.raises(BadRequest, match=r"SHA256SUMS\.sealed"):
        read_snapshot(_rebuild(blob, {"SHA256SUMS.sealed": None}))


def test_not_gzip_and_truncated_files_are_refused() -> None:
    with pytest.raises(BadRequest, match="not a Sealkeep snapshot"):
        read_snapshot(b"plain text")
    blob = write_snapshot(HEADER, ITEMS, _seal)
    with pytest.raises(BadRequest, match="truncated"):
        read_snapshot(blob[: len(blob) // 2])
