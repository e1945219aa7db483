"""The TransitKey kind end to end, on the Sealkeep dev server and on a real OpenBao: plan shows
it, apply creates a usable key, a second plan is empty, an edit updates it in place, a type
change is a replace that destroys key material (refused without --allow-destroy, and refused
by the key itself unless it allows deletion), and prune's delete is guarded the same way."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from reconciler.gitops.apply.runner import DestroyRefused
from reconciler.gitops.plan.model import Action, Change, Plan
from reconciler.gitops.plan.render_text import render_text
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import Repo, manifest
from tests.support.openbao import OpenBao
from tests.support.servers import ServerProcess


@pytest.fixture(params=["sealkeep", "openbao"])
def target(request: pytest.FixtureRequest) -> hvac.Client:
    """A root client of the Sealkeep dev server or of the real OpenBao."""
    if request.param == "sealkeep":
        server: ServerProcess = request.getfixturevalue("dev_server")
        return hvac.Client(url=server.url, token=server.root_token)
    bao: OpenBao = request.getfixturevalue("openbao")
    return bao.client()


@pytest.fixture
def keys(tmp_path: Path, target: hvac.Client, unique: str) -> Iterator[Reconcile]:
    """A repo with a transit mount of its own; both mounts go away after the test."""
    reconcile = Reconcile(Repo(tmp_path / "repo"), target, f"{unique}-state")
    yield reconcile
    for mount in (f"{unique}-transit", f"{unique}-state"):
        target.sys.disable_secrets_engine(mount)


def write_key(reconcile: Reconcile, unique: str, **spec: object) -> None:
    """The repo's transit mount and its one key, `app`."""
    engine = {"path": f"{unique}-transit", "type": "transit"}
    key = {"mount": f"{unique}-transit", **spec}
    reconcile.repo.write(
        "transit.yaml",
        manifest("SecretsEngine", f"{unique}-transit", engine),
        manifest("TransitKey", "app", key),
    )


def key_change(plan: Plan) -> Change:
    """The plan's one change of TransitKey/app."""
    [change] = [c for c in plan.changes if str(c.ref) == "TransitKey/app"]
    return change


def encrypt(client: hvac.Client, mount: str, text: str) -> str:
    """Encrypt `text` with the key `app`; the ciphertext."""
    plaintext = base64.b64encode(text.encode()).decode()
    answer = client.write_data(f"{mount}/encrypt/app", data={"plaintext": plaintext})
    return str(answer["data"]["ciphertext"])


def decrypt(client: hvac.Client, mount: str, ciphertext: str) -> str:
    """Decrypt with the key `app`."""
    answer = client.write_data(f"{mount}/decrypt/app", data={"ciphertext": ciphertext})
    return base64.b64decode(answer["data"]["plaintext"]).decode()


def test_create_edit_and_a_guarded_replace(
    keys: Reconcile, target: hvac.Client, unique: str
) -> None:
    mount = f"{unique}-transit"
    write_key(keys, unique, auto_rotate_period="24h", min_encryption_version=0)
    plan = keys.plan()
    assert key_change(plan).action is Action.CREATE
    assert "TransitKey/app" in render_text(plan)
    assert keys.apply(plan).ok
    live = target.read(f"{mount}/keys/app")["data"]
    assert (live["type"], live["auto_rotate_period"], live["deletion_allowed"]) == (
        "aes256-gcm96", 86400, False,
    )  # fmt: skip
    ciphertext = encrypt(target, mount, "hello")
    assert not keys.plan().has_changes, "a second plan is empty"

    write_key(keys, unique, auto_rotate_period="24h", exportable=True)
    edit = key_change(keys.plan())
    assert edit.action is Action.UPDATE
    assert {f.path for f in edit.fields} == {"exportable"}
    assert keys.apply(keys.plan()).ok
    assert target.read(f"{mount}/keys/app")["data"]["exportable"] is True
    assert not keys.plan().has_changes
    # Exportable can never be turned off: the store ignores it, so every plan says so.
    write_key(keys, unique, auto_rotate_period="24h")
    note = "exportable cannot be turned off once on: the store keeps it on"
    assert note in key_change(keys.plan()).notes
    assert keys.apply(keys.plan()).ok
    assert target.read(f"{mount}/keys/app")["data"]["exportable"] is True
    assert note in key_change(keys.plan()).notes, "the plan keeps saying it"

    # A type change replaces the key: its material (and what it encrypted) would be lost.
    write_key(keys, unique, type="chacha20-poly1305", exportable=True)
    replace = keys.plan()
    assert key_change(replace).action is Action.REPLACE
    assert any("destroying its key material" in r for r in replace.destroy_reasons())
    assert any("deletion_allowed false" in n for n in key_change(replace).notes)
    with pytest.raises(DestroyRefused):
        keys.apply(replace)
    # Even with --allow-destroy, the live key must allow deletion: nothing is lost.
    result = keys.apply(keys.plan(allow_destroy=True))
    [failed] = [o for o in result.outcomes if str(o.ref) == "TransitKey/app"]
    assert failed.status == "failed"
    assert failed.error is not None and "deletion_allowed" in failed.error
    assert decrypt(target, mount, ciphertext) == "hello", "the key was kept"

    write_key(keys, unique, exportable=True, deletion_allowed=True)
    assert keys.apply(keys.plan()).ok
    write_key(keys, unique, type="chacha20-poly1305", exportable=True, deletion_allowed=True)
    assert keys.apply(keys.plan(allow_destroy=True)).ok
    assert target.read(f"{mount}/keys/app")["data"]["type"] == "chacha20-poly1305"
    assert not keys.plan().has_changes


def test_prune_deletes_a_key_only_when_allowed(
    keys: Reconcile, target: hvac.Client, unique: str
) -> None:
    mount = f"{unique}-transit"
    write_key(keys, unique)
    keys.converge()
    engine = {"path": mount, "type": "transit"}
    keys.repo.write("transit.yaml", manifest("SecretsEngine", mount, engine))
    pruned = keys.plan(prune=True)
    assert key_change(pruned).action is Action.DELETE
    with pytest.raises(DestroyRefused):
        keys.apply(pruned)
    refused = keys.apply(keys.plan(prune=True, allow_destroy=True))
    assert not refused.ok, "the live key does not allow deletion"
    assert target.read(f"{mount}/keys/app") is not None

    write_key(keys, unique, deletion_allowed=True)
    keys.converge()
    keys.repo.write("transit.yaml", manifest("SecretsEngine", mount, engine))
    assert keys.apply(keys.plan(prune=True, allow_destroy=True)).ok
    assert target.read(f"{mount}/keys/app") is None
    assert not keys.plan(prune=True).has_changes


def test_a_key_made_by_hand_is_unmanaged(keys: Reconcile, target: hvac.Client, unique: str) -> None:
    write_key(keys, unique)
    keys.converge()
    target.write_data(f"{unique}-transit/keys/by-hand", data={"type": "ed25519"})
    plan = keys.plan()
    assert "TransitKey/by-hand" in {str(r) for r in plan.unmanaged}
    assert not plan.has_changes
