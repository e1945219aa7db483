"""`sealkeep merge-driver`: a Git merge driver that merges SOPS files value by value.

Git's own merge of two edits of one encrypted file breaks its MAC (both sides re-computed it);
this driver decrypts base, ours and theirs, merges per key path, and re-encrypts with a fresh
MAC, failing with the conflicting key paths (never values) when both sides changed one value.
"""

from reconciler.gitops.mergedriver.driver import MergeConflict, MergeOutcome, merge_files
from reconciler.gitops.mergedriver.install import (
    DEFAULT_PATTERNS,
    DRIVER_COMMAND,
    InstallResult,
    attribute_line,
    install,
)
from reconciler.gitops.mergedriver.threeway import MergeResult, merge_trees, same

__all__ = [
    "DEFAULT_PATTERNS",
    "DRIVER_COMMAND",
    "InstallResult",
    "MergeConflict",
    "MergeOutcome",
    "MergeResult",
    "attribute_line",
    "install",
    "merge_files",
    "merge_trees",
    "same",
]
