"""The KV engines end to end: the real server on loopback, driven by the real hvac client."""

from __future__ import annotations

from typing import Any

import hvac
import pytest
import requests

from tests.support.servers import ServerProcess

SYSTEM_TTL = 2764800


@pytest.fixture
def kv2(vault: hvac.Client, unique: str) -> str:
    """A fresh KV v2 mount (so config changes stay local to one test)."""
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "2"})
    return unique


def raw(
    server: ServerProcess, method: str, path: str, body: Any = None, content_type: str = ""
) -> requests.Response:
    """One HTTP request with the root token, for what hvac does not expose."""
    headers = {"X-Vault-Token": server.root_token}
    if content_type:
        headers["Content-Type"] = content_type
    return requests.request(
        method, f"{server.url}/v1/{path}", json=body, headers=headers, timeout=10
    )


def test_v2_write_read_versions(vault: hvac.Client, kv2: str) -> None:
    kv = vault.secrets.kv.v2
    first = kv.create_or_update_secret("app/db", secret={"password": "one"}, mount_point=kv2)
    assert first["data"]["version"] == 1 and first["data"]["deletion_time"] == ""
    kv.create_or_update_secret("app/db", secret={"password": "two"}, mount_point=kv2)
    latest = kv.read_secret_version("app/db", mount_point=kv2, raise_on_deleted_version=True)
    assert latest["data"]["data"] == {"password": "two"}
    assert latest["data"]["metadata"]["version"] == 2
    assert latest["mount_type"] == "kv" and latest["lease_id"] == ""
    old = kv.read_secret_version(
        "app/db", version=1, mount_point=kv2, raise_on_deleted_version=True
    )
    assert old["data"]["data"] == {"password": "one"}
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("app/none", mount_point=kv2, raise_on_deleted_version=True)


def test_v2_cas(vault: hvac.Client, kv2: str) -> None:
    kv = vault.secrets.kv.v2
    kv.create_or_update_secret("k", secret={"a": "1"}, cas=0, mount_point=kv2)
    with pytest.raises(hvac.exceptions.InvalidRequest) as err:
        kv.create_or_update_secret("k", secret={"a": "2"}, cas=0, mount_point=kv2)
    assert err.value.errors == ["check-and-set parameter did not match the current version"]
    read = kv.read_secret_version("k", mount_point=kv2, raise_on_deleted_version=True)
    assert read["data"]["data"] == {"a": "1"}
    kv.configure(cas_required=True, mount_point=kv2)
    assert kv.read_configuration(mount_point=kv2)["data"]["cas_required"] is True
    with pytest.raises(hvac.exceptions.InvalidRequest, match="check-and-set parameter required"):
        kv.create_or_update_secret("k", secret={"a": "2"}, mount_point=kv2)


def test_v2_delete_undelete_destroy(vault: hvac.Client, kv2: str) -> None:
    kv = vault.secrets.kv.v2
    kv.create_or_update_secret("k", secret={"a": "1"}, mount_point=kv2)
    kv.create_or_update_secret("k", secret={"a": "2"}, mount_point=kv2)
    assert kv.delete_latest_version_of_secret("k", mount_point=kv2).status_code == 204
    deleted = kv.read_secret_version("k", mount_point=kv2, raise_on_deleted_version=False)
    assert deleted["data"]["data"] is None
    assert deleted["data"]["metadata"]["deletion_time"] != ""
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("k", mount_point=kv2, raise_on_deleted_version=True)
    kv.undelete_secret_versions("k", versions=[2], mount_point=kv2)
    read = kv.read_secret_version("k", mount_point=kv2, raise_on_deleted_version=True)
    assert read["data"]["data"] == {"a": "2"}
    kv.delete_secret_versions("k", versions=[1], mount_point=kv2)
    kv.destroy_secret_versions("k", versions=[1, 2], mount_point=kv2)
    versions = kv.read_secret_metadata("k", mount_point=kv2)["data"]["versions"]
    assert versions["1"]["destroyed"] is True and versions["2"]["destroyed"] is True
    assert versions["1"]["deletion_time"] != ""


def test_v2_patch_client_and_server_side(
    vault: hvac.Client, kv2: str, dev_server: ServerProcess
) -> None:
    kv = vault.secrets.kv.v2
    kv.create_or_update_secret("k", secret={"a": "1", "b": "2"}, mount_point=kv2)
    # hvac's client-side patch reads without raise_on_deleted_version and warns about it.
    with pytest.warns(DeprecationWarning, match="raise_on_deleted_version"):
        patched = kv.patch("k", secret={"b": "3"}, mount_point=kv2)
    assert patched["data"]["version"] == 2
    body = {"data": {"a": None, "c": "4"}}
    resp = raw(dev_server, "PATCH", f"{kv2}/data/k", body, "application/merge-patch+json")
    assert resp.status_code == 200 and resp.json()["data"]["version"] == 3
    read = kv.read_secret_version("k", mount_point=kv2, raise_on_deleted_version=True)
    assert read["data"]["data"] == {"b": "3", "c": "4"}
    missing = raw(dev_server, "PATCH", f"{kv2}/data/nope", body, "application/merge-patch+json")
    assert missing.status_code == 404 and missing.json() == {"errors": []}


def test_v2_metadata_and_pruning(vault: hvac.Client, kv2: str) -> None:
    kv = vault.secrets.kv.v2
    kv.update_metadata("k", max_versions=2, custom_metadata={"owner": "payments"}, mount_point=kv2)
    for value in ("1", "2", "3"):
        kv.create_or_update_secret("k", secret={"v": value}, mount_point=kv2)
    meta = kv.read_secret_metadata("k", mount_point=kv2)["data"]
    assert sorted(meta["versions"]) == ["2", "3"] and meta["oldest_version"] == 2
    assert meta["custom_metadata"] == {"owner": "payments"}
    assert meta["delete_version_after"] == "0s"
    with pytest.raises(hvac.exceptions.InvalidRequest, match="custom_metadata validation failed"):
        kv.update_metadata("k", custom_metadata={"k" * 129: "v"}, mount_point=kv2)
    kv.delete_metadata_and_all_versions("k", mount_point=kv2)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_metadata("k", mount_point=kv2)


def test_v2_list(vault: hvac.Client, kv2: str) -> None:
    kv = vault.secrets.kv.v2
    for key in ("b", "a", "team/x"):
        kv.create_or_update_secret(key, secret={"v": "1"}, mount_point=kv2)
    assert kv.list_secrets("", mount_point=kv2)["data"]["keys"] == ["a", "b", "team/"]
    assert kv.list_secrets("team", mount_point=kv2)["data"]["keys"] == ["x"]
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.list_secrets("nothing", mount_point=kv2)


def test_v2_invalid_path_and_subkeys(
    vault: hvac.Client, kv2: str, dev_server: ServerProcess
) -> None:
    resp = raw(dev_server, "GET", f"{kv2}/foo")
    assert resp.status_code == 404
    assert "'vault kv get'" in resp.json()["warnings"][0]
    vault.secrets.kv.v2.create_or_update_secret("k", secret={"a": {"b": "c"}}, mount_point=kv2)
    subkeys = raw(dev_server, "GET", f"{kv2}/subkeys/k")
    assert subkeys.status_code == 200
    assert subkeys.json()["data"]["subkeys"] == {"a": {"b": None}}


def test_v1_round_trip(vault: hvac.Client, unique: str) -> None:
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "1"})
    kv = vault.secrets.kv.v1
    kv.create_or_update_secret("app/db", secret={"password": "p"}, mount_point=unique)
    kv.create_or_update_secret("app/db", secret={"user": "u"}, mount_point=unique)
    read = kv.read_secret("app/db", mount_point=unique)
    assert read["data"] == {"user": "u"}
    assert read["lease_duration"] == SYSTEM_TTL and read["renewable"] is False
    assert read["lease_id"] == "", "KV v1 TTLs are advisory: no lease is created"
    assert kv.list_secrets("app", mount_point=unique)["data"]["keys"] == ["db"]
    kv.delete_secret("app/db", mount_point=unique)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret("app/db", mount_point=unique)
