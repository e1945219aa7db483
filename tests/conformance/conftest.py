"""The two servers every differential scenario runs against, once per session."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.conformance.harness import EXPLAINED, Target
from tests.conformance.intended_differences import INTENDED
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


def _whole_suite_ran(session: pytest.Session) -> bool:
    """True when every test function of every conformance module was run."""
    here = Path(__file__).parent
    ran: dict[str, set[str]] = {}
    for item in session.items:
        path = Path(str(item.fspath))
        if path.parent == here:
            ran.setdefault(path.name, set()).add(item.name.split("[")[0])
    for module_path in here.glob("test_*.py"):
        module = next((i.module for i in session.items if Path(str(i.fspath)) == module_path), None)
        if module is None:
            return False
        names = {
            n for n, f in inspect.getmembers(module, inspect.isfunction) if n.startswith("test_")
        }
        if not names <= ran.get(module_path.name, set()):
            return False
    return True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a full, green run: fail when an intended difference no longer shows anywhere."""
    if exitstatus != 0 or not _whole_suite_ran(session):
        return
    stale = [i.pattern for i in INTENDED if i.pattern not in EXPLAINED]
    if stale:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "intended_differences.py lists differences no scenario shows any more "
                "(remove them): " + "; ".join(stale),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
