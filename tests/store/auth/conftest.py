"""Fixtures for auth-method tests: signing keys (made once) and loopback servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.auth.support import LoopbackServer, SigningKey, ec_key, loopback_server, rsa_key


@pytest.fixture(scope="session")
def rsa_signer() -> SigningKey:
    """The trusted RSA key."""
    return rsa_key("rsa-1")


@pytest.fixture(scope="session")
def rsa_other() -> SigningKey:
    """An RSA key nobody trusts (same kid as the trusted one, to fake its signature)."""
    return rsa_key("rsa-1")


@pytest.fixture(scope="session")
def rsa_rotated() -> SigningKey:
    """The key the issuer rotates to."""
    return rsa_key("rsa-2")


@pytest.fixture(scope="session")
def ec_signer() -> SigningKey:
    """A trusted P-256 key."""
    return ec_key("ec-1")


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server the test programs route by route."""
    with loopback_server() as server:
        yield server
