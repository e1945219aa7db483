"""Errors the client raises for input the user can fix (never carrying a secret value)."""

from __future__ import annotations


class ClientInputError(ValueError):
    """Bad input: the message names the argument, file or API path, never a secret value."""


class ClientNotFound(ClientInputError):
    """Nothing stored at the path the user named."""
