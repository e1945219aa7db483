"""Key ceremonies: rekey (new unseal shares) and root generation, as Vault runs them.

Both collect a threshold of the current unseal shares, one call at a time, under a nonce
that every call must repeat (so two operators cannot mix attempts). Shares are kept in
`bytearray`s and zeroed when the attempt ends, whichever way.

- Rekey: when the threshold is met, a new unseal key is made and split; with
  `require_verification` the new shares only take effect once a threshold of them is given
  back to `sys/rekey/verify` (so nobody is locked out by shares lost on the way).
- Root generation: the caller gives (or is given) a one-time password; when the threshold
  is met a root token is made and returned XOR-ed with the OTP, base64 (RawStd), so only
  the holder of the OTP can read it (`sys/decode-token` or `bao operator generate-root
  -decode`).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any

from reconciler.store.errors import BadRequest
from reconciler.store.sealing import shamir
from reconciler.store.sealing.barrier import KEY_SIZE, Barrier, SealConfig
from reconciler.store.sealing.seal import decode_key, validate_config
from reconciler.store.sealing.shares import KeyShares
from reconciler.vocabulary.otp import encode_token

OTP_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
OTP_LENGTH = 28  # the length of a root token ("hvs." + 24), which the OTP must match


class _Attempt:
    """Distinct shares toward a threshold, under the nonce every call must repeat."""

    def __init__(self, threshold: int) -> None:
        self.nonce = str(uuid.uuid4())
        self.shares = KeyShares(threshold)

    @property
    def threshold(self) -> int:
        """How many shares complete the attempt."""
        return self.shares.threshold

    def add(self, key: str, nonce: str) -> bool:
        """Add one share; True when the threshold is reached."""
        if nonce != self.nonce:
            raise BadRequest("incorrect nonce")
        if not self.shares.add(decode_key(key)):
            raise BadRequest("given key has already been provided during this generation operation")
        return self.shares.complete

    def combined(self) -> bytes:
        """The secret the shares reconstruct (the shares are zeroed)."""
        try:
            return self.shares.combine()
        except ValueError:
            raise BadRequest("failed to compute root key: invalid key shares") from None

    def clear(self) -> None:
        """Zero the shares."""
        self.shares.clear()


class RekeyCeremony:
    """`sys/rekey/init|update|verify`. Invariant: at most one attempt and one pending
    verification at a time; nothing is stored until the new shares are final."""

    def __init__(self, barrier: Barrier) -> None:
        self._barrier = barrier
        self._lock = threading.Lock()
        self._attempt: _Attempt | None = None
        self._new: tuple[int, int] = (0, 0)  # shares, threshold
        self._require_verification = False
        self._pending_key: bytes | None = None  # new key awaiting verification
        self._old_key: bytes | None = None
        self._verify: _Attempt | None = None

    def _config(self) -> SealConfig:
        config = self._barrier.read_seal_config()
        if config is None:
            raise BadRequest("Vault is not initialized")
        return config

    def status(self) -> dict[str, Any]:
        """GET sys/rekey/init."""
        with self._lock:
            attempt = self._attempt
            return {
                "nonce": attempt.nonce if attempt else "",
                "started": attempt is not None,
                "t": self._new[1] if attempt else 0,
                "n": self._new[0] if attempt else 0,
                "progress": attempt.shares.progress if attempt else 0,
                "required": self._config().secret_threshold,
                "pgp_fingerprints": None,
                "backup": False,
                "verification_required": self._require_verification if attempt else False,
            }

    def start(self, shares: int, threshold: int, require_verification: bool) -> dict[str, Any]:
        """PUT sys/rekey/init."""
        validate_config(shares, threshold)
        with self._lock:
            if self._attempt is not None or self._pending_key is not None:
                raise BadRequest("rekey already in progress")
            self._attempt = _Attempt(self._config().secret_threshold)
            self._new = (shares, threshold)
            self._require_verification = require_verification
        return self.status()

    def cancel(self) -> None:
        """DELETE sys/rekey/init: forget the attempt and any unverified new shares."""
        with self._lock:
            self._reset()

    def _reset(self) -> None:
        if self._attempt is not None:
            self._attempt.clear()
        if self._verify is not None:
            self._verify.clear()
        self._attempt = self._verify = None
        self._pending_key = self._old_key = None
        self._new = (0, 0)

    def update(self, key: str, nonce: str) -> dict[str, Any]:
        """PUT sys/rekey/update: one current share; at the threshold, the new shares."""
        with self._lock:
            attempt = self._attempt
            if attempt is None:
                raise BadRequest("no rekey in progress")
            if not attempt.add(key, nonce):
                progress = {
                    "nonce": attempt.nonce,
                    "started": True,
                    "progress": attempt.shares.progress,
                }
                progress.update(t=self._new[1], n=self._new[0], required=attempt.threshold)
                return {**progress, "complete": False}
            old_key = attempt.combined()
            attempt.clear()
            if not self._barrier.check_unseal_key(old_key):
                self._reset()
                raise BadRequest("rekey failed: the key shares do not form the unseal key")
            shares, threshold = self._new
            new_key = secrets.token_bytes(KEY_SIZE)
            parts = [new_key] if shares == 1 else shamir.split(new_key, shares, threshold)
            answer: dict[str, Any] = {
                "complete": True,
                "nonce": attempt.nonce,
                "keys": [p.hex() for p in parts],
                "keys_base64": [base64.b64encode(p).decode() for p in parts],
                "pgp_fingerprints": None,
                "backup": False,
                "verification_required": self._require_verification,
            }
            self._attempt = None
            if self._require_verification:
                self._pending_key, self._old_key = new_key, old_key
                self._verify = _Attempt(threshold)
                answer["verification_nonce"] = self._verify.nonce
                return answer
            self._barrier.rekey(old_key, new_key, SealConfig(shares, threshold))
            self._new = (0, 0)
            return answer

    def verify_status(self) -> dict[str, Any]:
        """GET sys/rekey/verify."""
        with self._lock:
            if self._verify is None:
                raise BadRequest("no rekey verification in progress")
            started = {"nonce": self._verify.nonce, "started": True}
            return {
                **started,
                "t": self._new[1],
                "n": self._new[0],
                "progress": self._verify.shares.progress,
            }

    def verify(self, key: str, nonce: str) -> dict[str, Any]:
        """PUT sys/rekey/verify: one new share; at the threshold the new shares take effect."""
        with self._lock:
            check = self._verify
            if check is None or self._pending_key is None or self._old_key is None:
                raise BadRequest("no rekey verification in progress")
            if not check.add(key, nonce):
                return {"nonce": check.nonce, "complete": False, "progress": check.shares.progress}
            combined = check.combined()
            check.clear()
            if not hmac.compare_digest(combined, self._pending_key):
                check.shares.clear()
                raise BadRequest("rekey verification failed: the shares do not form the new key")
            shares, threshold = self._new
            self._barrier.rekey(self._old_key, self._pending_key, SealConfig(shares, threshold))
            nonce_done = check.nonce
            self._reset()
            return {"nonce": nonce_done, "complete": True}

    def verify_cancel(self) -> dict[str, Any]:
        """DELETE sys/rekey/verify: start the verification again (same new shares)."""
        with self._lock:
            if self._verify is None:
                raise BadRequest("no rekey verification in progress")
            self._verify.clear()
            self._verify = _Attempt(self._new[1])
            return {"nonce": self._verify.nonce, "started": True, "progress": 0}


class RootGeneration:
    """`sys/generate-root/attempt|update`: a new root token for a threshold of shares."""

    def __init__(
        self,
        barrier: Barrier,
        mint_root_token: Callable[[], str],
        check_key: Callable[[bytes], bool],
        threshold: Callable[[], int],
    ) -> None:
        """`check_key` and `threshold` say what the shares must form: the unseal key, or the
        recovery key on an auto-sealed store."""
        self._barrier = barrier
        self._mint = mint_root_token
        self._check_key = check_key
        self._threshold = threshold
        self._lock = threading.Lock()
        self._attempt: _Attempt | None = None
        self._otp = ""

    def _required(self) -> int:
        return self._threshold()

    def status(self, otp: str = "") -> dict[str, Any]:
        """GET sys/generate-root/attempt."""
        with self._lock:
            attempt = self._attempt
            return {
                "started": attempt is not None,
                "nonce": attempt.nonce if attempt else "",
                "progress": attempt.shares.progress if attempt else 0,
                "required": self._required(),
                "encoded_token": "",
                "encoded_root_token": "",
                "pgp_fingerprint": "",
                "otp": otp,
                "otp_length": OTP_LENGTH,
                "complete": False,
            }

    def start(self, otp: str, pgp_key: str) -> dict[str, Any]:
        """PUT sys/generate-root/attempt; without an OTP one is made and returned once."""
        if pgp_key:
            raise BadRequest("PGP-encrypted root tokens are not supported by this server")
        with self._lock:
            if self._attempt is not None:
                raise BadRequest("root generation already in progress")
            if otp and len(otp) != OTP_LENGTH:
                raise BadRequest(f"OTP string is wrong length: must be {OTP_LENGTH} characters")
            generated = (
                "" if otp else "".join(secrets.choice(OTP_ALPHABET) for _ in range(OTP_LENGTH))
            )
            self._otp = otp or generated
            self._attempt = _Attempt(self._required())
        return self.status(otp=generated)

    def cancel(self) -> None:
        """DELETE sys/generate-root/attempt."""
        with self._lock:
            if self._attempt is not None:
                self._attempt.clear()
            self._attempt, self._otp = None, ""

    def update(self, key: str, nonce: str) -> dict[str, Any]:
        """PUT sys/generate-root/update: one share; at the threshold, the encoded token."""
        with self._lock:
            attempt = self._attempt
            if attempt is None:
                raise BadRequest("no root generation in progress")
            required = attempt.threshold
            if not attempt.add(key, nonce):
                return _root_answer(attempt.nonce, attempt.shares.progress, required, "")
            unseal_key = attempt.combined()
            otp, nonce_done = self._otp, attempt.nonce
            attempt.clear()
            self._attempt, self._otp = None, ""
            if not self._check_key(unseal_key):
                raise BadRequest("root generation failed: the key shares do not form the key")
            encoded = encode_token(self._mint(), otp)
            return _root_answer(nonce_done, required, required, encoded)


def _root_answer(nonce: str, progress: int, required: int, encoded: str) -> dict[str, Any]:
    return {
        "started": True,
        "nonce": nonce,
        "progress": progress,
        "required": required,
        "encoded_token": encoded,
        "encoded_root_token": encoded,
        "pgp_fingerprint": "",
        "otp_length": OTP_LENGTH,
        "complete": bool(encoded),
    }
