"""One-time-password encoding of a root token, as Vault's generate-root returns it.

The server XORs the token with an OTP of the same length and answers it base64 without
padding; whoever holds the OTP decodes it. Shared by the store (which encodes, and answers
`sys/decode-token`) and the CLI (which decodes locally, so the OTP never travels).
"""

from __future__ import annotations

import base64
import binascii

from reconciler.vocabulary.errors import SealkeepError


class OTPError(SealkeepError):
    """An encoded token and an OTP that do not go together."""


def encode_token(token: str, otp: str) -> str:
    """XOR `token` with `otp` (same length), base64 without padding."""
    raw = bytes(a ^ b for a, b in zip(token.encode(), otp.encode(), strict=True))
    return base64.b64encode(raw).decode().rstrip("=")


def decode_token(encoded: str, otp: str) -> str:
    """The token from `encode_token`'s output and the OTP."""
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise OTPError("the encoded token is not valid base64") from None
    if len(raw) != len(otp):
        raise OTPError("the OTP does not have the length of the encoded token")
    return bytes(a ^ b for a, b in zip(raw, otp.encode(), strict=True)).decode(errors="replace")
