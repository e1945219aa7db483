"""The TransitKey kind as the reconciler reads it: defaults, the key name, durations."""

from __future__ import annotations

from pathlib import Path

from reconciler.gitops.manifests import TransitKey, load_repo

CASE = Path(__file__).parent / "cases" / "positive" / "transit-keys"


def _keys() -> dict[str, TransitKey]:
    result = load_repo(CASE)
    assert result.desired is not None and not result.diagnostics
    return {k.name: k for k in result.desired.of_kind(TransitKey)}


def test_unset_fields_take_the_store_defaults() -> None:
    key = _keys()["defaults"]
    assert (key.mount, key.key_name, key.type) == ("transit", "defaults", "aes256-gcm96")
    assert (key.min_decryption_version, key.min_encryption_version) == (1, 0)
    assert not (key.derived or key.exportable or key.deletion_allowed)
    assert key.auto_rotate_period == 0


def test_name_and_rotation_period_are_read() -> None:
    keys = _keys()
    assert keys["signing"].key_name == "release-signing"
    assert keys["signing"].exportable and keys["signing"].type == "ed25519"
    assert keys["payments"].auto_rotate_period == 720 * 3600
    assert keys["payments"].convergent_encryption and keys["payments"].derived
