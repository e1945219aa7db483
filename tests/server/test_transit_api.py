"""Transit (encryption as a service) through hvac and the `bao` CLI, side by side with a real
OpenBao: the same calls must give the same shapes, status codes and behaviour."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from typing import Any

import hvac
import hvac.exceptions
import pytest
import requests

from tests.support.openbao import OpenBao
from tests.support.servers import ServerProcess

TARGETS = ("sealkeep", "openbao")


@pytest.fixture(params=TARGETS)
def target(
    request: pytest.FixtureRequest, dev_server: ServerProcess, openbao: OpenBao
) -> tuple[str, str]:
    """(address, root token) of the server under test."""
    if request.param == "sealkeep":
        return dev_server.url, dev_server.root_token
    return openbao.url, openbao.root_token


@pytest.fixture
def transit(target: tuple[str, str], unique: str) -> Iterator[tuple[hvac.Client, str]]:
    """A root client and a fresh transit mount on the server under test."""
    client = hvac.Client(url=target[0], token=target[1])
    client.sys.enable_secrets_engine("transit", path=unique)
    yield client, unique
    client.sys.disable_secrets_engine(unique)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def call(client: hvac.Client, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Raw call: (status, parsed JSON or None)."""
    response = requests.request(
        method, f"{client.url}/v1/{path}", json=body, headers={"X-Vault-Token": client.token}
    )
    payload = response.json() if response.content else None
    return response.status_code, payload


def test_key_read_has_openbaos_shape(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    client.secrets.transit.create_key("k", mount_point=mount)
    data = client.secrets.transit.read_key("k", mount_point=mount)["data"]
    assert set(data) >= {
        "allow_plaintext_backup", "auto_rotate_period", "deletion_allowed", "derived",
        "exportable", "imported_key", "keys", "latest_version", "min_available_version",
        "min_decryption_version", "min_encryption_version", "name", "soft_deleted",
        "supports_decryption", "supports_derivation", "supports_encryption", "supports_signing",
        "type",
    }  # fmt: skip
    assert data["type"] == "aes256-gcm96" and data["latest_version"] == 1
    assert isinstance(data["keys"]["1"], int)


def test_encrypt_decrypt_round_trip_and_upsert(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    # Encrypting with a key that does not exist yet creates it, as Vault does.
    out = client.secrets.transit.encrypt_data("auto", b64("hello"), mount_point=mount)["data"]
    assert out["ciphertext"].startswith("vault:v1:") and out["key_version"] == 1
    back = client.secrets.transit.decrypt_data("auto", out["ciphertext"], mount_point=mount)
    assert base64.b64decode(back["data"]["plaintext"]) == b"hello"


def test_rotate_rewrap_and_min_decryption_version(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("k", mount_point=mount)
    old = t.encrypt_data("k", b64("v1 data"), mount_point=mount)["data"]["ciphertext"]
    t.rotate_key("k", mount_point=mount)
    rewrapped = t.rewrap_data("k", old, mount_point=mount)["data"]["ciphertext"]
    assert rewrapped.startswith("vault:v2:")
    t.update_key_configuration("k", min_decryption_version=2, mount_point=mount)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="disallowed by policy"):
        t.decrypt_data("k", old, mount_point=mount)
    plain = t.decrypt_data("k", rewrapped, mount_point=mount)["data"]["plaintext"]
    assert base64.b64decode(plain) == b"v1 data"
    assert list(t.read_key("k", mount_point=mount)["data"]["keys"]) == ["2"]


def test_tampered_ciphertext_is_refused(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("k", mount_point=mount)
    good = t.encrypt_data("k", b64("integrity"), mount_point=mount)["data"]["ciphertext"]
    raw = bytearray(base64.b64decode(good.split(":", 2)[2]))
    raw[-1] ^= 1
    bad = "vault:v1:" + base64.b64encode(bytes(raw)).decode()
    status, body = call(client, "POST", f"{mount}/decrypt/k", {"ciphertext": bad})
    assert status == 400 and body["errors"]
    status, body = call(client, "POST", f"{mount}/decrypt/k", {"ciphertext": "garbage"})
    assert (status, body["errors"]) == (400, ["invalid ciphertext: no prefix"])


def test_derived_key_needs_a_context(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("d", derived=True, mount_point=mount)
    status, body = call(client, "POST", f"{mount}/encrypt/d", {"plaintext": b64("x")})
    assert status == 400 and "missing 'context'" in body["errors"][0]
    ctx_a, ctx_b = b64("tenant-a"), b64("tenant-b")
    ct = t.encrypt_data("d", b64("x"), context=ctx_a, mount_point=mount)["data"]["ciphertext"]
    assert t.decrypt_data("d", ct, context=ctx_a, mount_point=mount)["data"]["plaintext"] == b64(
        "x"
    )
    status, _ = call(client, "POST", f"{mount}/decrypt/d", {"ciphertext": ct, "context": ctx_b})
    assert status == 400  # another context derives another key


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p256", "rsa-2048"])
def test_sign_and_verify(transit: tuple[hvac.Client, str], key_type: str) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("s", key_type=key_type, mount_point=mount)
    read = t.read_key("s", mount_point=mount)["data"]
    assert read["supports_signing"] and "public_key" in read["keys"]["1"]
    signature = t.sign_data("s", b64("message"), mount_point=mount)["data"]["signature"]
    assert signature.startswith("vault:v1:")
    ok = t.verify_signed_data("s", b64("message"), signature=signature, mount_point=mount)
    assert ok["data"]["valid"] is True
    forged = t.verify_signed_data("s", b64("messagE"), signature=signature, mount_point=mount)
    assert forged["data"]["valid"] is False
    status, body = call(client, "POST", f"{mount}/encrypt/s", {"plaintext": b64("x")})
    if key_type.startswith("rsa-"):  # RSA keys also encrypt (OAEP), as in Vault
        assert status == 200 and read["supports_encryption"]
        back = t.decrypt_data("s", body["data"]["ciphertext"], mount_point=mount)["data"]
        assert back["plaintext"] == b64("x")
    else:
        assert status == 400 and body["errors"] and not read["supports_encryption"]


def test_hmac_and_verify(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("h", mount_point=mount)
    mac = t.generate_hmac("h", b64("data"), mount_point=mount)["data"]["hmac"]
    assert mac.startswith("vault:v1:")
    assert t.verify_signed_data("h", b64("data"), hmac=mac, mount_point=mount)["data"]["valid"]
    assert not t.verify_signed_data("h", b64("dat4"), hmac=mac, mount_point=mount)["data"]["valid"]


def test_batch_with_a_bad_item_answers_400_with_every_result(
    transit: tuple[hvac.Client, str],
) -> None:
    client, mount = transit
    client.secrets.transit.create_key("k", mount_point=mount)
    items = [{"plaintext": b64("a"), "reference": "one"}, {"plaintext": "!!", "reference": "two"}]
    status, body = call(client, "POST", f"{mount}/encrypt/k", {"batch_input": items})
    assert status == 400
    first, second = body["data"]["batch_results"]
    assert first["ciphertext"].startswith("vault:v1:") and first["reference"] == "one"
    assert "error" in second and second["reference"] == "two"


def test_datakey_plaintext_and_wrapped(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("k", mount_point=mount)
    plain = t.generate_data_key("k", key_type="plaintext", mount_point=mount)["data"]
    assert len(base64.b64decode(plain["plaintext"])) == 32
    unwrapped = t.decrypt_data("k", plain["ciphertext"], mount_point=mount)["data"]["plaintext"]
    assert unwrapped == plain["plaintext"]
    wrapped = t.generate_data_key("k", key_type="wrapped", bits=128, mount_point=mount)["data"]
    assert "plaintext" not in wrapped and wrapped["ciphertext"].startswith("vault:v1:")


def test_export_only_when_exportable(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("closed", mount_point=mount)
    status, body = call(client, "GET", f"{mount}/export/encryption-key/closed")
    assert (status, body["errors"]) == (400, ["private key material is not exportable"])
    t.create_key("open", exportable=True, mount_point=mount)
    keys = t.export_key("open", key_type="encryption-key", mount_point=mount)["data"]["keys"]
    assert len(base64.b64decode(keys["1"])) == 32


def test_deletion_needs_deletion_allowed(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    t = client.secrets.transit
    t.create_key("k", mount_point=mount)
    status, body = call(client, "DELETE", f"{mount}/keys/k")
    assert status == 400 and "deletion is not allowed" in body["errors"][0]
    t.update_key_configuration("k", deletion_allowed=True, mount_point=mount)
    assert call(client, "DELETE", f"{mount}/keys/k")[0] == 204
    assert call(client, "GET", f"{mount}/keys/k")[0] == 404


def test_unknown_key_type_is_refused(transit: tuple[hvac.Client, str]) -> None:
    client, mount = transit
    status, body = call(client, "POST", f"{mount}/keys/bad", {"type": "nope"})
    assert (status, body["errors"]) == (400, ["unknown key type nope"])


def test_bao_cli_encrypts_and_decrypts(target: tuple[str, str], unique: str) -> None:
    from tests.support.openbao import bao_binary

    env = {"BAO_ADDR": target[0], "BAO_TOKEN": target[1], "PATH": "/usr/bin:/bin"}

    def bao(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([bao_binary(), *args], env=env, capture_output=True, text=True)

    assert bao("secrets", "enable", f"-path={unique}", "transit").returncode == 0
    assert bao("write", "-f", f"{unique}/keys/app").returncode == 0
    enc = bao("write", "-field=ciphertext", f"{unique}/encrypt/app", f"plaintext={b64('s3')}")
    assert enc.returncode == 0 and enc.stdout.startswith("vault:v1:")
    dec = bao("write", "-field=plaintext", f"{unique}/decrypt/app", f"ciphertext={enc.stdout}")
    assert dec.returncode == 0 and base64.b64decode(dec.stdout) == b"s3"
    bao("secrets", "disable", unique)
