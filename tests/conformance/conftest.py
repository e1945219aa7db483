"""The two servers every differential scenario runs against, once per session."""

from __future__ import annotations

import pytest

from tests.conformance.harness import Target
from tests.support.openbao import OpenBao
from tests.support.servers import ServerProcess


@pytest.fixture(scope="session")
def sealkeep(dev_server: ServerProcess, openbao: OpenBao) -> Target:
    """The Sealkeep dev server, driven by the same `bao` CLI as OpenBao."""
    return Target("sealkeep", dev_server.url, dev_server.root_token, openbao.binary)


@pytest.fixture(scope="session")
def bao(openbao: OpenBao) -> Target:
    """The real OpenBao dev server (the oracle)."""
    return Target("openbao", openbao.url, openbao.root_token, openbao.binary)
