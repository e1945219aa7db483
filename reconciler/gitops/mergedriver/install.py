"""`sealkeep merge-driver install`: register the driver in Git's config and `.gitattributes`.

The driver command lives in the repo's own config (`.git/config`), because Git never reads
merge drivers from a committed file; `.gitattributes` (committed) says which files use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.gitops.gitsource import GitSourceError, open_repo

DRIVER_NAME = "sealkeep"
DRIVER_COMMAND = "sealkeep merge-driver %O %A %B %P"
DRIVER_DESCRIPTION = "Sealkeep: merge SOPS-encrypted files value by value"
DEFAULT_PATTERNS = ("*.sops.yaml",)


@dataclass(frozen=True)
class InstallResult:
    """What `install` changed: the `.gitattributes` file and the lines it added."""

    attributes: Path
    added: tuple[str, ...]


def attribute_line(pattern: str) -> str:
    """The `.gitattributes` line routing `pattern` to the driver."""
    return f"{pattern} merge={DRIVER_NAME}"


def _add_attributes(file: Path, patterns: Sequence[str]) -> tuple[str, ...]:
    existing = file.read_text(encoding="utf-8") if file.is_file() else ""
    present = {line.strip() for line in existing.splitlines()}
    added = tuple(attribute_line(p) for p in patterns if attribute_line(p) not in present)
    if added:
        prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
        file.write_text(prefix + "".join(f"{line}\n" for line in added), encoding="utf-8")
    return added


def install(
    root: Path, patterns: Sequence[str] = DEFAULT_PATTERNS, command: str = DRIVER_COMMAND
) -> InstallResult:
    """Set `merge.sealkeep.driver` in the repo holding `root`; add the attribute lines there.

    Idempotent: running it twice changes nothing the second time. Raises GitSourceError
    outside a Git repository.
    """
    repo = open_repo(root)
    try:
        with repo.repo.config_writer(config_level="repository") as config:
            config.set_value(f'merge "{DRIVER_NAME}"', "name", DRIVER_DESCRIPTION)
            config.set_value(f'merge "{DRIVER_NAME}"', "driver", command)
    except (OSError, git.GitError) as exc:
        raise GitSourceError(f"cannot write the Git config of {repo.top}: {exc}") from None
    attributes = Path(root).resolve() / ".gitattributes"
    return InstallResult(attributes, _add_attributes(attributes, patterns))
