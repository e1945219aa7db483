"""Load one manifest file on its own: everything about a file that depends only on its bytes.

A `FileLoad` holds the file's per-file diagnostics (YAML syntax, structure, unknown kinds,
schema violations, HCL errors), the (kind, name) pairs it declares, in document order, and
the typed objects it yields. Checks that span files (duplicates, references) are not made
here: the loader runs them over every file's FileLoad, so a FileLoad can be cached by content.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests.build import build_manifest
from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.manifests.hcl import embedded_span, hcl_problems
from reconciler.gitops.manifests.references import Loaded
from reconciler.gitops.manifests.schema import SchemaSet
from reconciler.gitops.manifests.source import Document, Span, parse_yaml
from reconciler.gitops.manifests.validate import schema_problems

MOUNT_KINDS = frozenset({"SecretsEngine", "AuthMethod"})
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Declaration:
    """A (kind, name) a document declares, where its name is, and what the catalog needs.

    `spec` is the document's `spec` for mount kinds (the catalog records path and type) and
    None for every other kind.
    """

    kind: str
    name: str
    span: Span
    spec: object = None


@dataclass
class FileLoad:
    """What one file contributes to a load, in document order; never holds a decrypted value."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    loaded: list[Loaded] = field(default_factory=list)


def read_bytes(path: str) -> bytes:
    """The bytes of the file at `path`, read with one open (raises OSError)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def decode_text(raw: bytes) -> str:
    """`raw` as text, exactly as `Path.read_text(encoding="utf-8")` reads it (universal
    newlines: `\\r\\n` and a lone `\\r` become `\\n`); raises UnicodeDecodeError."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def unreadable(rel: str, error: OSError | UnicodeDecodeError) -> FileLoad:
    """The FileLoad of a file that cannot be read or is not UTF-8."""
    if isinstance(error, UnicodeDecodeError):
        message = "cannot read: not UTF-8 text"
    else:
        message = f"cannot read: {error.strerror}"
    return FileLoad(diagnostics=[Diagnostic.at(Span(rel, 1, 1), message)])


def _identity(value: Mapping[str, Any]) -> tuple[str | None, str | None]:
    kind = value.get("kind")
    meta = value.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return (
        kind if isinstance(kind, str) else None,
        name if isinstance(name, str) and name else None,
    )


def _check_kind(
    doc: Document, kind: str | None, name: str | None, schemas: SchemaSet
) -> Diagnostic | None:
    if kind is not None and schemas.validator_for(kind) is not None:
        return None
    expected = ", ".join(schemas.kind_names())
    if kind is None:
        return Diagnostic.at(doc.start, f"missing kind (expected one of {expected})")
    message = f"unknown kind '{kind}' (expected one of {expected})"
    span = doc.value_span(("kind",))
    return Diagnostic.at(span, message, kind=kind, name=name, json_path=("kind",))


def _load_document(doc: Document, lines: list[str], schemas: SchemaSet, out: FileLoad) -> None:
    value = doc.value
    if value is None:
        return
    if not isinstance(value, dict):
        message = "a manifest must be a mapping with apiVersion, kind, metadata and spec"
        out.diagnostics.append(Diagnostic.at(doc.start, message))
        return
    kind, name = _identity(value)
    subject = {"kind": kind, "name": name}
    for problem in doc.problems:
        out.diagnostics.append(
            Diagnostic.at(problem.span, problem.message, json_path=problem.json_path, **subject)
        )
    bad_kind = _check_kind(doc, kind, name, schemas)
    if bad_kind is not None or kind is None:
        out.diagnostics.extend([bad_kind] if bad_kind else [])
        return
    name_span = doc.key_span(("metadata", "name"))
    if name is not None:
        spec = value.get("spec") if kind in MOUNT_KINDS else None
        out.declarations.append(Declaration(kind, name, name_span, spec))
    validator = schemas.validator_for(kind)
    problems = schema_problems(validator, schemas.registry, value) if validator else []
    for problem in problems:
        span = doc.locate(problem.json_path, at_key=problem.at_key)
        out.diagnostics.append(
            Diagnostic.at(span, problem.message, json_path=problem.json_path, **subject)
        )
    if problems or doc.problems:
        return
    item = Loaded(build_manifest(value), doc, name_span)
    out.loaded.append(item)
    if isinstance(item.obj, k.Policy) and item.obj.hcl is not None:
        _check_embedded_hcl(item, item.obj.hcl, lines, out)


def _check_embedded_hcl(item: Loaded, text: str, lines: list[str], out: FileLoad) -> None:
    value_span = item.at(("spec", "hcl"))
    for problem in hcl_problems(item.obj.name, text):
        span = embedded_span(value_span, lines, problem)
        out.diagnostics.append(
            Diagnostic.at(
                span, problem.message, kind="Policy", name=item.obj.name, json_path=("spec", "hcl")
            )
        )


def load_yaml_text(text: str, rel: str, schemas: SchemaSet) -> FileLoad:
    """Parse and check every document of a YAML manifest file (`rel`: its repo path)."""
    out = FileLoad()
    parsed = parse_yaml(text, rel)
    lines = text.splitlines()
    for doc in parsed.documents:
        _load_document(doc, lines, schemas, out)
    if parsed.error is not None:
        out.diagnostics.append(Diagnostic.at(parsed.error.span, parsed.error.message))
    return out


def hcl_policy_name(rel: str) -> str:
    """The policy an HCL file declares: its file stem (as `PurePosixPath(rel).stem`)."""
    name = rel.rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def hcl_policy(rel: str, text: str) -> Loaded:
    """The Policy of a valid HCL file, located at the file's first line."""
    policy = k.Policy(metadata=k.Metadata(name=hcl_policy_name(rel)), hcl=text)
    return Loaded(policy, None, Span(rel, 1, 1))


def load_hcl_text(text: str, rel: str) -> FileLoad:
    """Parse a `policies/*.hcl` file; its policy is named after the file."""
    name = hcl_policy_name(rel)
    out = FileLoad()
    problems = hcl_problems(name, text)
    for problem in problems:
        where = Span(rel, problem.line, problem.column)
        out.diagnostics.append(Diagnostic.at(where, problem.message, kind="Policy", name=name))
    out.declarations.append(Declaration("Policy", name, Span(rel, 1, 1)))
    if not problems:
        out.loaded.append(hcl_policy(rel, text))
    return out
