"""KV secrets as SOPS manifests, encrypted in memory for the repo's `.sops.yaml` recipients:
a value is never written to disk in clear."""

from __future__ import annotations

from pathlib import Path

from reconciler.gitops.export.specs import API_VERSION
from reconciler.gitops.live.model import ObjectState
from reconciler.gitops.sops import encrypt_tree, load_creation_rule


def secret_path(state: ObjectState) -> tuple[str, str]:
    """(mount, path inside the mount) of a listed Secret (its name is `<mount>/<path>`)."""
    mount_and_path = state.ref.name
    for separator in ("/data/", "/"):
        head = state.ref.address.partition(separator)[0]
        if mount_and_path.startswith(head + "/"):
            return head, mount_and_path.removeprefix(head + "/")
    mount, _, path = mount_and_path.partition("/")
    return mount, path


def sops_text(state: ObjectState, name: str, file: Path) -> str:
    """The SOPS file describing `state`, encrypted for the rule `.sops.yaml` gives `file`."""
    mount, path = secret_path(state)
    tree = {
        "apiVersion": API_VERSION,
        "kind": "Secret",
        "metadata": {"name": name},
        "spec": {"mount": mount, "path": path, "data": dict(state.secret_values())},
    }
    rule = load_creation_rule(file)
    return encrypt_tree(tree, list(rule.age), rule)
