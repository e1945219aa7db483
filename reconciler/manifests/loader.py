"""Load a repo's manifests into a DesiredState, collecting every problem in every file.

Nothing here raises for bad input: YAML syntax, schema violations, duplicates, dangling
references and unencrypted secrets all become Diagnostics, and `desired` is None when any of
them is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from reconciler.manifests import kinds as k
from reconciler.manifests.build import build_manifest
from reconciler.manifests.config import CONFIG_FILE, RepoConfig, load_config
from reconciler.manifests.diagnostics import Diagnostic, has_errors, sort_diagnostics
from reconciler.manifests.hcl import embedded_span, hcl_problems
from reconciler.manifests.references import Catalog, Loaded, reference_problems
from reconciler.manifests.schema import SchemaSet, load_schemas
from reconciler.manifests.source import Document, Span, parse_yaml
from reconciler.manifests.validate import schema_problems

YAML_SUFFIXES = (".yaml", ".yml")
M = TypeVar("M", bound=k.Manifest)


@dataclass(frozen=True)
class DesiredState:
    """The typed objects the repo declares, keyed by (kind, name), with where each was defined.

    Invariant: `objects` and `spans` have the same keys; Secret and DatabaseConnection values
    are still `ENC[...]` ciphertext.
    """

    objects: Mapping[k.ObjectKey, k.Manifest]
    spans: Mapping[k.ObjectKey, Span]

    def get(self, kind: str, name: str) -> k.Manifest | None:
        """The object (kind, name), or None."""
        return self.objects.get(k.ObjectKey(kind, name))

    def of_kind(self, cls: type[M]) -> list[M]:
        """Every object of one kind, sorted by name."""
        found = [o for o in self.objects.values() if isinstance(o, cls)]
        return sorted(found, key=lambda o: o.name)

    def __len__(self) -> int:
        return len(self.objects)

    def __iter__(self) -> Iterator[k.Manifest]:
        return iter(self.objects.values())


@dataclass(frozen=True)
class LoadResult:
    """The outcome of `load_repo`: diagnostics sorted by file, line and column.

    `desired` is None when any diagnostic is an error; `config` is the defaults when
    `sealkeep.yaml` itself has problems.
    """

    root: Path
    config: RepoConfig
    diagnostics: list[Diagnostic]
    desired: DesiredState | None

    @property
    def ok(self) -> bool:
        """True when loading found no error."""
        return self.desired is not None


@dataclass
class _Collector:
    schemas: SchemaSet
    diagnostics: list[Diagnostic] = field(default_factory=list)
    loaded: list[Loaded] = field(default_factory=list)
    catalog: Catalog = field(default_factory=Catalog)
    first: dict[k.ObjectKey, Span] = field(default_factory=dict)

    def claim(self, key: k.ObjectKey, span: Span) -> Diagnostic | None:
        """Record where (kind, name) is defined; a diagnostic if it already was."""
        earlier = self.first.setdefault(key, span)
        if earlier is span:
            return None
        message = f"duplicate {key}: already defined at {earlier}"
        return Diagnostic.at(span, message, kind=key.kind, name=key.name)


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


def _load_document(doc: Document, lines: list[str], out: _Collector) -> None:
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
    bad_kind = _check_kind(doc, kind, name, out.schemas)
    if bad_kind is not None or kind is None:
        out.diagnostics.extend([bad_kind] if bad_kind else [])
        return
    if name is not None:
        out.catalog.declare(kind, name, value.get("spec"))
        duplicate = out.claim(k.ObjectKey(kind, name), doc.key_span(("metadata", "name")))
        out.diagnostics.extend([duplicate] if duplicate else [])
    validator = out.schemas.validator_for(kind)
    problems = schema_problems(validator, out.schemas.registry, value) if validator else []
    for problem in problems:
        span = doc.locate(problem.json_path, at_key=problem.at_key)
        out.diagnostics.append(
            Diagnostic.at(span, problem.message, json_path=problem.json_path, **subject)
        )
    if problems or doc.problems:
        return
    obj = build_manifest(value)
    item = Loaded(obj, doc, doc.key_span(("metadata", "name")))
    out.loaded.append(item)
    if isinstance(obj, k.Policy) and obj.hcl is not None:
        _check_embedded_hcl(item, obj.hcl, lines, out)


def _check_embedded_hcl(item: Loaded, text: str, lines: list[str], out: _Collector) -> None:
    value_span = item.at(("spec", "hcl"))
    for problem in hcl_problems(item.obj.name, text):
        span = embedded_span(value_span, lines, problem)
        out.diagnostics.append(
            Diagnostic.at(
                span, problem.message, kind="Policy", name=item.obj.name, json_path=("spec", "hcl")
            )
        )


def _read_text(root: Path, rel: str, out: _Collector) -> str | None:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        message = "cannot read: not UTF-8 text"
    except OSError as exc:
        message = f"cannot read: {exc.strerror}"
    out.diagnostics.append(Diagnostic.at(Span(rel, 1, 1), message))
    return None


def _load_yaml_file(root: Path, rel: str, out: _Collector) -> None:
    text = _read_text(root, rel, out)
    if text is None:
        return
    parsed = parse_yaml(text, rel)
    lines = text.splitlines()
    for doc in parsed.documents:
        _load_document(doc, lines, out)
    if parsed.error is not None:
        out.diagnostics.append(Diagnostic.at(parsed.error.span, parsed.error.message))


def _load_hcl_file(root: Path, rel: str, out: _Collector) -> None:
    text = _read_text(root, rel, out)
    if text is None:
        return
    name = PurePosixPath(rel).stem
    span = Span(rel, 1, 1)
    problems = hcl_problems(name, text)
    for problem in problems:
        where = Span(rel, problem.line, problem.column)
        out.diagnostics.append(Diagnostic.at(where, problem.message, kind="Policy", name=name))
    key = k.ObjectKey("Policy", name)
    out.catalog.declare("Policy", name, None)
    duplicate = out.claim(key, span)
    out.diagnostics.extend([duplicate] if duplicate else [])
    if not problems:
        policy = k.Policy(metadata=k.Metadata(name=name), hcl=text)
        out.loaded.append(Loaded(policy, None, span))


def _is_hidden(rel: PurePosixPath) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _under(rel: PurePosixPath, folder: str) -> bool:
    prefix = PurePosixPath(folder).parts
    return rel.parts[: len(prefix)] == prefix


def _classify(rel: PurePosixPath, config: RepoConfig) -> str | None:
    """'yaml', 'hcl' or None (not a manifest) for a file path relative to the root."""
    if _is_hidden(rel) or rel == PurePosixPath(CONFIG_FILE):
        return None
    if rel.suffix == ".hcl" and rel.parent == PurePosixPath(config.policies_dir):
        return "hcl"
    if rel.suffix in YAML_SUFFIXES and any(_under(rel, f) for f in config.manifests):
        return "yaml"
    return None


def _walk(root: Path, config: RepoConfig, out: _Collector) -> Iterator[PurePosixPath]:
    for index, folder in enumerate(config.manifests):
        if not (root / folder).is_dir():
            message = f"manifest folder '{folder}' does not exist"
            span = Span(CONFIG_FILE, 1, 1)
            out.diagnostics.append(Diagnostic.at(span, message, json_path=("manifests", index)))
            continue
        for path in (root / folder).rglob("*"):
            if path.is_file():
                yield PurePosixPath(path.relative_to(root).as_posix())
    policies = root / config.policies_dir
    if policies.is_dir():
        for path in policies.glob("*.hcl"):
            yield PurePosixPath(path.relative_to(root).as_posix())


def _relative(root: Path, file: Path) -> PurePosixPath | None:
    absolute = file if file.is_absolute() else root / file
    try:
        return PurePosixPath(absolute.resolve().relative_to(root).as_posix())
    except ValueError:
        return None


def _candidates(
    root: Path, config: RepoConfig, files: Iterable[Path] | None, out: _Collector
) -> dict[str, str]:
    """Manifest files (relative POSIX path -> 'yaml' | 'hcl'), sorted by path."""
    if files is None:
        paths: Iterable[PurePosixPath | None] = _walk(root, config, out)
    else:
        paths = (_relative(root, Path(f)) for f in files)
    found = {}
    for rel in paths:
        form = _classify(rel, config) if rel is not None else None
        if rel is not None and form is not None:
            found[rel.as_posix()] = form
    return dict(sorted(found.items()))


def load_repo(root: Path, files: Iterable[Path] | None = None) -> LoadResult:
    """Load every manifest under `root`, as `sealkeep.yaml` says, and check them all.

    `files`, when given, replaces the folder walk (e.g. the files tracked at a Git ref);
    the same folder and extension filters apply and references are checked among them only.
    """
    root = root.resolve()
    config, config_problems = load_config(root)
    out = _Collector(load_schemas(), diagnostics=list(config_problems))
    for rel, form in _candidates(root, config, files, out).items():
        if form == "hcl":
            _load_hcl_file(root, rel, out)
        else:
            _load_yaml_file(root, rel, out)
    out.diagnostics.extend(reference_problems(out.loaded, out.catalog, config.policies_dir))
    diagnostics = sort_diagnostics(out.diagnostics)
    if has_errors(diagnostics):
        return LoadResult(root, config, diagnostics, None)
    objects = {item.obj.key: item.obj for item in out.loaded}
    spans = {item.obj.key: item.span for item in out.loaded}
    return LoadResult(root, config, diagnostics, DesiredState(objects, spans))
