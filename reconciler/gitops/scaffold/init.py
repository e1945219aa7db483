"""`sealkeep init`: scaffold a new Sealkeep repo with a fresh age key kept outside it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyrage import x25519

from reconciler.gitops.gitsource import GitSourceError
from reconciler.gitops.mergedriver import install as install_merge_driver
from reconciler.gitops.scaffold import templates
from reconciler.gitops.sops import CreationRule, encrypt_tree
from reconciler.gitops.sops.config import SECRET_DEFAULT_SELECTION
from reconciler.gitops.sops.keysources.age import default_keys_file
from reconciler.vocabulary.errors import SealkeepError


class ScaffoldError(SealkeepError):
    """The folder cannot be scaffolded as asked; the message says why and what to do."""


@dataclass(frozen=True)
class InitResult:
    """What `init` did: the files written (relative), where the key went, its public key.

    `merge_driver` is True when the folder is in a Git repo and the driver was configured.
    """

    root: Path
    files: tuple[str, ...]
    key_file: Path
    recipient: str
    merge_driver: bool


def _check_target(root: Path, key_file: Path) -> None:
    existing = [
        name for name in (*templates.FILES, templates.SECRET_FILE) if (root / name).exists()
    ]
    if existing:
        raise ScaffoldError(
            f"{root} already holds {', '.join(sorted(existing))}: init only fills a new folder"
        )
    if key_file.resolve().is_relative_to(root.resolve()):
        raise ScaffoldError(
            f"the age key file {key_file} is inside {root}: keep private keys out of the repo "
            "(the default is ~/.config/sops/age/keys.txt)"
        )


def _write_key(key_file: Path, identity: x25519.Identity, root: Path) -> None:
    """Append the identity to the keys file (created 0600 in a 0700 folder)."""
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    block = (
        f"# created: {stamp} by sealkeep init for {root.resolve()}\n"
        f"# public key: {identity.to_public()}\n{identity}\n"
    )
    handle = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(handle, "a", encoding="utf-8") as out:
        if out.tell() > 0:
            out.write("\n")
        out.write(block)


def _secret_text(recipient: str) -> str:
    tree = {
        "apiVersion": "sealkeep.io/v1",
        "kind": "Secret",
        "metadata": {"name": "example-app", "owner": "team-example"},
        "spec": {
            "mount": "secret",
            "path": templates.SECRET_KV_PATH,
            "data": dict(templates.SECRET_PLACEHOLDER),
        },
    }
    rule = CreationRule(age=(recipient,), selection=SECRET_DEFAULT_SELECTION)
    return encrypt_tree(tree, [recipient], rule)


def _write_files(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _configure_merge_driver(root: Path) -> bool:
    try:
        install_merge_driver(root)
    except GitSourceError:
        return False
    return True


def init_repo(
    root: Path, key_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> InitResult:
    """Scaffold `root`: config, .sops.yaml, an example policy, role and encrypted secret.

    A fresh age key is appended to `key_file` (default: sops' keys.txt under
    $XDG_CONFIG_HOME or ~/.config), never written inside `root`. Raises ScaffoldError when
    `root` already holds any of the files or the key file would land inside it.
    """
    env = os.environ if environ is None else environ
    root = Path(root)
    target_key = Path(key_file) if key_file is not None else default_keys_file(env)
    _check_target(root, target_key)
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    _write_key(target_key, identity, root)
    files = {
        name: text.format(recipient=recipient) if name == ".sops.yaml" else text
        for name, text in templates.FILES.items()
    }
    files[templates.SECRET_FILE] = _secret_text(recipient)
    root.mkdir(parents=True, exist_ok=True)
    _write_files(root, files)
    merge_driver = _configure_merge_driver(root)
    return InitResult(root, tuple(sorted(files)), target_key, recipient, merge_driver)
