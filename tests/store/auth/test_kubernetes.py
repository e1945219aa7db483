"""Kubernetes auth driven directly: TokenReview against a loopback API server, and local
verification of service-account tokens with the cluster's real signing keys."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.store.auth.kubernetes import KubernetesBackend
from reconciler.store.errors import BadRequest, InternalError, NotFound, PermissionDenied
from reconciler.store.logical import Auth, Operation
from tests.store.auth.support import LoopbackServer, Mounted, SigningKey, mount

REVIEW = "/apis/authentication.k8s.io/v1/tokenreviews"
REVIEWER_JWT = "reviewer.jwt.value"
ISSUER = "https://kubernetes.default.svc.cluster.local"
API_UID = "51ee6c4c-0d3c-4a1f-a0e6-2a1f9c1e1e10"


def projected(
    ns: str = "payments", name: str = "api", uid: str = API_UID, **extra: Any
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": [ISSUER],
        "sub": f"system:serviceaccount:{ns}:{name}",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "kubernetes.io": {
            "namespace": ns,
            "pod": {"name": f"{name}-5d8f7", "uid": "0b6e"},
            "serviceaccount": {"name": name, "uid": uid},
        },
        **extra,
    }


def legacy(ns: str = "payments", name: str = "api") -> dict[str, Any]:
    prefix = "kubernetes.io/serviceaccount/"
    return {
        "iss": "kubernetes/serviceaccount",
        "sub": f"system:serviceaccount:{ns}:{name}",
        prefix + "namespace": ns,
        prefix + "secret.name": f"{name}-token-x7k2p",
        prefix + "service-account.name": name,
        prefix + "service-account.uid": API_UID,
    }


class FakeCluster:
    """What the loopback API server knows: valid tokens and who may call TokenReview."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, str, str]] = {}
        self.bearers = {REVIEWER_JWT}

    def review(self, method: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if (
            method != "POST"
            or headers.get("authorization", "").removeprefix("Bearer ") not in self.bearers
        ):
            return 401, {
                "kind": "Status",
                "status": "Failure",
                "reason": "Unauthorized",
                "code": 401,
            }
        spec = body["spec"]
        known = self.accounts.get(spec["token"])
        if known is None:
            status: dict[str, Any] = {"authenticated": False, "error": "invalid bearer token"}
        else:
            ns, name, uid = known
            status = {
                "authenticated": True,
                "user": {
                    "username": f"system:serviceaccount:{ns}:{name}",
                    "uid": uid,
                    "groups": ["system:serviceaccounts", f"system:serviceaccounts:{ns}"],
                },
                "audiences": spec.get("audiences") or [ISSUER],
            }
        return 201, {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "status": status,
        }


@pytest.fixture
def cluster(http_server: LoopbackServer) -> FakeCluster:
    state = FakeCluster()
    http_server.routes[REVIEW] = state.review
    return state


def sa_token(cluster: FakeCluster, key: SigningKey, **claims: Any) -> str:
    doc = projected(**claims)
    token = key.sign(doc)
    sa = doc["kubernetes.io"]
    cluster.accounts[token] = (
        sa["namespace"],
        sa["serviceaccount"]["name"],
        sa["serviceaccount"]["uid"],
    )
    return token


@pytest.fixture
def review_mount(http_server: LoopbackServer, cluster: FakeCluster) -> Mounted:
    m = mount(KubernetesBackend)
    m.write("config", kubernetes_host=http_server.url, token_reviewer_jwt=REVIEWER_JWT)
    m.write(
        "role/api",
        bound_service_account_names="api,worker-*",
        bound_service_account_namespaces="payments",
        policies="payments-api",
        ttl="20m",
    )
    return m


def login(m: Mounted, token: str, role: str = "api") -> Auth:
    resp = m.write("login", role=role, jwt=token)
    assert resp is not None and resp.auth is not None
    return resp.auth


# -- config and roles ---------------------------------------------------------------------


def test_config_rules_and_read(review_mount: Mounted, rsa_signer: SigningKey) -> None:
    with pytest.raises(BadRequest, match="no host provided"):
        review_mount.write("config", token_reviewer_jwt="x")
    with pytest.raises(BadRequest, match="pem_keys"):
        review_mount.write("config", kubernetes_host="https://k8s.test", pem_keys="garbage")
    with pytest.raises(BadRequest, match="kubernetes_ca_cert must be given"):
        review_mount.write("config", kubernetes_host="https://k8s.test", disable_local_ca_jwt=True)
    resp = review_mount.read("config")
    assert resp is not None and resp.data is not None
    assert resp.data["token_reviewer_jwt_set"] is True
    assert REVIEWER_JWT not in str(resp.data)
    assert set(resp.data) >= {
        "kubernetes_host",
        "kubernetes_ca_cert",
        "pem_keys",
        "issuer",
        "disable_iss_validation",
    }
    with pytest.raises(NotFound):
        mount(KubernetesBackend).read("config")


def test_role_rules_and_read(review_mount: Mounted) -> None:
    # As OpenBao 2.x: "*" bounds (even both) are accepted; a login must still match both.
    review_mount.write(
        "role/x", bound_service_account_names="*", bound_service_account_namespaces="*"
    )
    review_mount.call(Operation.DELETE, "role/x")
    with pytest.raises(BadRequest, match="alias_name_source"):
        review_mount.write("role/api", alias_name_source="pod")
    resp = review_mount.read("role/api")
    assert resp is not None and resp.data is not None
    assert resp.data["bound_service_account_names"] == ["api", "worker-*"]
    assert resp.data["policies"] == resp.data["token_policies"] == ["payments-api"]
    assert resp.data["ttl"] == resp.data["token_ttl"] == 1200
    assert resp.data["alias_name_source"] == "serviceaccount_uid"
    listed = review_mount.call(Operation.LIST, "role/")
    assert listed is not None and listed.data == {"keys": ["api"]}
    review_mount.call(Operation.DELETE, "role/api")
    with pytest.raises(NotFound):
        review_mount.read("role/api")


# -- TokenReview ----------------------------------------------------------------------------


def test_login_via_token_review(
    review_mount: Mounted, cluster: FakeCluster, http_server: LoopbackServer, rsa_other: SigningKey
) -> None:
    auth = login(review_mount, sa_token(cluster, rsa_other))
    assert auth.policies == ["payments-api"] and auth.ttl == 1200
    assert auth.metadata == {
        "service_account_uid": API_UID,
        "service_account_name": "api",
        "service_account_namespace": "payments",
        "service_account_secret_name": "",
        "role": "api",
    }
    assert auth.display_name == "kubernetes-payments-api" and auth.alias_name == API_UID
    _, path, headers, body = http_server.hits[-1]
    assert path == REVIEW and headers["authorization"] == f"Bearer {REVIEWER_JWT}"
    assert body["kind"] == "TokenReview" and "audiences" not in body["spec"]


def test_glob_names_and_alias_by_name(
    review_mount: Mounted, cluster: FakeCluster, rsa_other: SigningKey
) -> None:
    review_mount.write("role/api", alias_name_source="serviceaccount_name")
    auth = login(review_mount, sa_token(cluster, rsa_other, name="worker-7"))
    assert auth.alias_name == "payments/worker-7"


def test_unauthenticated_token_is_403(review_mount: Mounted, rsa_other: SigningKey) -> None:
    with pytest.raises(PermissionDenied):
        login(review_mount, rsa_other.sign(projected()))


def test_binding_mismatch_is_403(
    review_mount: Mounted, cluster: FakeCluster, rsa_other: SigningKey
) -> None:
    with pytest.raises(PermissionDenied):
        login(review_mount, sa_token(cluster, rsa_other, ns="default"))
    with pytest.raises(PermissionDenied):
        login(review_mount, sa_token(cluster, rsa_other, name="frontend"))


def test_claims_that_disagree_with_the_review_are_403(
    review_mount: Mounted, cluster: FakeCluster, rsa_other: SigningKey
) -> None:
    token = rsa_other.sign(projected(name="api"))
    cluster.accounts[token] = ("payments", "worker-1", "u-2")
    with pytest.raises(PermissionDenied):
        login(review_mount, token)


def test_wrong_reviewer_jwt_is_403(
    review_mount: Mounted, cluster: FakeCluster, http_server: LoopbackServer, rsa_other: SigningKey
) -> None:
    review_mount.write(
        "config", kubernetes_host=http_server.url, token_reviewer_jwt="stale.reviewer.jwt"
    )
    with pytest.raises(PermissionDenied):
        login(review_mount, sa_token(cluster, rsa_other))


def test_without_reviewer_jwt_the_callers_token_is_the_bearer(
    review_mount: Mounted, cluster: FakeCluster, http_server: LoopbackServer, rsa_other: SigningKey
) -> None:
    review_mount.write("config", kubernetes_host=http_server.url)
    token = sa_token(cluster, rsa_other)
    cluster.bearers.add(token)
    assert login(review_mount, token).metadata["service_account_name"] == "api"
    assert http_server.hits[-1][2]["authorization"] == f"Bearer {token}"


def test_audience_is_sent_and_checked(
    review_mount: Mounted, cluster: FakeCluster, http_server: LoopbackServer, rsa_other: SigningKey
) -> None:
    review_mount.write("role/api", audience="vault")
    login(review_mount, sa_token(cluster, rsa_other))
    assert http_server.hits[-1][3]["spec"]["audiences"] == ["vault"]


def test_login_bad_input(review_mount: Mounted) -> None:
    with pytest.raises(BadRequest, match="missing role"):
        review_mount.write("login", jwt="a.b.c")
    with pytest.raises(BadRequest, match="missing jwt"):
        review_mount.write("login", role="api")
    with pytest.raises(BadRequest, match='invalid role name "nope"'):
        review_mount.write("login", role="nope", jwt="a.b.c")
    with pytest.raises(PermissionDenied):
        review_mount.write("login", role="api", jwt="not-a-jwt")


def test_cluster_unreachable_is_a_server_error(rsa_other: SigningKey) -> None:
    m = mount(KubernetesBackend)
    m.write("config", kubernetes_host="http://127.0.0.1:9", token_reviewer_jwt=REVIEWER_JWT)
    m.write(
        "role/api", bound_service_account_names="api", bound_service_account_namespaces="payments"
    )
    with pytest.raises(InternalError, match="token review failed"):
        login(m, rsa_other.sign(projected()))


# -- local verification with pem_keys --------------------------------------------------------


@pytest.fixture
def local_mount(rsa_signer: SigningKey) -> Mounted:
    m = mount(KubernetesBackend)
    m.write(
        "config",
        kubernetes_host="https://k8s.invalid",
        pem_keys=[rsa_signer.public_pem()],
        issuer=ISSUER,
    )
    m.write(
        "role/api",
        bound_service_account_names="api",
        bound_service_account_namespaces="pay*",
        token_policies="p",
    )
    return m


def test_local_projected_token(local_mount: Mounted, rsa_signer: SigningKey) -> None:
    auth = login(local_mount, rsa_signer.sign(projected()))
    assert auth.metadata["service_account_uid"] == API_UID and auth.policies == ["p"]


def test_local_legacy_token(local_mount: Mounted, rsa_signer: SigningKey) -> None:
    with pytest.raises(PermissionDenied):  # issuer differs from the configured one
        login(local_mount, rsa_signer.sign(legacy()))
    local_mount.write(
        "config", kubernetes_host="https://k8s.invalid", pem_keys=[rsa_signer.public_pem()]
    )
    auth = login(local_mount, rsa_signer.sign(legacy()))
    assert auth.metadata["service_account_secret_name"] == "api-token-x7k2p"


@pytest.mark.parametrize(
    "claims",
    [
        projected(ns="default"),
        projected(sub="system:serviceaccount:payments:admin"),
        projected(exp=int(time.time()) - 3600),
        projected(iss="https://other.cluster"),
        {"iss": ISSUER, "sub": "system:serviceaccount:payments:api"},
    ],
    ids=["namespace", "sub-mismatch", "expired", "issuer", "no-sa-claims"],
)
def test_local_rejections(
    local_mount: Mounted, rsa_signer: SigningKey, claims: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        login(local_mount, rsa_signer.sign(claims))


def test_local_wrong_key_and_audience(
    local_mount: Mounted, rsa_other: SigningKey, rsa_signer: SigningKey
) -> None:
    with pytest.raises(PermissionDenied):
        login(local_mount, rsa_other.sign(projected()))
    local_mount.write("role/api", audience="vault")
    with pytest.raises(PermissionDenied):
        login(local_mount, rsa_signer.sign(projected()))
    assert login(local_mount, rsa_signer.sign(projected(aud=["vault"]))).alias_name == API_UID
