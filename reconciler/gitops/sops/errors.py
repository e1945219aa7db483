"""Errors of the SOPS layer.

Every message names the file (and the key path when one value is at fault) and never carries a
plaintext, a data key or a private key: callers print these messages as written.
"""

from __future__ import annotations

from reconciler.vocabulary.errors import SealkeepError


class SopsError(SealkeepError):
    """A SOPS file cannot be read, decrypted, verified or written.

    Invariant: the message is safe to show to a user or write to a log.
    """


class NoIdentityError(SopsError):
    """No age identity was configured, or none of them opens the file's data key."""


class MacMismatchError(SopsError):
    """The file's MAC does not match its values: it was tampered with or merged by hand."""


class CleartextValueError(SopsError):
    """A value that the selection rule says must be encrypted is in clear."""
