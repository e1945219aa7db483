"""The desired side of a diff: each manifest normalised, Secret values decrypted from SOPS.

A DatabaseConnection's password is decrypted too (its file is a SOPS file), but it is a
write-only value: `reconciler.gitops.plan.connections` decides whether a plan sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.gitops.live.handlers import StoreView
from reconciler.gitops.live.model import Fields, ObjectRef, ObjectState
from reconciler.gitops.live.normalise import frozen
from reconciler.gitops.live.registry import handler_for, is_managed_kind
from reconciler.gitops.manifests import DesiredState, ObjectKey
from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.sops import decrypt_file, decrypt_files
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


def decrypt_sources(
    root: Path, sources: Sequence[str], identities: Sequence[str] | None
) -> dict[str, Any]:
    """The decrypted tree of every SOPS file in `sources`, spread over the CPUs in bulk.

    Raises DesiredError naming the first file (in order) that does not decrypt.
    """
    workers = None if len(sources) >= BULK_THRESHOLD else 1
    trees: dict[str, Any] = {}
    results = decrypt_files([root / s for s in sources], identities, workers=workers)
    for source, (_path, result) in zip(sources, results, strict=True):
        if isinstance(result, Exception):
            raise DesiredError(f"{source}: cannot decrypt: {result}")
        trees[source] = result.tree
    return trees


def secret_values(
    root: Path, source: str, identities: Sequence[str] | None = None, tree: Any = None
) -> Fields:
    """The decrypted `spec.data` of the SOPS file `source` (relative to `root`)."""
    if tree is None:
        try:
            tree = decrypt_file(root / source, identities).tree
        except Exception as exc:
            raise DesiredError(f"{source}: cannot decrypt: {exc}") from None
    data = (tree.get("spec") or {}).get("data") if isinstance(tree, Mapping) else None
    if not isinstance(data, Mapping):
        raise DesiredError(f"{source}: spec.data is not a mapping")
    return {str(a): frozen(b) for a, b in data.items()}


def write_only_values(root: Path, source: str, identities: Sequence[str] | None = None) -> Fields:
    """`{"password": ...}` from the SOPS file of a DatabaseConnection (empty when unset)."""
    try:
        tree: Any = decrypt_file(root / source, identities).tree
    except Exception as exc:
        raise DesiredError(f"{source}: cannot decrypt: {exc}") from None
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
