"""The reconciler's targets for end-to-end tests: Sealkeep's own server and a real OpenBao.

OpenBao comes two ways: stock (it refuses audit devices created through the API) and with
the example's audit device declared in its config file, as an OpenBao operator would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hvac

from tests.support.openbao import bao_binary, start_openbao
from tests.support.servers import start_dev_server

TARGETS = ("sealkeep", "openbao", "openbao-audit-config")
AUDIT_DESCRIPTION = "every request and response, sensitive fields HMAC-ed"


@dataclass
class Target:
    """A running server the reconciler manages: where, the root token, its audit log path."""

    name: str
    url: str
    root_token: str
    audit_log: Path
    stop: Callable[[], object]

    @property
    def is_openbao(self) -> bool:
        """Whether this is a real OpenBao."""
        return self.name.startswith("openbao")

    def client(self, token: str | None = None) -> hvac.Client:
        """A real hvac client (root unless told otherwise)."""
        return hvac.Client(url=self.url, token=self.root_token if token is None else token)

    def bao(self, *args: str, token: str | None = None) -> str:
        """Run the real `bao` CLI against this server (any Vault-API server); its stdout."""
        env = {
            "VAULT_ADDR": self.url,
            "VAULT_TOKEN": self.root_token if token is None else token,
            "HOME": str(self.audit_log.parent),
            "PATH": "/usr/bin:/bin",
        }
        done = subprocess.run(
            [bao_binary(), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def audit_config(log: Path) -> str:
    """OpenBao's config declaring the example's audit device (`file` at `log`)."""
    return (
        'audit "file" "file" {\n'
        f'  description = "{AUDIT_DESCRIPTION}"\n'
        f'  options {{\n    file_path = "{log}"\n    mode = "0600"\n  }}\n'
        "}\n"
    )


def start_target(name: str, workdir: Path) -> Target:
    """Start the named target (one of TARGETS) in `workdir`."""
    log = workdir / "audit.log"
    if name == "sealkeep":
        server = start_dev_server(workdir)
        return Target(name, server.url, server.root_token, log, server.stop)
    config = audit_config(log) if name == "openbao-audit-config" else None
    bao = start_openbao(workdir / "bao", config_text=config)
    return Target(name, bao.url, bao.root_token, log, bao.stop)
