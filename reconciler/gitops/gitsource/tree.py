"""Manifests at any Git ref, without checking it out: read blobs, or materialise them.

`load_repo` reads files from a folder; `materialize` writes the relevant blobs of one commit
into a temporary folder for as long as the `with` block lasts, so a caller (plan, validate)
can load and decrypt them exactly as it would a working tree.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import git

from reconciler.gitops.gitsource.repo import GitRepo, open_repo
from reconciler.gitops.manifests import LoadResult, load_repo

MANIFEST_SUFFIXES = (".yaml", ".yml", ".hcl", ".json")
_BLOB_MODES = (0o100644, 0o100755)


def _blobs(repo: GitRepo, commit: git.Commit) -> Iterator[tuple[PurePosixPath, git.Blob]]:
    tree = commit.tree
    if repo.prefix != PurePosixPath("."):
        try:
            tree = tree / repo.prefix.as_posix()
        except KeyError:
            return
    for item in tree.traverse():
        if isinstance(item, git.Blob) and item.mode in _BLOB_MODES:
            relative = repo.to_root(item.path)
            if relative is not None:
                yield relative, item


def files_at_ref(
    repo_root: Path, ref: str, suffixes: tuple[str, ...] | None = MANIFEST_SUFFIXES
) -> dict[Path, bytes]:
    """The files under `repo_root` at `ref` (paths relative to the root) and their bytes.

    Only names ending in one of `suffixes` are read (None: every regular file). Symlinks and
    submodules are skipped: a manifest repo has no use for them and they could point outside.
    """
    repo = open_repo(repo_root)
    commit = repo.commit(ref)
    found: dict[Path, bytes] = {}
    for relative, blob in _blobs(repo, commit):
        if suffixes is None or relative.name.endswith(suffixes):
            found[Path(relative)] = blob.data_stream.read()
    return found


def write_files(files: dict[Path, bytes], folder: Path) -> None:
    """Write `files` (relative paths) under `folder`, creating parent folders."""
    for relative, content in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


@contextmanager
def materialize(repo_root: Path, ref: str) -> Iterator[Path]:
    """A temporary folder holding the manifest files of `repo_root` at `ref`.

    The folder is removed when the block ends; decrypt secrets inside the block.
    """
    files = files_at_ref(repo_root, ref)
    with tempfile.TemporaryDirectory(prefix="sealkeep-ref-") as temp:
        folder = Path(temp)
        write_files(files, folder)
        yield folder


@contextmanager
def load_at_ref(repo_root: Path, ref: str) -> Iterator[LoadResult]:
    """`load_repo` on the tree of `ref`, valid (files readable) for the `with` block.

    Diagnostics name files relative to the root, as for a working tree; `result.root` is the
    temporary folder, so Secret files can be decrypted inside the block.
    """
    with materialize(repo_root, ref) as folder:
        yield load_repo(folder)
