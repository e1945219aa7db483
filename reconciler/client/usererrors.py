"""The client's error base and its input errors, apart from `errors.py` so that code which
only checks input (argument parsing, the fast KV read) does not import hvac and requests."""

from __future__ import annotations

from reconciler.vocabulary.errors import SealkeepError


class ClientError(SealkeepError):
    """Base of every error the client raises."""


class ClientInputError(ClientError, ValueError):
    """Bad input: the message names the argument, file or API path, never a secret value."""


class ClientNotFound(ClientInputError):
    """Nothing stored at the path the user named."""
