"""The seal manager: Vault's init/unseal/seal state machine and its exact messages."""

from __future__ import annotations

import base64
import uuid

import pytest

from reconciler.store.errors import BadRequest
from reconciler.store.sealing.barrier import Barrier
from reconciler.store.sealing.seal import CLUSTER_PATH, SealManager, SealStatus
from reconciler.store.storage.memory import MemoryStorage


@pytest.fixture
def manager() -> SealManager:
    return SealManager(Barrier(MemoryStorage()), "sqlite", version="1.2.3", build_date="b")


def _message(excinfo: pytest.ExceptionInfo[BadRequest]) -> str:
    return excinfo.value.messages[0]


def test_uninitialized_status(manager: SealManager) -> None:
    assert manager.status().to_json() == {
        "type": "shamir",
        "initialized": False,
        "sealed": True,
        "t": 0,
        "n": 0,
        "progress": 0,
        "nonce": "",
        "version": "1.2.3",
        "build_date": "b",
        "migration": False,
        "recovery_seal": False,
        "storage_type": "sqlite",
    }


def test_initialize_leaves_sealed_with_config(manager: SealManager) -> None:
    result = manager.initialize(5, 3)
    assert len(result.keys) == 5
    assert all(len(key) == 33 for key in result.keys)
    assert len(result.unseal_key) == 32
    status = manager.status().to_json()
    assert status["initialized"] is True
    assert status["sealed"] is True
    assert (status["t"], status["n"], status["progress"]) == (3, 5, 0)
    assert "cluster_name" not in status


def test_init_result_repr_hides_keys(manager: SealManager) -> None:
    result = manager.initialize(1, 1)
    assert result.unseal_key.hex() not in repr(result)
    assert str(list(result.unseal_key)) not in repr(result)


@pytest.mark.parametrize(
    ("shares", "threshold", "message"),
    [
        (0, 1, "shares must be at least one"),
        (1, 0, "threshold must be at least one"),
        (3, 1, "threshold must be greater than one for multiple shares"),
        (2, 3, "threshold cannot be larger than shares"),
        (256, 3, "shares must be less than 256"),
    ],
)
def test_init_validation(manager: SealManager, shares: int, threshold: int, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        manager.initialize(shares, threshold)
    assert _message(caught) == message
    assert caught.value.status == 400
    assert manager.status().initialized is False


def test_init_twice(manager: SealManager) -> None:
    manager.initialize(1, 1)
    with pytest.raises(BadRequest) as caught:
        manager.initialize(1, 1)
    assert _message(caught) == "Vault is already initialized"


def test_single_share_is_the_unseal_key(manager: SealManager) -> None:
    result = manager.initialize(1, 1)
    assert result.keys == [result.unseal_key]
    status = manager.submit(result.keys[0].hex(), reset=False)
    assert status.sealed is False


def test_unseal_with_threshold_shares_hex_and_base64(manager: SealManager) -> None:
    keys = manager.initialize(5, 3).keys
    first = manager.submit(keys[4].hex(), reset=False)
    assert (first.sealed, first.progress) == (True, 1)
    uuid.UUID(first.nonce)  # a UUID per attempt
    second = manager.submit(base64.b64encode(keys[1]).decode(), reset=False)
    assert (second.progress, second.nonce) == (2, first.nonce)
    done = manager.submit(keys[2].hex().upper(), reset=False)
    assert (done.sealed, done.progress, done.nonce) == (False, 0, "")
    body = done.to_json()
    assert str(body["cluster_name"]).startswith("vault-cluster-")
    uuid.UUID(str(body["cluster_id"]))
    assert list(body)[-4:] == ["cluster_name", "cluster_id", "recovery_seal", "storage_type"]


def test_cluster_identity_is_stable(manager: SealManager) -> None:
    key = manager.initialize(1, 1).keys[0]
    first = manager.submit(key.hex(), reset=False)
    manager.seal()
    second = manager.submit(key.hex(), reset=False)
    assert (first.cluster_name, first.cluster_id) == (second.cluster_name, second.cluster_id)
    assert first.cluster_id is not None


def test_status_accepts_cluster_override(manager: SealManager) -> None:
    manager.submit(manager.initialize(1, 1).keys[0].hex(), reset=False)
    body = manager.status(cluster=("name", "id")).to_json()
    assert (body["cluster_name"], body["cluster_id"]) == ("name", "id")


def test_cluster_written_through_the_barrier() -> None:
    storage = MemoryStorage()
    manager = SealManager(Barrier(storage), "memory")
    manager.initialize(1, 1)
    raw = storage.get(CLUSTER_PATH)
    assert raw is not None
    assert b"vault-cluster-" not in raw  # encrypted at rest


def test_repeated_share_is_ignored(manager: SealManager) -> None:
    keys = manager.initialize(3, 2).keys
    first = manager.submit(keys[0].hex(), reset=False)
    again = manager.submit(base64.b64encode(keys[0]).decode(), reset=False)
    assert again.progress == 1
    assert again.nonce == first.nonce
    assert manager.submit(keys[1].hex(), reset=False).sealed is False


def test_reset_clears_progress(manager: SealManager) -> None:
    keys = manager.initialize(3, 2).keys
    manager.submit(keys[0].hex(), reset=False)
    status = manager.submit(None, reset=True)
    assert (status.progress, status.nonce) == (0, "")


def test_reset_when_unsealed(manager: SealManager) -> None:
    manager.submit(manager.initialize(1, 1).keys[0].hex(), reset=False)
    with pytest.raises(BadRequest) as caught:
        manager.submit(None, reset=True)
    assert _message(caught) == "vault is unsealed"


@pytest.mark.parametrize("key", [None, ""])
def test_no_key_no_reset(manager: SealManager, key: str | None) -> None:
    manager.initialize(1, 1)
    with pytest.raises(BadRequest) as caught:
        manager.submit(key, reset=False)
    assert (
        _message(caught)
        == "'key' must be specified in request body as JSON, or 'reset' set to true"
    )


@pytest.mark.parametrize("key", ["not-hex-or-base64!", "abc", "zz" * 33])
def test_bad_encoding(manager: SealManager, key: str) -> None:
    manager.initialize(1, 1)
    with pytest.raises(BadRequest) as caught:
        manager.submit(key, reset=False)
    assert _message(caught) == "'key' must be a valid hex or base64 string"


def test_key_length_bounds(manager: SealManager) -> None:
    manager.initialize(1, 1)
    with pytest.raises(BadRequest) as caught:
        manager.submit(base64.b64encode(b"x" * 8).decode(), reset=False)
    assert _message(caught) == "invalid key: key is shorter than minimum 16 bytes"
    with pytest.raises(BadRequest) as caught:
        manager.submit(base64.b64encode(b"x" * 40).decode(), reset=False)
    assert _message(caught) == "invalid key: key is longer than maximum 33 bytes"


def test_wrong_key_fails_and_resets_progress(manager: SealManager) -> None:
    keys = manager.initialize(3, 2).keys
    manager.submit(keys[0].hex(), reset=False)
    forged = bytes([keys[1][0] ^ 0xFF]) + keys[1][1:]
    with pytest.raises(BadRequest) as caught:
        manager.submit(forged.hex(), reset=False)
    assert _message(caught) == "unseal failed, invalid key"
    status = manager.status()
    assert (status.sealed, status.progress, status.nonce) == (True, 0, "")
    manager.submit(keys[0].hex(), reset=False)
    assert manager.submit(keys[2].hex(), reset=False).sealed is False


def test_wrong_single_key_fails(manager: SealManager) -> None:
    manager.initialize(1, 1)
    with pytest.raises(BadRequest) as caught:
        manager.submit(bytes(32).hex(), reset=False)
    assert _message(caught) == "unseal failed, invalid key"
    assert manager.status().progress == 0


def test_shares_of_mixed_length_fail_as_invalid_key(manager: SealManager) -> None:
    keys = manager.initialize(3, 2).keys
    manager.submit(keys[0].hex(), reset=False)
    with pytest.raises(BadRequest) as caught:
        manager.submit(keys[1][:20].hex(), reset=False)
    assert _message(caught) == "unseal failed, invalid key"


def test_submit_when_unsealed_returns_status(manager: SealManager) -> None:
    key = manager.initialize(1, 1).keys[0]
    manager.submit(key.hex(), reset=False)
    status = manager.submit(bytes(32).hex(), reset=False)
    assert status.sealed is False
    assert status.progress == 0


def test_submit_when_not_initialized(manager: SealManager) -> None:
    with pytest.raises(BadRequest) as caught:
        manager.submit(bytes(32).hex(), reset=False)
    assert _message(caught) == "Vault is not initialized"


def test_seal_clears_progress_and_seals(manager: SealManager) -> None:
    keys = manager.initialize(3, 2).keys
    manager.submit(keys[0].hex(), reset=False)
    manager.seal()
    assert (manager.status().progress, manager.status().nonce) == (0, "")
    manager.submit(keys[0].hex(), reset=False)
    manager.submit(keys[1].hex(), reset=False)
    manager.seal()
    status = manager.status()
    assert status.sealed is True
    assert "cluster_id" not in status.to_json()


def test_status_is_a_value() -> None:
    status = SealStatus(True, False, 1, 1, 0, "", "v", "d", "memory", "c", "i")
    assert status.to_json()["cluster_name"] == "c"
