"""Auth methods end to end: the real hvac client against the real dev server.

The JWKS/discovery document and the Kubernetes TokenReview API are real HTTP servers on
loopback (GitHub and Kubernetes cannot run here); everything else is the product.
"""

from __future__ import annotations

from collections.abc import Iterator

import hvac
import pytest
from hvac.exceptions import Forbidden, InvalidPath, InvalidRequest

from tests.store.auth.support import LoopbackServer, SigningKey, loopback_server, rsa_key
from tests.store.auth.test_jwt import claims, github_claims, serve_jwks
from tests.store.auth.test_kubernetes import REVIEW, REVIEWER_JWT, FakeCluster, sa_token
from tests.support.servers import ServerProcess


@pytest.fixture(scope="module")
def signer() -> SigningKey:
    return rsa_key("e2e-1")


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    with loopback_server() as server:
        yield server


def anonymous(dev_server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=dev_server.url)


def test_approle(vault: hvac.Client, dev_server: ServerProcess, unique: str) -> None:
    vault.sys.enable_auth_method("approle", path=unique)
    approle = vault.auth.approle
    approle.create_or_update_approle(
        "app", token_policies=["app-read"], token_ttl="1h", secret_id_num_uses=2, mount_point=unique
    )
    role = approle.read_role("app", mount_point=unique)["data"]
    assert role["token_policies"] == ["app-read"] and role["token_ttl"] == 3600
    assert approle.list_roles(mount_point=unique)["data"]["keys"] == ["app"]
    role_id = approle.read_role_id("app", mount_point=unique)["data"]["role_id"]
    secret = approle.generate_secret_id(
        "app", metadata={"team": "payments"}, cidr_list=["127.0.0.0/8"], mount_point=unique
    )["data"]
    accessors = approle.list_secret_id_accessors("app", mount_point=unique)["data"]["keys"]
    assert accessors == [secret["secret_id_accessor"]]
    looked_up = approle.read_secret_id("app", secret["secret_id"], mount_point=unique)["data"]
    assert looked_up["metadata"] == {"team": "payments"} and looked_up["secret_id_num_uses"] == 2

    client = anonymous(dev_server)
    auth = client.auth.approle.login(role_id, secret["secret_id"], mount_point=unique)["auth"]
    assert auth["policies"] == ["app-read", "default"]
    assert auth["metadata"] == {"role_name": "app", "team": "payments"}
    assert auth["lease_duration"] == 3600 and auth["token_type"] == "service"
    assert client.lookup_token()["data"]["display_name"] == unique

    with pytest.raises(InvalidRequest, match="invalid role or secret ID"):
        anonymous(dev_server).auth.approle.login(role_id, "wrong", mount_point=unique)
    with pytest.raises(InvalidRequest, match="missing secret_id"):
        anonymous(dev_server).auth.approle.login(role_id, mount_point=unique)
    anonymous(dev_server).auth.approle.login(role_id, secret["secret_id"], mount_point=unique)
    with pytest.raises(InvalidRequest, match="invalid role or secret ID"):  # both uses spent
        anonymous(dev_server).auth.approle.login(role_id, secret["secret_id"], mount_point=unique)

    custom = approle.create_custom_secret_id("app", "my-custom-id", mount_point=unique)["data"]
    approle.destroy_secret_id_accessor("app", custom["secret_id_accessor"], mount_point=unique)
    with pytest.raises(InvalidRequest):
        anonymous(dev_server).auth.approle.login(role_id, "my-custom-id", mount_point=unique)
    approle.delete_role("app", mount_point=unique)
    with pytest.raises(InvalidPath):
        approle.read_role("app", mount_point=unique)


def test_userpass(vault: hvac.Client, dev_server: ServerProcess, unique: str) -> None:
    vault.sys.enable_auth_method("userpass", path=unique)
    userpass = vault.auth.userpass
    userpass.create_or_update_user("alice", "s3cret pass", policies=["dev"], mount_point=unique)
    assert userpass.list_user(mount_point=unique)["data"]["keys"] == ["alice"]
    assert "password" not in userpass.read_user("alice", mount_point=unique)["data"]
    client = anonymous(dev_server)
    auth = client.auth.userpass.login("alice", "s3cret pass", mount_point=unique)["auth"]
    assert auth["policies"] == ["default", "dev"] and auth["metadata"] == {"username": "alice"}
    assert client.lookup_token()["data"]["display_name"] == f"{unique}-alice"
    for user, password in [("alice", "wrong"), ("mallory", "s3cret pass")]:
        with pytest.raises(InvalidRequest, match="invalid username or password"):
            anonymous(dev_server).auth.userpass.login(user, password, mount_point=unique)
    userpass.update_password_on_user("alice", "rotated", mount_point=unique)
    anonymous(dev_server).auth.userpass.login("alice", "rotated", mount_point=unique)
    userpass.delete_user("alice", mount_point=unique)
    with pytest.raises(InvalidRequest):
        anonymous(dev_server).auth.userpass.login("alice", "rotated", mount_point=unique)


def test_jwt_github_actions(
    vault: hvac.Client,
    dev_server: ServerProcess,
    unique: str,
    http_server: LoopbackServer,
    signer: SigningKey,
) -> None:
    serve_jwks(http_server, [signer])
    vault.sys.enable_auth_method("jwt", path=unique)
    jwt_auth = vault.auth.jwt
    jwt_auth.configure(oidc_discovery_url=http_server.url, path=unique)
    assert jwt_auth.read_config(path=unique)["data"]["oidc_discovery_url"] == http_server.url
    jwt_auth.create_role(
        "deploy",
        user_claim="repository",
        allowed_redirect_uris=[],
        role_type="jwt",
        bound_audiences=["https://github.com/octo-org"],
        bound_claims={"repository": "octo-org/payments", "ref": "refs/heads/*"},
        bound_claims_type="glob",
        claim_mappings={"environment": "environment"},
        token_policies=["deploy"],
        path=unique,
    )
    assert jwt_auth.read_role("deploy", path=unique)["data"]["bound_claims_type"] == "glob"
    assert jwt_auth.list_roles(path=unique)["data"]["keys"] == ["deploy"]
    client = anonymous(dev_server)
    token = signer.sign(github_claims(http_server.url))
    auth = client.auth.jwt.jwt_login("deploy", token, path=unique)["auth"]
    assert auth["metadata"] == {"role": "deploy", "environment": "production"}
    assert auth["policies"] == ["default", "deploy"]
    assert client.lookup_token()["data"]["display_name"] == f"{unique}-octo-org/payments"
    entity = vault.secrets.identity.lookup_entity(entity_id=auth["entity_id"])["data"]
    assert [a["name"] for a in entity["aliases"]] == ["octo-org/payments"], "user_claim value"
    wrong_aud = signer.sign(github_claims(http_server.url) | {"aud": "https://github.com/evil"})
    with pytest.raises(InvalidRequest, match="error validating token"):
        anonymous(dev_server).auth.jwt.jwt_login("deploy", wrong_aud, path=unique)
    stranger = rsa_key("e2e-1").sign(claims(iss=http_server.url))
    with pytest.raises(InvalidRequest, match="invalid signature"):
        anonymous(dev_server).auth.jwt.jwt_login("deploy", stranger, path=unique)
    jwt_auth.delete_role("deploy", path=unique)


def test_kubernetes_token_review(
    vault: hvac.Client,
    dev_server: ServerProcess,
    unique: str,
    http_server: LoopbackServer,
    signer: SigningKey,
) -> None:
    cluster = FakeCluster()
    http_server.routes[REVIEW] = cluster.review
    vault.sys.enable_auth_method("kubernetes", path=unique)
    k8s = vault.auth.kubernetes
    k8s.configure(http_server.url, token_reviewer_jwt=REVIEWER_JWT, mount_point=unique)
    config = k8s.read_config(mount_point=unique)  # hvac returns `data` itself here
    assert config["token_reviewer_jwt_set"] is True and config["kubernetes_host"] == http_server.url
    k8s.create_role("api", ["api"], ["payments"], policies=["payments-api"], mount_point=unique)
    assert k8s.read_role("api", mount_point=unique)["token_policies"] == ["payments-api"]
    assert k8s.list_roles(mount_point=unique)["keys"] == ["api"]
    client = anonymous(dev_server)
    auth = client.auth.kubernetes.login("api", sa_token(cluster, signer), mount_point=unique)[
        "auth"
    ]
    assert auth["metadata"]["service_account_namespace"] == "payments"
    assert auth["policies"] == ["default", "payments-api"]
    assert client.lookup_token()["data"]["display_name"] == f"{unique}-payments-api"
    entity = vault.secrets.identity.lookup_entity(entity_id=auth["entity_id"])["data"]
    uid = auth["metadata"]["service_account_uid"]
    assert [a["name"] for a in entity["aliases"]] == [uid], "the service account's uid"
    with pytest.raises(Forbidden):
        anonymous(dev_server).auth.kubernetes.login(
            "api", sa_token(cluster, signer, ns="default"), mount_point=unique
        )
    with pytest.raises(InvalidRequest, match='invalid role name "nope"'):
        anonymous(dev_server).auth.kubernetes.login("nope", "a.b.c", mount_point=unique)
    k8s.delete_role("api", mount_point=unique)
