"""Which files of a repo are manifests: YAML under the manifest folders, HCL in the policies
folder, nothing hidden, never the repo config.

The walk uses `os.scandir` and compares path parts as strings: a repo of ten thousand files
is listed in milliseconds. It finds what `Path.rglob("*")` would: symlinked folders are not
entered, symlinks to files are kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Literal

from reconciler.gitops.manifests.config import CONFIG_FILE, RepoConfig
from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.manifests.source import Span

YAML_SUFFIXES = frozenset({".yaml", ".yml"})

Form = Literal["yaml", "hcl"]


def _suffix(name: str) -> str:
    """The suffix of a file name, as `PurePosixPath(name).suffix`."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


class _Classifier:
    """`classify` a relative POSIX path: 'yaml', 'hcl' or None (not a manifest)."""

    def __init__(self, config: RepoConfig) -> None:
        self.policies = PurePosixPath(config.policies_dir).parts
        self.folders = [PurePosixPath(f).parts for f in config.manifests]

    def classify(self, rel: str) -> Form | None:
        """The form of the file at `rel` (relative POSIX path), or None."""
        parts = tuple(rel.split("/"))
        if rel == CONFIG_FILE or any(part.startswith(".") for part in parts):
            return None
        suffix = _suffix(parts[-1])
        if suffix == ".hcl" and parts[:-1] == self.policies:
            return "hcl"
        if suffix in YAML_SUFFIXES and any(parts[: len(f)] == f for f in self.folders):
            return "yaml"
        return None


def _files_under(folder: str, prefix: str) -> Iterator[str]:
    """Relative paths (`prefix` + name) of every file below `folder`, symlinked dirs not
    entered and hidden
    entries skipped."""
    stack = [(folder, prefix)]
    while stack:
        current, rel = stack.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue  # hidden: never a manifest, nor anything below it
            name = f"{rel}{entry.name}"
            try:
                if entry.is_dir() and not entry.is_symlink():
                    stack.append((entry.path, f"{name}/"))
                elif entry.is_file():
                    yield name
            except OSError:
                continue


def _walk(root: Path, config: RepoConfig, diagnostics: list[Diagnostic]) -> Iterator[str]:
    for index, folder in enumerate(config.manifests):
        top = root / folder
        if not top.is_dir():
            message = f"manifest folder '{folder}' does not exist"
            span = Span(CONFIG_FILE, 1, 1)
            diagnostics.append(Diagnostic.at(span, message, json_path=("manifests", index)))
            continue
        rel = top.relative_to(root).as_posix()
        yield from _files_under(str(top), "" if rel == "." else f"{rel}/")
    policies = root / config.policies_dir
    if policies.is_dir():
        rel = policies.relative_to(root).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        for name in os.listdir(policies):
            if name.endswith(".hcl") and not name.startswith("."):
                yield f"{prefix}{name}"


def _relative(root: Path, file: Path) -> str | None:
    absolute = file if file.is_absolute() else root / file
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def candidates(
    root: Path, config: RepoConfig, files: Iterable[Path] | None, diagnostics: list[Diagnostic]
) -> dict[str, Form]:
    """Manifest files (relative POSIX path -> 'yaml' | 'hcl'), sorted by path.

    `files` replaces the folder walk when given; a missing manifest folder is reported in
    `diagnostics`.
    """
    if files is None:
        paths: Iterable[str | None] = _walk(root, config, diagnostics)
    else:
        paths = (_relative(root, Path(f)) for f in files)
    classifier = _Classifier(config)
    found: dict[str, Form] = {}
    for rel in paths:
        form = classifier.classify(rel) if rel is not None else None
        if rel is not None and form is not None:
            found[rel] = form
    return dict(sorted(found.items()))
