"""Load a repo's manifests into a DesiredState, collecting every problem in every file.

Nothing here raises for bad input: YAML syntax, schema violations, duplicates, dangling
references and unencrypted secrets all become Diagnostics, and `desired` is None when any of
them is an error.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests.cache import ManifestCache, entry_key
from reconciler.gitops.manifests.cache_codec import CorruptEntry, decode
from reconciler.gitops.manifests.config import RepoConfig, load_config
from reconciler.gitops.manifests.diagnostics import Diagnostic, has_errors, sort_diagnostics
from reconciler.gitops.manifests.fileload import FileLoad, read_bytes, unreadable
from reconciler.gitops.manifests.parallel import Job, encoded_in_workers, parse
from reconciler.gitops.manifests.references import Catalog, Loaded, reference_problems
from reconciler.gitops.manifests.rules import server_rule_problems
from reconciler.gitops.manifests.schema import SchemaSet, load_schemas
from reconciler.gitops.manifests.source import Span
from reconciler.gitops.manifests.walk import Form, candidates

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

    def add(self, load: FileLoad) -> None:
        """Take in one file's results; declarations are checked against every earlier file."""
        self.diagnostics.extend(load.diagnostics)
        for declared in load.declarations:
            self.catalog.declare(declared.kind, declared.name, declared.spec)
            duplicate = self.claim(k.ObjectKey(declared.kind, declared.name), declared.span)
            if duplicate is not None:
                self.diagnostics.append(duplicate)
        self.loaded.extend(load.loaded)


def _read(base: str, rel: str) -> bytes | FileLoad:
    """A file's bytes, or the FileLoad reporting that it cannot be read."""
    try:
        return read_bytes(os.path.join(base, rel))
    except OSError as exc:
        return unreadable(rel, exc)


def _decoded(entry: bytes | None, job: Job) -> FileLoad | None:
    """A worker's entry for `job`, decoded as a cache hit is; None when there is none."""
    if entry is None:
        return None
    try:
        return decode(entry, job.rel, job.raw)
    except CorruptEntry:
        return None


def _load_files(
    base: str, found: Mapping[str, Form], schemas: SchemaSet, cache: ManifestCache | None
) -> dict[str, FileLoad]:
    """Every file's results: its bytes read once, then the cache, else parsed (by worker
    processes when there are many), new results stored in the cache."""
    results: dict[str, FileLoad] = {}
    jobs: list[Job] = []
    for rel, form in found.items():
        raw = _read(base, rel)
        if isinstance(raw, FileLoad):
            results[rel] = raw
            continue
        key = entry_key(form, rel, raw) if cache is not None else ""
        hit = cache.get(key, rel, raw) if cache is not None else None
        if hit is None:
            jobs.append(Job(rel, form, raw, key))
        else:
            results[rel] = hit
    if cache is not None:
        cache.end_reads()
    encoded = encoded_in_workers(jobs)
    for job, entry in zip(jobs, encoded or (None for _ in jobs), strict=True):
        load = _decoded(entry, job)
        if load is None:
            load = parse(job, schemas)
            if cache is not None:
                cache.put(job.key, job.rel, load)
        elif cache is not None:
            cache.store(job.key, entry)
        results[job.rel] = load
    return results


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a load allocates its many small, acyclic
    objects (it would otherwise rescan them again and again); restore it afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_repo(root: Path, files: Iterable[Path] | None = None) -> LoadResult:
    """Load every manifest under `root`, as `sealkeep.yaml` says, and check them all.

    `files`, when given, replaces the folder walk (e.g. the files tracked at a Git ref);
    the same folder and extension filters apply and references are checked among them only.
    """
    with _collection_paused():
        return _load(root.resolve(), files)


def _load(root: Path, files: Iterable[Path] | None) -> LoadResult:
    config, config_problems = load_config(root)
    schemas = load_schemas()
    out = _Collector(diagnostics=list(config_problems))
    base = str(root)
    cache = ManifestCache.open(schemas.directory)
    found = candidates(root, config, files, out.diagnostics)
    results = _load_files(base, found, schemas, cache)
    for rel in found:
        out.add(results[rel])
    if cache is not None:
        cache.flush()
    out.diagnostics.extend(reference_problems(out.loaded, out.catalog, config.policies_dir))
    out.diagnostics.extend(server_rule_problems(out.loaded))
    diagnostics = sort_diagnostics(out.diagnostics)
    if has_errors(diagnostics):
        return LoadResult(root, config, diagnostics, None)
    objects = {item.obj.key: item.obj for item in out.loaded}
    spans = {item.obj.key: item.span for item in out.loaded}
    return LoadResult(root, config, diagnostics, DesiredState(objects, spans))
