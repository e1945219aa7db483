"""The desired side of a diff: each manifest normalised, Secret values decrypted from SOPS.

A DatabaseConnection's password is decrypted too (its file is a SOPS file), but it is a
write-only value: `reconciler.gitops.plan.connections` decides whether a plan sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.gitops.live.handlers import StoreView
from reconciler.gitops.live.model import Fields, ObjectRef, ObjectState
from reconciler.gitops.live.normalise import frozen
from reconciler.gitops.live.registry import handler_for, is_managed_kind
from reconciler.gitops.manifests import DesiredState, ObjectKey
from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.sops import decrypt_file, decrypt_files
from reconciler.gitops.sops.config import find_creation_rule
from reconciler.gitops.sops.errors import SopsError
from reconciler.gitops.sops.metadata import parse as parse_metadata
from reconciler.vocabulary import yaml12
from reconciler.vocabulary.errors import SealkeepError

SENSITIVE_KINDS = frozenset({"Secret"})
# Kinds whose secret the store never returns: diffed by the inventory's record, not live.
WRITE_ONLY_KINDS = frozenset({"DatabaseConnection"})


class DesiredError(SealkeepError):
    """The desired state cannot be built (e.g. a SOPS file does not decrypt); names the file."""


@dataclass(frozen=True)
class Desired:
    """Normalised desired objects keyed by address, the SOPS file behind each sensitive one,
    and the objects of kinds this reconciler does not manage yet."""

    states: Mapping[str, ObjectState]
    sources: Mapping[str, str]
    skipped: tuple[ObjectRef, ...] = ()


def desired_kv_versions(desired: DesiredState) -> dict[str, int]:
    """Mount path -> kv version for every kv SecretsEngine Git declares."""
    return {
        e.path: e.kv_version for e in desired.of_kind(k.SecretsEngine) if e.kv_version is not None
    }


# Below this many SOPS files, starting worker processes costs more than it saves.
BULK_THRESHOLD = 64


class SecretsUnreadable(DesiredError):
    """Some SOPS files do not decrypt or are not encrypted to the recipients `.sops.yaml`
    lists for them; `diagnostics` names each at file:line:col."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} SOPS file(s) cannot be used")
        self.diagnostics = list(diagnostics)


def _reason(exc: Exception, root: Path, source: str) -> str:
    """The error without the file name it may already start with (it is shown once)."""
    text = str(exc)
    for prefix in (f"{root / source}: ", f"{source}: "):
        text = text.removeprefix(prefix)
    return text


def _line_of(text: str, needle: str) -> int:
    """The 1-based line where `needle` first appears (the `sops:` block, else line 1)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return next(
        (n for n, line in enumerate(text.splitlines(), start=1) if line.startswith("sops:")), 1
    )


def _recipient_mismatch(root: Path, source: str, recipients: Sequence[str]) -> Diagnostic | None:
    """The file's age recipients against its `.sops.yaml` creation rule (None: they agree,
    or there is no rule to compare with)."""
    try:
        rule = find_creation_rule(root / source)
    except SopsError:
        return None
    if rule is None or not rule.age:
        return None
    extra = sorted(set(recipients) - set(rule.age))
    missing = sorted(set(rule.age) - set(recipients))
    if not extra and not missing:
        return None
    config = rule.source.name if rule.source is not None else ".sops.yaml"
    parts = []
    if extra:
        parts.append(f"encrypted to {', '.join(extra)}, which {config} does not list")
    if missing:
        parts.append(f"not encrypted to {', '.join(missing)}, which {config} lists")
    text = (root / source).read_text(encoding="utf-8")
    line = _line_of(text, (extra or missing)[0])
    message = (
        f"recipient mismatch: {'; '.join(parts)} "
        f"(re-encrypt with `sealkeep secret updatekeys {source}`)"
    )
    return Diagnostic(source, line, 1, message)


def decrypt_sources(
    root: Path, sources: Sequence[str], identities: Sequence[str] | None
) -> dict[str, Any]:
    """The decrypted tree of every SOPS file in `sources`, spread over the CPUs in bulk.

    Every file is decrypted and its recipients compared with `.sops.yaml`; raises
    SecretsUnreadable naming each file that fails either, at its file:line.
    """
    workers = None if len(sources) >= BULK_THRESHOLD else 1
    trees: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    results = decrypt_files([root / s for s in sources], identities, workers=workers)
    for source, (_path, result) in zip(sources, results, strict=True):
        if isinstance(result, Exception):
            recipients = _file_recipients(root / source)
            mismatch = _recipient_mismatch(root, source, recipients)
            reason = f"cannot decrypt: {_reason(result, root, source)}"
            problems.append(mismatch or Diagnostic(source, 1, 1, reason))
            continue
        mismatch = _recipient_mismatch(root, source, result.metadata.recipients)
        if mismatch is not None:
            problems.append(mismatch)
        trees[source] = result.tree
    if problems:
        raise SecretsUnreadable(problems)
    return trees


def _file_recipients(path: Path) -> tuple[str, ...]:
    """The age recipients a SOPS file names (empty when its metadata cannot be read)."""
    try:
        tree = yaml12.load(path.read_text(encoding="utf-8"))
        block = tree.get("sops") if isinstance(tree, Mapping) else None
        return parse_metadata(block, str(path)).recipients if block is not None else ()
    except (OSError, UnicodeDecodeError, yaml.YAMLError, SopsError):
        return ()


def secret_values(
    root: Path, source: str, identities: Sequence[str] | None = None, tree: Any = None
) -> Fields:
    """The decrypted `spec.data` of the SOPS file `source` (relative to `root`)."""
    if tree is None:
        try:
            tree = decrypt_file(root / source, identities).tree
        except Exception as exc:
            raise DesiredError(f"{source}: cannot decrypt: {_reason(exc, root, source)}") from None
    data = (tree.get("spec") or {}).get("data") if isinstance(tree, Mapping) else None
    if not isinstance(data, Mapping):
        raise DesiredError(f"{source}: spec.data is not a mapping")
    return {str(a): frozen(b) for a, b in data.items()}


def write_only_values(root: Path, source: str, identities: Sequence[str] | None = None) -> Fields:
    """`{"password": ...}` from the SOPS file of a DatabaseConnection (empty when unset)."""
    try:
        tree: Any = decrypt_file(root / source, identities).tree
    except Exception as exc:
        raise DesiredError(f"{source}: cannot decrypt: {_reason(exc, root, source)}") from None
    spec = tree.get("spec") if isinstance(tree, Mapping) else None
    password = spec.get("password") if isinstance(spec, Mapping) else None
    if password is None:
        return {}
    if not isinstance(password, str):
        raise DesiredError(f"{source}: spec.password is not a string")
    return {"password": password}


def _has_write_only(obj: k.Manifest) -> bool:
    return isinstance(obj, k.DatabaseConnection) and obj.password is not None


def desired_refs(desired: DesiredState, view: StoreView) -> dict[ObjectKey, ObjectRef]:
    """Where each managed desired object lives: cheap, so live reads can start early."""
    return {
        key: handler_for(key.kind).ref(obj, view)
        for key, obj in sorted(desired.objects.items())
        if is_managed_kind(key.kind)
    }


def build_desired(
    desired: DesiredState,
    root: Path,
    refs: Mapping[ObjectKey, ObjectRef],
    identities: Sequence[str] | None = None,
) -> Desired:
    """Normalise every managed object at its ref; decrypt each Secret's file."""
    states: dict[str, ObjectState] = {}
    sources: dict[str, str] = {}
    skipped = [
        ObjectRef(key.kind, key.name, "") for key in sorted(desired.objects) if key not in refs
    ]
    secret_sources = [desired.spans[key].path for key in refs if key.kind in SENSITIVE_KINDS]
    trees = decrypt_sources(root, secret_sources, identities)
    for key, ref in refs.items():
        secret = None
        obj = desired.objects[key]
        if key.kind in SENSITIVE_KINDS:
            source = desired.spans[key].path
            secret = secret_values(root, source, identities, trees[source])
            sources[ref.address] = source
        elif key.kind in WRITE_ONLY_KINDS and _has_write_only(obj):
            source = desired.spans[key].path
            secret = write_only_values(root, source, identities)
            sources[ref.address] = source
        states[ref.address] = handler_for(key.kind).desired(obj, ref, secret)
    return Desired(states, sources, tuple(skipped))
