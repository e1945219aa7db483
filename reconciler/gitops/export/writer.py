"""Lay the exported manifests out as a repo: mounts, quotas, roles per auth mount, database
objects per mount, policies as HCL files and (with secrets) one SOPS file per KV secret."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hvac
import yaml

from reconciler.gitops.export.discover import discover
from reconciler.gitops.export.secrets import secret_path, sops_text
from reconciler.gitops.export.specs import NotExportable, manifest, manifest_name
from reconciler.gitops.live.model import ObjectState
from reconciler.gitops.live.statestore import DEFAULT_STATE_MOUNT
from reconciler.gitops.manifests.config import CONFIG_FILE
from reconciler.gitops.sops import find_creation_rule
from reconciler.vocabulary.errors import SealkeepError

PLACEHOLDER_NOTE = (
    "# {name}: the root password is not exported (the server never returns\n"
    "# it). Leave it out to keep the server's; to manage it, move this connection into a\n"
    "# SOPS file and set it with `sealkeep secret set FILE password`.\n"
)


class ExportRefused(SealkeepError):
    """The export would overwrite files, or cannot encrypt secrets; nothing was written."""


@dataclass(frozen=True)
class ExportOptions:
    """Where to write, whether to export KV secrets, which state mount to leave out."""

    to: Path
    secrets: bool = False
    state_mount: str = DEFAULT_STATE_MOUNT


@dataclass
class ExportResult:
    """The files written (relative to `to`), the objects in them, the placeholders left to
    fill (`Kind/name: what`), and the live objects no manifest kind describes."""

    files: list[str] = field(default_factory=list)
    objects: int = 0
    placeholders: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class _Literal(str):
    """A multi-line string dumped as a YAML literal block (PEM keys stay readable)."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.SafeDumper.add_representer(_Literal, _literal)


def _blocks(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value:
        return _Literal(value if value.endswith("\n") else value + "\n")
    if isinstance(value, dict):
        return {k: _blocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blocks(v) for v in value]
    return value


def _yaml(documents: Iterable[dict[str, Any]]) -> str:
    return "---\n".join(
        yaml.safe_dump(_blocks(d), sort_keys=False, allow_unicode=True, width=100)
        for d in documents
    )


def _group(state: ObjectState) -> str:
    kind, address = state.ref.kind, state.ref.address
    if kind in ("SecretsEngine", "AuthMethod", "AuditDevice"):
        return "platform/mounts.yaml"
    if kind == "RateLimitQuota":
        return "platform/quotas.yaml"
    if kind == "TransitKey":
        return f"transit/{manifest_name(address.rpartition('/keys/')[0])}.yaml"
    if address.startswith("auth/"):
        mount = address.removeprefix("auth/").rpartition("/role/")[0]
        return f"auth/{manifest_name(mount)}.yaml"
    return f"database/{manifest_name(address.partition('/')[0])}.yaml"


class _Names:
    """metadata.name per kind, unique: the object's own name, suffixed on a clash."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = defaultdict(set)

    def take(self, kind: str, wanted: str) -> str:
        base = manifest_name(wanted)
        name, n = base, 1
        while name in self.used[kind]:
            n += 1
            name = f"{base}-{n}"
        self.used[kind].add(name)
        return name


def _policy_files(client: hvac.Client, states: list[ObjectState]) -> dict[str, str]:
    files = {}
    for state in states:
        found = client.read(f"sys/policies/acl/{state.ref.name}") or {}
        text = str((found.get("data") or {}).get("policy") or "")
        files[f"policies/{state.ref.name}.hcl"] = text if text.endswith("\n") else text + "\n"
    return files


def _config_text(client: hvac.Client, folders: list[str]) -> str:
    config = {
        "targets": [{"name": "exported", "address": client.url, "auth": {"method": "token"}}],
        "default_target": "exported",
        "manifests": folders,
        "policies_dir": "policies",
    }
    return "# Written by `sealkeep export`: the server as it was, to review and commit.\n" + (
        yaml.safe_dump(config, sort_keys=False)
    )


def _render(client: hvac.Client, options: ExportOptions, result: ExportResult) -> dict[str, str]:
    live = sorted(discover(client, options.secrets, options.state_mount), key=_order)
    names = _Names()
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    notes: dict[str, str] = defaultdict(str)
    files: dict[str, str] = _policy_files(client, [s for s in live if s.ref.kind == "Policy"])
    for state in live:
        if state.ref.kind == "Policy":
            continue
        if state.ref.kind == "Secret":
            mount, path = secret_path(state)
            name = names.take("Secret", f"{mount}-{path}")
            relative = f"secrets/{manifest_name(mount)}/{path}.sops.yaml"
            target = options.to / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            files[relative] = sops_text(state, name, target)
            continue
        name = names.take(state.ref.kind, state.ref.name)
        try:
            document = manifest(state, name)
        except NotExportable as exc:
            result.skipped.append(f"{state.ref} ({state.ref.address}): {exc}")
            continue
        group = _group(state)
        grouped[group].append(document)
        if state.ref.kind == "DatabaseConnection":
            notes[group] += PLACEHOLDER_NOTE.format(name=f"DatabaseConnection/{name}")
            result.placeholders.append(f"DatabaseConnection/{name}: root password")
    for group, documents in grouped.items():
        files[group] = notes[group] + _yaml(documents)
    result.objects = len(live) - len(result.skipped)
    return files


def _order(state: ObjectState) -> tuple[int, str, str]:
    return (state.ref.tier, state.ref.kind, state.ref.address)


def export_server(client: hvac.Client, options: ExportOptions) -> ExportResult:
    """Write the manifests describing `client`'s server into `options.to`.

    Refuses (ExportRefused, nothing written) to overwrite a file; secrets need a `.sops.yaml`
    in `to` or above it, whose recipients they are encrypted for.
    """
    options.to.mkdir(parents=True, exist_ok=True)
    if options.secrets and find_creation_rule(options.to / "secret.sops.yaml") is None:
        raise ExportRefused(
            f"export refused, nothing was written: no .sops.yaml in {options.to} or above it, "
            "so there is no one to encrypt the secrets for",
            hint="write a .sops.yaml with your age recipients there (as `sealkeep init` does)",
        )
    result = ExportResult()
    files = _render(client, options, result)
    folders = sorted({f.split("/")[0] for f in files if not f.startswith("policies/")})
    if not (options.to / CONFIG_FILE).exists():
        files[CONFIG_FILE] = _config_text(client, folders)
    clashes = sorted(f for f in files if (options.to / f).exists())
    if clashes:
        raise ExportRefused(
            f"export refused, nothing was written: {', '.join(clashes)} already exist in "
            f"{options.to}",
            hint="export into an empty folder (or one holding only .sops.yaml and sealkeep.yaml)",
        )
    for relative, text in sorted(files.items()):
        target = options.to / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        result.files.append(relative)
    return result
