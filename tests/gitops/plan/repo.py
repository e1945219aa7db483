"""Build GitOps repos for tests: YAML manifests, and Secret manifests as real SOPS files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyrage import x25519

from reconciler.gitops.sops import CreationRule, encrypt_tree
from reconciler.gitops.sops.config import SECRET_DEFAULT_SELECTION


@dataclass
class AgeKey:
    """A real age key pair."""

    identity: str
    recipient: str

    @classmethod
    def generate(cls) -> AgeKey:
        """A fresh X25519 identity."""
        ident = x25519.Identity.generate()
        return cls(str(ident), str(ident.to_public()))


def manifest(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """One manifest document."""
    return {
        "apiVersion": "sealkeep.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": dict(spec),
    }


@dataclass
class Repo:
    """A repo folder under construction; `key` encrypts its Secrets."""

    root: Path
    key: AgeKey = field(default_factory=AgeKey.generate)

    def __post_init__(self) -> None:
        (self.root / "manifests").mkdir(parents=True, exist_ok=True)
        (self.root / "sealkeep.yaml").write_text("manifests: [manifests]\n")

    def write(self, rel: str, *docs: Mapping[str, Any]) -> Path:
        """Write YAML documents to manifests/<rel>."""
        path = self.root / "manifests" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump_all(list(docs), sort_keys=False))
        return path

    def secret(self, name: str, mount: str, path: str, data: Mapping[str, Any]) -> Path:
        """Write a Secret manifest as a real SOPS file encrypted for `key`."""
        tree = manifest("Secret", name, {"mount": mount, "path": path, "data": dict(data)})
        rule = CreationRule(age=(self.key.recipient,), selection=SECRET_DEFAULT_SELECTION)
        text = encrypt_tree(tree, [self.key.recipient], rule)
        out = self.root / "manifests" / "secrets" / f"{name}.yaml"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        return out

    def remove(self, rel: str) -> None:
        """Delete manifests/<rel>."""
        (self.root / "manifests" / rel).unlink()

    @property
    def identities(self) -> list[str]:
        """The identities that decrypt this repo's secrets."""
        return [self.key.identity]


def basic_repo(root: Path, u: str) -> Repo:
    """A small repo: a kv-v2 mount, an approle auth mount, a policy, a role, a secret."""
    repo = Repo(root)
    repo.write(
        "mounts.yaml",
        manifest("SecretsEngine", f"{u}-kv", {"path": f"{u}-kv", "type": "kv-v2"}),
        manifest("AuthMethod", f"{u}-approle", {"path": f"{u}-approle", "type": "approle"}),
    )
    repo.write(
        "policy.yaml",
        manifest(
            "Policy",
            f"{u}-api",
            {"rules": [{"path": f"{u}-kv/data/api/*", "capabilities": ["read"]}]},
        ),
    )
    repo.write(
        "roles.yaml",
        manifest(
            "AppRole",
            f"{u}-api",
            {"mount": f"{u}-approle", "token_policies": [f"{u}-api"], "token_ttl": "1h"},
        ),
    )
    repo.secret(f"{u}-api", f"{u}-kv", "api/config", {"password": "hunter2-" + u, "port": 5432})
    return repo
