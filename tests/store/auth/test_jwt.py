"""JWT/OIDC driven directly, with real keys, real JWTs and a real JWKS on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from reconciler.store.auth.jwt import JWTBackend
from reconciler.store.errors import BadRequest, InternalError, NotFound, PermissionDenied
from reconciler.store.logical import Auth, Operation
from tests.store.auth.support import LoopbackServer, Mounted, SigningKey, mount, unsigned_token

GITHUB = "https://token.actions.githubusercontent.com"
K8S_ISSUER = "https://kubernetes.default.svc.cluster.local"


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": "https://issuer.test", "aud": "sealkeep", "sub": "alice"}
    return {**base, "iat": now, "nbf": now, "exp": now + 300, **extra}


def github_claims(issuer: str = GITHUB, **extra: Any) -> dict[str, Any]:
    return claims(
        iss=issuer,
        aud="https://github.com/octo-org",
        sub="repo:octo-org/payments:environment:production",
        repository="octo-org/payments",
        repository_owner="octo-org",
        ref="refs/heads/main",
        environment="production",
        actor="octocat",
        workflow="deploy",
        run_id="8123456789",
        job_workflow_ref="octo-org/payments/.github/workflows/deploy.yml@refs/heads/main",
        **extra,
    )


def serve_jwks(server: LoopbackServer, keys: list[SigningKey]) -> None:
    server.routes["/jwks"] = lambda *_: (200, {"keys": [k.jwk() for k in keys]})
    server.routes["/.well-known/openid-configuration"] = lambda *_: (
        200,
        {
            "issuer": server.url,
            "jwks_uri": f"{server.url}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        },
    )


def login(m: Mounted, token: str, role: str = "app", addr: str = "127.0.0.1") -> Auth:
    resp = m.write("login", addr=addr, role=role, jwt=token)
    assert resp is not None and resp.auth is not None
    return resp.auth


@pytest.fixture
def pem_mount(rsa_signer: SigningKey) -> Mounted:
    m = mount(JWTBackend)
    m.write(
        "config",
        jwt_validation_pubkeys=[rsa_signer.public_pem()],
        bound_issuer="https://issuer.test",
    )
    m.write(
        "role/app",
        role_type="jwt",
        bound_audiences="sealkeep",
        user_claim="sub",
        token_policies="app",
    )
    return m


# -- config ---------------------------------------------------------------------------------


def test_config_needs_exactly_one_key_source(rsa_signer: SigningKey) -> None:
    m = mount(JWTBackend)
    with pytest.raises(BadRequest, match="exactly one of"):
        m.write("config", bound_issuer="x")
    with pytest.raises(BadRequest, match="exactly one of"):
        m.write(
            "config",
            jwt_validation_pubkeys=[rsa_signer.public_pem()],
            jwks_url="http://127.0.0.1:1/jwks",
        )
    with pytest.raises(BadRequest, match="error parsing public key"):
        m.write(
            "config",
            jwt_validation_pubkeys=["-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"],
        )
    with pytest.raises(BadRequest, match="jwt_supported_algs"):
        m.write(
            "config", jwt_validation_pubkeys=[rsa_signer.public_pem()], jwt_supported_algs="HS256"
        )
    with pytest.raises(NotFound):
        m.read("config")


def test_config_checks_remote_sources(http_server: LoopbackServer) -> None:
    m = mount(JWTBackend)
    with pytest.raises(BadRequest, match="error checking jwks URL"):
        m.write("config", jwks_url=f"{http_server.url}/missing")
    http_server.routes["/.well-known/openid-configuration"] = lambda *_: (
        200,
        {"issuer": "https://elsewhere.test", "jwks_uri": f"{http_server.url}/jwks"},
    )
    with pytest.raises(BadRequest, match=r"error checking oidc discovery URL.*does not match"):
        m.write("config", oidc_discovery_url=http_server.url)


def test_config_read_hides_the_client_secret(
    http_server: LoopbackServer, rsa_signer: SigningKey
) -> None:
    serve_jwks(http_server, [rsa_signer])
    m = mount(JWTBackend)
    m.write(
        "config",
        oidc_discovery_url=http_server.url,
        oidc_client_id="cid",
        oidc_client_secret="shh",
        default_role="app",
    )
    resp = m.read("config")
    assert resp is not None and resp.data is not None
    assert "oidc_client_secret" not in resp.data and resp.data["oidc_client_id"] == "cid"
    assert resp.data["oidc_discovery_url"] == http_server.url and resp.data["default_role"] == "app"


# -- roles ----------------------------------------------------------------------------------


def test_role_rules(pem_mount: Mounted) -> None:
    with pytest.raises(BadRequest, match="allowed_redirect_uris"):
        pem_mount.write("role/web", user_claim="sub")
    with pytest.raises(BadRequest, match="at least one bound constraint"):
        pem_mount.write("role/loose", role_type="jwt", user_claim="sub")
    with pytest.raises(BadRequest, match="bound_claims_type"):
        pem_mount.write("role/x", role_type="jwt", bound_subject="a", bound_claims_type="regex")
    with pytest.raises(BadRequest, match="reserved"):
        pem_mount.write(
            "role/x", role_type="jwt", bound_subject="a", claim_mappings={"sub": "role"}
        )
    pem_mount.write("role/web", user_claim="sub", allowed_redirect_uris="https://app.test/cb")
    resp = pem_mount.call(Operation.LIST, "role/")
    assert resp is not None and resp.data == {"keys": ["app", "web"]}


def test_role_read_shape(pem_mount: Mounted) -> None:
    resp = pem_mount.read("role/app")
    assert resp is not None and resp.data is not None
    assert resp.data["role_type"] == "jwt" and resp.data["bound_audiences"] == ["sealkeep"]
    assert resp.data["token_policies"] == ["app"] and resp.data["bound_claims_type"] == "string"
    assert (resp.data["clock_skew_leeway"], resp.data["expiration_leeway"]) == (60, 150)
    pem_mount.call(Operation.DELETE, "role/app")
    with pytest.raises(NotFound):
        pem_mount.read("role/app")


# -- logins ---------------------------------------------------------------------------------


def test_login_with_pem_keys(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    auth = login(pem_mount, rsa_signer.sign(claims()))
    assert auth.policies == ["app"] and auth.alias_name == "alice"
    assert auth.metadata == {"role": "app"} and auth.display_name == "jwt-alice"


def test_default_role_and_nested_mount(rsa_signer: SigningKey) -> None:
    m = mount(JWTBackend, "ci/jwt/")
    m.write("config", jwt_validation_pubkeys=[rsa_signer.public_pem()], default_role="app")
    m.write("role/app", role_type="jwt", bound_subject="alice")
    with pytest.raises(BadRequest, match="audience claim found in JWT but no audiences bound"):
        login(m, rsa_signer.sign(claims()), role="")
    auth = login(m, rsa_signer.sign(claims(aud=None)), role="")
    assert auth.display_name == "ci-jwt-alice"


def test_github_actions_token_via_oidc_discovery(
    http_server: LoopbackServer, rsa_signer: SigningKey
) -> None:
    serve_jwks(http_server, [rsa_signer])
    m = mount(JWTBackend)
    m.write("config", oidc_discovery_url=http_server.url)
    m.write(
        "role/deploy",
        role_type="jwt",
        user_claim="repository",
        bound_audiences=["https://github.com/octo-org"],
        bound_claims_type="glob",
        bound_claims={
            "repository": "octo-org/payments",
            "ref": ["refs/heads/main", "refs/tags/v*"],
        },
        claim_mappings={"environment": "environment", "actor": "actor", "ref": "ref"},
        token_policies="deploy-payments",
        token_ttl="10m",
    )
    auth = login(m, rsa_signer.sign(github_claims(http_server.url)), role="deploy")
    assert auth.metadata == {
        "role": "deploy",
        "environment": "production",
        "actor": "octocat",
        "ref": "refs/heads/main",
    }
    assert auth.alias_name == "octo-org/payments" and auth.display_name == "jwt-octo-org/payments"
    assert auth.ttl == 600
    tag = rsa_signer.sign(github_claims(http_server.url) | {"ref": "refs/tags/v1.2.0"})
    assert login(m, tag, role="deploy").metadata["ref"] == "refs/tags/v1.2.0"
    branch = rsa_signer.sign(github_claims(http_server.url) | {"ref": "refs/heads/feature"})
    with pytest.raises(BadRequest, match=r'error validating claims: claim "ref" does not match'):
        login(m, branch, role="deploy")
    other = rsa_signer.sign(github_claims(http_server.url) | {"iss": GITHUB})
    with pytest.raises(BadRequest, match="invalid issuer"):
        login(m, other, role="deploy")


def test_github_actions_issuer_with_static_keys(rsa_signer: SigningKey) -> None:
    m = mount(JWTBackend)
    m.write("config", jwt_validation_pubkeys=[rsa_signer.public_pem()], bound_issuer=GITHUB)
    m.write(
        "role/ci",
        role_type="jwt",
        user_claim="sub",
        bound_subject="repo:octo-org/payments:environment:production",
        bound_claims={"environment": "production"},
        bound_audiences="https://github.com/octo-org",
    )
    auth = login(m, rsa_signer.sign(github_claims()), role="ci")
    assert auth.alias_name == "repo:octo-org/payments:environment:production"
    staging = rsa_signer.sign(github_claims() | {"environment": "staging"})
    with pytest.raises(BadRequest, match="error validating claims"):
        login(m, staging, role="ci")
    wrong_sub = rsa_signer.sign(
        github_claims() | {"sub": "repo:octo-org/payments:ref:refs/heads/main"}
    )
    with pytest.raises(BadRequest, match="invalid subject"):
        login(m, wrong_sub, role="ci")


def test_kubernetes_service_account_token_with_ec_jwks(
    http_server: LoopbackServer, ec_signer: SigningKey
) -> None:
    serve_jwks(http_server, [ec_signer])
    m = mount(JWTBackend)
    m.write(
        "config",
        jwks_url=f"{http_server.url}/jwks",
        jwt_supported_algs="ES256",
        bound_issuer=K8S_ISSUER,
    )
    m.write(
        "role/workload",
        role_type="jwt",
        user_claim="sub",
        bound_audiences=K8S_ISSUER,
        bound_claims={"/kubernetes.io/namespace": "payments"},
        claim_mappings={"/kubernetes.io/serviceaccount/name": "service_account"},
    )
    sa = {
        "iss": K8S_ISSUER,
        "aud": [K8S_ISSUER],
        "sub": "system:serviceaccount:payments:api",
        "kubernetes.io": {
            "namespace": "payments",
            "pod": {"name": "api-7c9", "uid": "9f1c"},
            "serviceaccount": {"name": "api", "uid": "51ee6c4c-0d3c-4a1f-a0e6-2a1f9c1e1e10"},
        },
    }
    auth = login(m, ec_signer.sign(claims(**sa)), role="workload")
    assert auth.metadata == {"role": "workload", "service_account": "api"}
    assert auth.display_name == "jwt-system:serviceaccount:payments:api"
    other_ns = claims(**sa) | {
        "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "api"}}
    }
    with pytest.raises(BadRequest, match="error validating claims"):
        login(m, ec_signer.sign(other_ns), role="workload")


# -- bad input ------------------------------------------------------------------------------


def rejected(m: Mounted, token: str, message: str, role: str = "app") -> str:
    with pytest.raises(BadRequest, match=message) as caught:
        m.write("login", role=role, jwt=token)
    assert token not in str(caught.value)
    return str(caught.value)


def test_bad_signature(pem_mount: Mounted, rsa_other: SigningKey) -> None:
    rejected(pem_mount, rsa_other.sign(claims()), "^error validating token: invalid signature$")


def test_tampered_payload(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    header, _, signature = rsa_signer.sign(claims()).split(".")
    forged = rsa_signer.sign(claims(sub="root")).split(".")[1]
    rejected(pem_mount, f"{header}.{forged}x.{signature}", "error validating token")


def test_alg_none_is_refused(pem_mount: Mounted) -> None:
    rejected(pem_mount, unsigned_token(claims()), "unsupported signing algorithm")


def test_hmac_key_confusion_is_refused(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    # The classic attack: sign with HS256 using the public key PEM as the shared secret.
    secret = rsa_signer.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, payload, _ = jwt.encode(claims(), "x" * 32, algorithm="HS256").split(".")
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    rejected(pem_mount, f"{header}.{payload}.{sig}", "unsupported signing algorithm")


def test_wrong_audience(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    rejected(pem_mount, rsa_signer.sign(claims(aud="someone-else")), "invalid audience")
    assert login(pem_mount, rsa_signer.sign(claims(aud=["x", "sealkeep"]))).alias_name == "alice"


def test_expired_and_leeway(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    now = int(time.time())
    rejected(pem_mount, rsa_signer.sign(claims(exp=now - 3600)), "token is expired")
    assert login(pem_mount, rsa_signer.sign(claims(exp=now - 100))).alias_name == "alice"
    pem_mount.write("role/app", expiration_leeway=-1, clock_skew_leeway=-1)
    rejected(pem_mount, rsa_signer.sign(claims(exp=now - 5)), "token is expired")


def test_not_yet_valid_and_future_iat(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    now = int(time.time())
    rejected(pem_mount, rsa_signer.sign(claims(nbf=now + 3600)), "not valid yet")
    rejected(pem_mount, rsa_signer.sign(claims(iat=now + 3600)), "issued in the future")
    rejected(pem_mount, rsa_signer.sign(claims(exp="tomorrow")), "exp claim is not a number")


def test_wrong_issuer(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    rejected(pem_mount, rsa_signer.sign(claims(iss="https://evil.test")), "invalid issuer")


def test_missing_claims(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    pem_mount.write("role/app", bound_claims={"team": "payments"})
    rejected(pem_mount, rsa_signer.sign(claims()), 'claim "team" is missing')
    pem_mount.write("role/app", bound_claims={}, user_claim="email")
    rejected(pem_mount, rsa_signer.sign(claims()), 'claim "email" not found in token')


def test_list_claims_match_any(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    pem_mount.write("role/app", bound_claims={"groups": ["ops", "admins"]})
    assert login(pem_mount, rsa_signer.sign(claims(groups=["dev", "admins"]))).alias_name == "alice"
    rejected(pem_mount, rsa_signer.sign(claims(groups=["dev"])), "does not match")


def test_malformed_and_missing_tokens(pem_mount: Mounted) -> None:
    rejected(pem_mount, "not-a-jwt", "error validating token: malformed token")
    with pytest.raises(BadRequest, match="missing token"):
        pem_mount.write("login", role="app", jwt="")
    with pytest.raises(BadRequest, match='role "ghost" could not be found'):
        pem_mount.write("login", role="ghost", jwt="x.y.z")
    with pytest.raises(BadRequest, match="missing role"):
        pem_mount.write("login", jwt="x.y.z")


def test_oidc_role_cannot_log_in_with_a_jwt(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    pem_mount.write("role/web", user_claim="sub", allowed_redirect_uris="https://app.test/cb")
    rejected(pem_mount, rsa_signer.sign(claims()), "oidc role_type is not allowed", role="web")


def test_bound_cidrs_on_login(pem_mount: Mounted, rsa_signer: SigningKey) -> None:
    pem_mount.write("role/app", token_bound_cidrs="10.0.0.0/8")
    with pytest.raises(PermissionDenied):
        login(pem_mount, rsa_signer.sign(claims()), addr="192.0.2.1")
    assert login(pem_mount, rsa_signer.sign(claims()), addr="10.0.0.9").bound_cidrs == [
        "10.0.0.0/8"
    ]


def test_no_config(rsa_signer: SigningKey) -> None:
    m = mount(JWTBackend)
    with pytest.raises(BadRequest, match="could not load configuration"):
        m.write("login", role="app", jwt=rsa_signer.sign(claims()))


# -- JWKS caching and rotation ---------------------------------------------------------------


@pytest.fixture
def jwks_mount(http_server: LoopbackServer, rsa_signer: SigningKey) -> Mounted:
    serve_jwks(http_server, [rsa_signer])
    m = mount(JWTBackend)
    m.write("config", jwks_url=f"{http_server.url}/jwks")
    m.write("role/app", role_type="jwt", bound_audiences="sealkeep")
    return m


def test_jwks_is_cached(
    jwks_mount: Mounted, http_server: LoopbackServer, rsa_signer: SigningKey
) -> None:
    for _ in range(3):
        login(jwks_mount, rsa_signer.sign(claims()))
    assert http_server.count("/jwks") == 1


def test_unknown_kid_refreshes_the_jwks(
    jwks_mount: Mounted,
    http_server: LoopbackServer,
    rsa_signer: SigningKey,
    rsa_rotated: SigningKey,
) -> None:
    serve_jwks(http_server, [rsa_signer, rsa_rotated])
    time.sleep(1.05)  # past the refresh floor that keeps made-up kids from hammering the issuer
    assert login(jwks_mount, rsa_rotated.sign(claims())).alias_name == "alice"
    assert http_server.count("/jwks") == 2


def test_unknown_kid_is_refused(
    jwks_mount: Mounted, rsa_signer: SigningKey, rsa_rotated: SigningKey
) -> None:
    token = rsa_rotated.sign(claims(), kid="never-published")
    rejected(jwks_mount, token, "no known key matches")


def test_unreachable_provider_is_accepted_with_a_warning_and_checked_at_login(
    rsa_rotated: SigningKey,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    m = mount(JWTBackend)
    response = m.write("config", jwks_url=f"http://127.0.0.1:{closed}/jwks")
    assert response is not None
    assert "could not check the jwks URL now" in response.warnings[0]
    assert m.read("config").data["jwks_url"] == f"http://127.0.0.1:{closed}/jwks"


def test_jwks_outage_is_a_server_error(
    jwks_mount: Mounted, http_server: LoopbackServer, rsa_rotated: SigningKey
) -> None:
    http_server.routes["/jwks"] = lambda *_: (503, {"error": "down"})
    time.sleep(1.05)
    with pytest.raises(InternalError, match="error fetching signing keys"):
        login(jwks_mount, rsa_rotated.sign(claims()))
