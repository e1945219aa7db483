"""Key sources and the Kubernetes API over HTTPS, trusting only the configured CA."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.store.auth.jwt import JWTBackend
from reconciler.store.auth.kubernetes import KubernetesBackend
from reconciler.store.errors import BadRequest, InternalError
from tests.store.auth.support import (
    LoopbackServer,
    SigningKey,
    TLSFiles,
    loopback_server,
    make_tls,
    mount,
)
from tests.store.auth.test_jwt import claims, serve_jwks
from tests.store.auth.test_kubernetes import REVIEW, REVIEWER_JWT, FakeCluster, sa_token


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_server(tls: TLSFiles) -> Iterator[LoopbackServer]:
    with loopback_server(tls) as server:
        yield server


def test_jwks_over_https_needs_the_ca(
    https_server: LoopbackServer, tls: TLSFiles, rsa_signer: SigningKey
) -> None:
    serve_jwks(https_server, [rsa_signer])
    m = mount(JWTBackend)
    with pytest.raises(BadRequest, match="error checking jwks URL"):
        m.write("config", jwks_url=f"{https_server.url}/jwks")
    m.write("config", jwks_url=f"{https_server.url}/jwks", jwks_ca_pem=tls.ca_pem)
    m.write("role/app", role_type="jwt", bound_audiences="sealkeep")
    resp = m.write("login", role="app", jwt=rsa_signer.sign(claims()))
    assert resp is not None and resp.auth is not None


def test_oidc_discovery_over_https(
    https_server: LoopbackServer, tls: TLSFiles, rsa_signer: SigningKey
) -> None:
    serve_jwks(https_server, [rsa_signer])
    m = mount(JWTBackend)
    m.write("config", oidc_discovery_url=https_server.url, oidc_discovery_ca_pem=tls.ca_pem)
    m.write("role/app", role_type="jwt", bound_audiences="sealkeep")
    resp = m.write("login", role="app", jwt=rsa_signer.sign(claims(iss=https_server.url)))
    assert resp is not None and resp.auth is not None


def test_token_review_over_https(
    https_server: LoopbackServer, tls: TLSFiles, rsa_other: SigningKey
) -> None:
    cluster = FakeCluster()
    https_server.routes[REVIEW] = cluster.review
    m = mount(KubernetesBackend)
    m.write(
        "role/api", bound_service_account_names="api", bound_service_account_namespaces="payments"
    )
    m.write("config", kubernetes_host=https_server.url, token_reviewer_jwt=REVIEWER_JWT)
    with pytest.raises(InternalError, match="token review failed"):
        m.write("login", role="api", jwt=sa_token(cluster, rsa_other))
    m.write(
        "config",
        kubernetes_host=https_server.url,
        token_reviewer_jwt=REVIEWER_JWT,
        kubernetes_ca_cert=tls.ca_pem,
    )
    resp = m.write("login", role="api", jwt=sa_token(cluster, rsa_other))
    assert resp is not None and resp.auth is not None
    assert resp.auth.metadata["service_account_name"] == "api"
