"""The HTTP wire contract: verbs, envelopes, status codes, headers and bad input."""

from __future__ import annotations

import json

import hvac
import pytest
import requests

from tests.support.servers import ServerProcess


def _url(server: ServerProcess, path: str) -> str:
    return f"{server.url}/v1/{path}"


def _root(server: ServerProcess) -> dict[str, str]:
    return {"X-Vault-Token": server.root_token}


def test_envelope_has_every_key_and_exact_content_type(dev_server: ServerProcess) -> None:
    resp = requests.get(_url(dev_server, "auth/token/lookup-self"), headers=_root(dev_server))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    for key in (
        "request_id",
        "lease_id",
        "renewable",
        "lease_duration",
        "data",
        "wrap_info",
        "warnings",
        "auth",
        "mount_type",
    ):
        assert key in body
    assert body["mount_type"] == "token"
    assert body["data"]["policies"] == ["root"]


def test_error_bodies_are_json_that_hvac_can_read(dev_server: ServerProcess) -> None:
    resp = requests.get(_url(dev_server, "secret/data/x"), headers={"X-Vault-Token": "nope"})
    assert resp.status_code == 403
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.json() == {
        "errors": ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]
    }
    with pytest.raises(hvac.exceptions.Forbidden) as caught:
        dev_server.client("nope").secrets.kv.v2.read_secret_version(
            "x", raise_on_deleted_version=True
        )
    assert "invalid token" in str(caught.value)


def test_missing_token_is_forbidden(dev_server: ServerProcess) -> None:
    resp = requests.get(_url(dev_server, "secret/data/x"))
    assert resp.status_code == 403


def test_bearer_header_is_accepted_and_x_vault_token_wins(dev_server: ServerProcess) -> None:
    bearer = {"Authorization": f"Bearer {dev_server.root_token}"}
    assert (
        requests.get(_url(dev_server, "auth/token/lookup-self"), headers=bearer).status_code == 200
    )
    both = {**bearer, "X-Vault-Token": "wrong"}
    assert requests.get(_url(dev_server, "auth/token/lookup-self"), headers=both).status_code == 403


def test_malformed_json_is_400_and_changes_nothing(dev_server: ServerProcess, unique: str) -> None:
    resp = requests.post(
        _url(dev_server, f"secret/data/{unique}"),
        data=b'{"data": {"a": ',
        headers=_root(dev_server),
    )
    assert resp.status_code == 400
    assert resp.json()["errors"][0].startswith("error parsing JSON")
    assert (
        requests.get(
            _url(dev_server, f"secret/data/{unique}"), headers=_root(dev_server)
        ).status_code
        == 404
    )


def test_json_that_is_not_an_object_is_400(dev_server: ServerProcess, unique: str) -> None:
    resp = requests.post(
        _url(dev_server, f"secret/data/{unique}"), data=b"[1, 2]", headers=_root(dev_server)
    )
    assert resp.status_code == 400


def test_wrong_field_type_names_the_field(dev_server: ServerProcess, unique: str) -> None:
    resp = requests.post(
        _url(dev_server, "auth/token/create"),
        data=json.dumps({"num_uses": "many"}),
        headers=_root(dev_server),
    )
    assert resp.status_code == 400
    assert 'field "num_uses"' in resp.json()["errors"][0]


def test_unknown_fields_produce_vaults_warning(dev_server: ServerProcess) -> None:
    resp = requests.post(
        _url(dev_server, "auth/token/create"),
        data=json.dumps({"ttl": "1m", "bogus": 1, "another": 2}),
        headers=_root(dev_server),
    )
    assert resp.status_code == 200
    assert resp.json()["warnings"] == [
        "Endpoint ignored these unrecognized parameters: [another bogus]"
    ]


def test_body_over_32_mib_is_413(dev_server: ServerProcess, unique: str) -> None:
    big = b'{"data": {"v": "' + b"a" * (32 * 1024 * 1024) + b'"}}'
    resp = requests.post(
        _url(dev_server, f"secret/data/{unique}"), data=big, headers=_root(dev_server)
    )
    assert resp.status_code == 413
    assert (
        requests.get(
            _url(dev_server, f"secret/data/{unique}"), headers=_root(dev_server)
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("raw_path", "cleaned"),
    [
        ("secret/data/../../sys/mounts", "/v1/sys/mounts"),
        ("secret/data/a/%2e%2e/b", None),
        ("secret%2Fdata%2Fx", None),
        ("secret/data//x", "/v1/secret/data/x"),
    ],
)
def test_path_traversal_is_refused_or_redirected(
    dev_server: ServerProcess, raw_path: str, cleaned: str | None
) -> None:
    # requests normalises "..", so send the raw bytes with a prepared request.
    session = requests.Session()
    prepared = requests.Request(
        "GET", f"{dev_server.url}/v1/x", headers=_root(dev_server)
    ).prepare()
    prepared.url = f"{dev_server.url}/v1/{raw_path}"
    resp = session.send(prepared, allow_redirects=False)
    if cleaned is None:  # encoded dots and slashes are refused, as OpenBao refuses them
        assert resp.status_code in (400, 404)
    else:  # as Vault: a 307 to the cleaned path, which is then served (and authorised) there
        assert (resp.status_code, resp.headers["location"]) == (307, cleaned)


def test_unknown_verb_is_405(dev_server: ServerProcess) -> None:
    resp = requests.request("TRACE", _url(dev_server, "secret/data/x"), headers=_root(dev_server))
    assert resp.status_code == 405


def test_patch_needs_merge_patch_content_type(dev_server: ServerProcess, unique: str) -> None:
    resp = requests.patch(
        _url(dev_server, f"secret/data/{unique}"), json={"data": {}}, headers=_root(dev_server)
    )
    assert resp.status_code == 415


def test_unrouted_path_is_404_for_root_and_403_for_others(dev_server: ServerProcess) -> None:
    resp = requests.get(_url(dev_server, "nomount/x"), headers=_root(dev_server))
    assert resp.status_code == 404
    assert "no handler for route" in resp.json()["errors"][0]
    token = dev_server.client().auth.token.create(policies=["default"], ttl="5m")["auth"][
        "client_token"
    ]
    assert (
        requests.get(_url(dev_server, "nomount/x"), headers={"X-Vault-Token": token}).status_code
        == 403
    )


def test_outside_v1_is_404_with_empty_errors(dev_server: ServerProcess) -> None:
    resp = requests.get(f"{dev_server.url}/other")
    assert resp.status_code == 404
    assert resp.json() == {"errors": []}


def test_list_verb_and_list_query_agree(
    vault: hvac.Client, dev_server: ServerProcess, unique: str
) -> None:
    for name in ("a", "b/c"):
        vault.secrets.kv.v2.create_or_update_secret(path=f"{unique}/{name}", secret={"k": "v"})
    via_verb = requests.request(
        "LIST", _url(dev_server, f"secret/metadata/{unique}"), headers=_root(dev_server)
    )
    via_query = requests.get(
        _url(dev_server, f"secret/metadata/{unique}?list=true"), headers=_root(dev_server)
    )
    assert via_verb.json()["data"]["keys"] == ["a", "b/"]
    assert via_query.json()["data"]["keys"] == ["a", "b/"]
    bad = requests.get(
        _url(dev_server, f"secret/metadata/{unique}?list=maybe"), headers=_root(dev_server)
    )
    assert bad.status_code == 400


def test_health_codes_and_head(dev_server: ServerProcess) -> None:
    assert requests.get(_url(dev_server, "sys/health")).status_code == 200
    assert requests.get(_url(dev_server, "sys/health?activecode=299")).status_code == 299
    assert requests.get(_url(dev_server, "sys/health?activecode=abc")).status_code == 400
    head = requests.head(_url(dev_server, "sys/health"))
    assert head.status_code == 200
    assert head.content == b""


def test_form_encoded_bodies_work(dev_server: ServerProcess) -> None:
    resp = requests.post(
        _url(dev_server, "auth/token/create"),
        data="ttl=2m&display_name=form",
        headers={**_root(dev_server), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 200
    assert resp.json()["auth"]["lease_duration"] == 120
