"""`export` against the real dev server: what it writes, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import hvac
import pytest
import yaml

from reconciler.gitops.export import ExportOptions, export_server
from reconciler.gitops.export.writer import ExportRefused


def _policy(vault: hvac.Client, unique: str) -> str:
    text = f'path "{unique}/*" {{\n  capabilities = ["read"]\n}}\n'
    vault.sys.create_or_update_policy(unique, text)
    return text


def test_policies_are_hcl_files_as_the_server_keeps_them(
    vault: hvac.Client, unique: str, tmp_path: Path
) -> None:
    text = _policy(vault, unique)
    vault.sys.enable_secrets_engine("kv", path=f"{unique}-kv", options={"version": "2"})
    result = export_server(vault, ExportOptions(to=tmp_path / "out"))
    assert (tmp_path / "out" / "policies" / f"{unique}.hcl").read_text() == text
    mounts = list(yaml.safe_load_all((tmp_path / "out" / "platform" / "mounts.yaml").read_text()))
    assert {"path": f"{unique}-kv", "type": "kv-v2"}.items() <= next(
        d["spec"] for d in mounts if d["metadata"]["name"] == f"{unique}-kv"
    ).items()
    assert "sealkeep.yaml" in result.files


def test_export_never_overwrites_a_file(vault: hvac.Client, unique: str, tmp_path: Path) -> None:
    _policy(vault, unique)
    taken = tmp_path / "out" / "policies" / f"{unique}.hcl"
    taken.parent.mkdir(parents=True)
    taken.write_text("# mine\n")
    with pytest.raises(ExportRefused, match=f"policies/{unique}.hcl already exist"):
        export_server(vault, ExportOptions(to=tmp_path / "out"))
    assert taken.read_text() == "# mine\n"
    assert not (tmp_path / "out" / "sealkeep.yaml").exists()


def test_secrets_need_recipients(vault: hvac.Client, unique: str, tmp_path: Path) -> None:
    vault.secrets.kv.v2.create_or_update_secret(
        path=f"{unique}/app", mount_point="secret", secret={"k": "a-value"}
    )
    with pytest.raises(ExportRefused, match=r"no \.sops\.yaml in"):
        export_server(vault, ExportOptions(to=tmp_path / "out", secrets=True))
    assert list((tmp_path / "out").iterdir()) == []


def test_transit_keys_are_exported_with_their_own_name_and_settings(
    vault: hvac.Client, unique: str, tmp_path: Path
) -> None:
    mount = f"{unique}-transit"
    vault.sys.enable_secrets_engine("transit", path=mount)
    vault.write(f"{mount}/keys/signing", type="ed25519")
    vault.write(f"{mount}/keys/signing/config", deletion_allowed=True)
    export_server(vault, ExportOptions(to=tmp_path / "out"))
    keys = list(yaml.safe_load_all((tmp_path / "out" / "transit" / f"{mount}.yaml").read_text()))
    assert [d["spec"] for d in keys] == [
        {"mount": mount, "name": "signing", "type": "ed25519", "deletion_allowed": True}
    ]
