"""SK013: a Secret (or a DatabaseConnection password) committed with a value in clear.

Works on raw YAML, without loading or validating the repo, so the pre-commit hook can refuse
one staged file quickly (`sealkeep check-secrets FILES...`) even when the rest is broken.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding
from reconciler.gitops.manifests.source import Document, parse_yaml
from reconciler.gitops.sops import is_encrypted_value

YAML_SUFFIXES = (".yaml", ".yml")
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv"})


def _subject(doc: Document) -> str:
    value = doc.value if isinstance(doc.value, dict) else {}
    meta = value.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"{value.get('kind')}/{name or '?'}"


def _clear(value: object) -> bool:
    return not (
        value is None or value == "" or (isinstance(value, str) and is_encrypted_value(value))
    )


def _document_findings(doc: Document) -> Iterator[Finding]:
    value = doc.value
    if not isinstance(value, dict) or value.get("kind") not in ("Secret", "DatabaseConnection"):
        return
    spec = value.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    subject = _subject(doc)
    if value["kind"] == "Secret":
        data = spec.get("data")
        for key, item in data.items() if isinstance(data, dict) else ():
            if _clear(item):
                span = doc.key_span(("spec", "data", key))
                message = f"spec.data.{key} is in clear: encrypt it (sealkeep secret set/edit)"
                yield Finding.at(span, "SK013", message, subject)
    elif _clear(spec.get("password")):
        span = doc.key_span(("spec", "password"))
        message = "spec.password is in clear: encrypt it (sealkeep secret edit)"
        yield Finding.at(span, "SK013", message, subject)


def cleartext_in_text(path: str, text: str) -> list[Finding]:
    """Cleartext secret values in the YAML `text` of file `path` (unparsable files: none)."""
    parsed = parse_yaml(text, path)
    return [f for doc in parsed.documents for f in _document_findings(doc)]


def check_files(files: Iterable[Path], base: Path | None = None) -> list[Finding]:
    """Cleartext findings in the given files (non-YAML and unreadable files are skipped).

    Paths in findings are relative to `base` when given and possible, else as passed.
    """
    found: list[Finding] = []
    for file in files:
        if file.suffix not in YAML_SUFFIXES:
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        shown = file
        if base is not None and file.is_absolute():
            try:
                shown = file.relative_to(base)
            except ValueError:
                shown = file
        found.extend(cleartext_in_text(shown.as_posix(), text))
    return sorted(found)


def _yaml_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        skipped = any(p in _SKIP_DIRS for p in parts)
        if path.suffix in YAML_SUFFIXES and not skipped and path.is_file():
            yield path


def check_cleartext(ctx: LintContext) -> Iterator[Finding]:
    """SK013 over every YAML file under the root."""
    yield from check_files(list(_yaml_files(ctx.root)), ctx.root)
