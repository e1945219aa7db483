"""Password generation for dynamic users, static roles and root rotation."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits + "-"
DEFAULT_LENGTH = 20
_REQUIRED = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-")


def generate_password(length: int = DEFAULT_LENGTH) -> str:
    """A random password from [A-Za-z0-9-] with at least one lower, upper, digit and '-'.

    This is Vault's default when no password policy is set. Characters come from `secrets`;
    the required classes are placed at random positions so none is predictable.
    """
    if length < len(_REQUIRED):
        raise ValueError(f"password length must be at least {len(_REQUIRED)}")
    chars = [secrets.choice(ALPHABET) for _ in range(length - len(_REQUIRED))]
    for group in _REQUIRED:
        chars.insert(secrets.randbelow(len(chars) + 1), secrets.choice(group))
    return "".join(chars)
