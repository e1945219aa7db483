"""The SOPS file format with age recipients, interoperable with the sops tool.

Stores (YAML text, the `sops:` block, the values) are kept apart from key sources
(`keysources.age`), as in sops itself.
"""

from reconciler.gitops.sops.bulk import decrypt_files
from reconciler.gitops.sops.config import CreationRule, find_creation_rule, load_creation_rule
from reconciler.gitops.sops.errors import (
    CleartextValueError,
    MacMismatchError,
    NoIdentityError,
    SopsError,
)
from reconciler.gitops.sops.file import (
    DecryptedDocument,
    decrypt_file,
    decrypt_roundtrip,
    decrypt_text,
    encrypt_tree,
    find_cleartext_values,
    rotate,
    updatekeys,
    write_atomic,
)
from reconciler.gitops.sops.metadata import AgeEntry, SopsMetadata
from reconciler.gitops.sops.tree import DEFAULT_RULE, SelectionRule
from reconciler.gitops.sops.values import is_encrypted_value

__all__ = [
    "DEFAULT_RULE",
    "AgeEntry",
    "CleartextValueError",
    "CreationRule",
    "DecryptedDocument",
    "MacMismatchError",
    "NoIdentityError",
    "SelectionRule",
    "SopsError",
    "SopsMetadata",
    "decrypt_file",
    "decrypt_files",
    "decrypt_roundtrip",
    "decrypt_text",
    "encrypt_tree",
    "find_cleartext_values",
    "find_creation_rule",
    "is_encrypted_value",
    "load_creation_rule",
    "rotate",
    "updatekeys",
    "write_atomic",
]
