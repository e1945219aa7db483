"""Seal and key operations: status, init, unseal, seal, rotate, key-status."""

from __future__ import annotations

import hvac

from reconciler.client.errors import ClientInputError
from reconciler.client.results import Result, as_json, result_of
from reconciler.vocabulary.otp import decode_token


def seal_status(client: hvac.Client) -> Result:
    """`sys/seal-status` (no token needed): the whole answer is the table."""
    raw = as_json(client.sys.read_seal_status())
    return Result(raw=raw, data=raw)


def initialize(client: hvac.Client, shares: int, threshold: int) -> Result:
    """`sys/init`: split the unseal key into `shares`, `threshold` of which unseal.

    The answer holds the key shares and the root token, shown once.
    """
    if shares < 1 or not 1 <= threshold <= shares:
        raise ClientInputError(
            f"-key-threshold must be between 1 and -key-shares ({shares}); got {threshold}"
        )
    raw = as_json(client.sys.initialize(secret_shares=shares, secret_threshold=threshold))
    return Result(raw=raw, data=raw)


def unseal(client: hvac.Client, key: str) -> Result:
    """`sys/unseal` with one key share; the answer is the seal status (progress)."""
    share = key.strip()
    if not share:
        raise ClientInputError("the unseal key is empty")
    raw = as_json(client.sys.submit_unseal_key(key=share))
    return Result(raw=raw, data=raw)


def reset_unseal(client: hvac.Client) -> Result:
    """`sys/unseal` with reset: forget the shares given so far."""
    raw = as_json(client.sys.submit_unseal_key(reset=True))
    return Result(raw=raw, data=raw)


def seal(client: hvac.Client) -> None:
    """`sys/seal` (needs sudo): drop the keys from memory."""
    client.sys.seal()


def key_status(client: hvac.Client) -> Result:
    """`sys/key-status`: the active encryption key term and its install time."""
    return result_of(client.sys.get_encryption_key_status())


def rotate(client: hvac.Client) -> Result:
    """`sys/rotate`: add a new encryption key term; answers the new key status."""
    client.sys.rotate_encryption_key()
    return key_status(client)


def snapshot_save(client: hvac.Client) -> bytes:
    """`sys/storage/raft/snapshot` (sudo): the store's snapshot file, still encrypted."""
    response = client.sys.take_raft_snapshot()
    response.raise_for_status()
    return bytes(response.content)


def snapshot_restore(client: hvac.Client, snapshot: bytes, *, force: bool = False) -> None:
    """Restore a snapshot (sudo); the server seals and waits for the snapshot's unseal keys.

    `force` restores a snapshot taken by another store (`snapshot-force`).
    """
    if not snapshot:
        raise ClientInputError("the snapshot file is empty")
    if force:
        client.sys.force_restore_raft_snapshot(snapshot)
    else:
        client.sys.restore_raft_snapshot(snapshot)


def rekey_status(client: hvac.Client) -> Result:
    """`sys/rekey/init`: the rekey attempt in progress, if any."""
    raw = as_json(client.sys.read_rekey_progress())
    return Result(raw=raw, data=raw)


def rekey_start(client: hvac.Client, shares: int, threshold: int, verify: bool) -> Result:
    """Start a rekey: new `shares`, `threshold` of which unseal (after verification if asked)."""
    if shares < 1 or not 1 <= threshold <= shares:
        raise ClientInputError(
            f"-key-threshold must be between 1 and -key-shares ({shares}); got {threshold}"
        )
    raw = as_json(
        client.sys.start_rekey(
            secret_shares=shares, secret_threshold=threshold, require_verification=verify
        )
    )
    return Result(raw=raw, data=raw)


def rekey_update(client: hvac.Client, key: str, nonce: str, *, verify: bool = False) -> Result:
    """Give one share to the rekey (or, with `verify`, one new share to its verification)."""
    share = key.strip()
    if not share or not nonce:
        raise ClientInputError("a key share and the attempt's -nonce are both needed")
    if verify:
        raw = as_json(client.sys.rekey_verify(share, nonce))
    else:
        raw = as_json(client.sys.rekey(share, nonce=nonce))
    return Result(raw=raw, data=raw)


def rekey_cancel(client: hvac.Client) -> None:
    """Forget the rekey attempt (and any unverified new shares)."""
    client.sys.cancel_rekey()


def generate_root_status(client: hvac.Client) -> Result:
    """`sys/generate-root/attempt`: the root generation in progress, if any."""
    raw = as_json(client.sys.read_root_generation_progress())
    return Result(raw=raw, data=raw)


def generate_root_start(client: hvac.Client, otp: str = "") -> Result:
    """Start a root generation; without `otp` the server makes one and answers it once."""
    raw = as_json(client.sys.start_root_token_generation(otp=otp or None))
    return Result(raw=raw, data=raw)


def generate_root_update(client: hvac.Client, key: str, nonce: str) -> Result:
    """Give one share; the last answers the root token XOR-ed with the OTP."""
    share = key.strip()
    if not share or not nonce:
        raise ClientInputError("a key share and the attempt's -nonce are both needed")
    raw = as_json(client.sys.generate_root(share, nonce))
    return Result(raw=raw, data=raw)


def generate_root_cancel(client: hvac.Client) -> None:
    """Forget the root generation attempt."""
    client.sys.cancel_root_generation()


def decode_root_token(encoded: str, otp: str) -> str:
    """The root token from the encoded token and the OTP (done here: the OTP never travels)."""
    return decode_token(encoded, otp)
