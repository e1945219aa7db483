"""The on-disk form of one manifest cache entry (see `reconciler.gitops.manifests.cache`).

An entry is `MAGIC`, a BLAKE2b digest of the payload, then the payload: `marshal` of plain
values (format version, diagnostics, declarations, and each valid document's value and span
tables) with no file path in it; `decode` places every span and diagnostic in the file it
is read for. Typed objects are rebuilt from the cached, schema-valid values by the same
builder as on a miss, so the two paths cannot drift apart.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterator, Mapping

from reconciler.gitops.manifests.build import build_manifest
from reconciler.gitops.manifests.diagnostics import Diagnostic, Severity
from reconciler.gitops.manifests.fileload import (
    Declaration,
    FileLoad,
    decode_text,
    hcl_policy,
    hcl_policy_name,
)
from reconciler.gitops.manifests.references import Loaded
from reconciler.gitops.manifests.source import Document, JsonPath, Span
from reconciler.gitops.manifests.walk import Form

FORMAT = 1
MAGIC = b"SKMC"
_DIGEST = 16
_HEADER = len(MAGIC) + _DIGEST


class CorruptEntry(Exception):
    """A cache entry that cannot be decoded; it is ignored and rewritten."""


def entry_key(form: Form, rel: str, raw: bytes) -> str:
    """The content address of a file's load result (HCL results also depend on the stem)."""
    if form == "hcl":
        prefix = f"hcl\0{hcl_policy_name(rel)}\0".encode()
        return hashlib.sha256(prefix + raw).hexdigest()
    return hashlib.sha256(raw).hexdigest()


class _LazySpans(Mapping[JsonPath, Span]):
    """A document's span table, decoded from its cached form the first time it is read.

    Spans are only looked at to place a cross-file diagnostic, so most are never decoded.
    """

    __slots__ = ("_blob", "_path", "_table")

    def __init__(self, blob: bytes, path: str) -> None:
        self._blob = blob
        self._path = path
        self._table: dict[JsonPath, Span] | None = None

    def _spans(self) -> dict[JsonPath, Span]:
        if self._table is None:
            flat = marshal.loads(self._blob)
            path = self._path
            self._table = {
                flat[i]: Span(path, flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)
            }
        return self._table

    def __getitem__(self, key: JsonPath) -> Span:
        return self._spans()[key]

    def __iter__(self) -> Iterator[JsonPath]:
        return iter(self._spans())

    def __len__(self) -> int:
        return len(self._spans())


def _span_blob(spans: Mapping[JsonPath, Span]) -> bytes:
    """A span table without its path (every span of a parsed file names that file)."""
    return marshal.dumps(tuple(x for p, s in spans.items() for x in (p, s.line, s.column)))


def _encode_diagnostic(diagnostic: Diagnostic, rel: str) -> tuple[object, ...]:
    if diagnostic.path != rel:
        raise CorruptEntry("a diagnostic outside its file")
    d = diagnostic
    return (d.line, d.column, d.message, d.kind, d.name, d.json_path, d.severity.value)


def _encode_loaded(item: Loaded, rel: str) -> tuple[object, ...]:
    doc = item.doc
    if doc is None:
        return ()
    if doc.problems or item.span.path != rel or doc.start.path != rel:
        raise CorruptEntry("a loaded document with problems or outside its file")
    return (
        doc.value,
        doc.start.line,
        doc.start.column,
        item.span.line,
        item.span.column,
        _span_blob(doc.spans),
        _span_blob(doc.key_spans),
    )


def encode(load: FileLoad, rel: str) -> bytes:
    """An entry for `load` (raises CorruptEntry when something in it is not about `rel`)."""
    for declaration in load.declarations:
        if declaration.span.path != rel:
            raise CorruptEntry("a declaration outside its file")
    payload = marshal.dumps(
        (
            FORMAT,
            tuple(_encode_diagnostic(d, rel) for d in load.diagnostics),
            tuple((d.kind, d.name, d.span.line, d.span.column, d.spec) for d in load.declarations),
            tuple(_encode_loaded(item, rel) for item in load.loaded),
        )
    )
    return MAGIC + hashlib.blake2b(payload, digest_size=_DIGEST).digest() + payload


def _int(value: object) -> int:
    if type(value) is not int:
        raise CorruptEntry("a malformed position")
    return value


def _decode_loaded(fields: tuple[object, ...], rel: str, raw: bytes) -> Loaded:
    if not fields:
        return hcl_policy(rel, decode_text(raw))
    value, start_line, start_column, line, column, spans, key_spans = fields
    if not (isinstance(value, dict) and isinstance(spans, bytes) and isinstance(key_spans, bytes)):
        raise CorruptEntry("a malformed document")
    start = Span(rel, _int(start_line), _int(start_column))
    doc = Document(value, start, _LazySpans(spans, rel), _LazySpans(key_spans, rel))
    return Loaded(build_manifest(value), doc, Span(rel, _int(line), _int(column)))


def decode(entry: bytes | memoryview, rel: str, raw: bytes) -> FileLoad:
    """The FileLoad of an entry, spans placed in `rel`; raises CorruptEntry."""
    payload = entry[_HEADER:]
    digest = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
    if entry[: len(MAGIC)] != MAGIC or entry[len(MAGIC) : _HEADER] != digest:
        raise CorruptEntry("bad header or digest")
    try:
        version, diagnostics, declarations, loaded = marshal.loads(payload)
        if version != FORMAT:
            raise CorruptEntry(f"format {version}")
        return FileLoad(
            diagnostics=[
                Diagnostic(rel, line, column, message, kind, name, path, Severity(severity))
                for line, column, message, kind, name, path, severity in diagnostics
            ],
            declarations=[
                Declaration(kind, name, Span(rel, line, column), spec)
                for kind, name, line, column, spec in declarations
            ],
            loaded=[_decode_loaded(fields, rel, raw) for fields in loaded],
        )
    except (ValueError, TypeError, EOFError, KeyError, IndexError) as exc:
        raise CorruptEntry(str(exc)) from None
