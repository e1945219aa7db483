"""PostgreSQL SCRAM-SHA-256 verifiers, so a plaintext password need not reach the server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 4096


def scram_sha256_verifier(
    password: str, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """The `SCRAM-SHA-256$iter:salt$StoredKey:ServerKey` string PostgreSQL stores."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
        f"${b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


def scram_matches(password: str, verifier: str) -> bool:
    """True when `verifier` (from pg_authid.rolpassword) was made from `password`."""
    try:
        method, rest = verifier.split("$", 1)
        iter_salt, _keys = rest.split("$", 1)
        iterations_text, salt_text = iter_salt.split(":", 1)
    except ValueError:
        return False
    if method != "SCRAM-SHA-256":
        return False
    salt = base64.b64decode(salt_text)
    expected = scram_sha256_verifier(password, salt, int(iterations_text))
    return hmac.compare_digest(expected, verifier)
