"""Start real `sealkeep server` processes on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import hvac
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


STARTED: list[ServerProcess] = []
"""Every server started by `start_server`; tests/conftest.py stops a test's own at its end."""


def stop_servers_under(folder: Path) -> None:
    """Kill the servers whose log lives under `folder` (a test's tmp_path) and still run."""
    for server in STARTED:
        log = server.log_path
        if log is not None and folder in log.parents and server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A running server: its address, root token (dev) and process handle."""

    url: str
    process: subprocess.Popen[bytes]
    root_token: str = ""
    log_path: Path | None = None
    args: list[str] = field(default_factory=list)

    def client(self, token: str | None = None) -> hvac.Client:
        """A real hvac client for this server (root token unless told otherwise)."""
        return hvac.Client(url=self.url, token=self.root_token if token is None else token)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the process and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def log(self) -> str:
        """What the server printed (for failure messages)."""
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, verify: str | bool
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            requests.get(f"{url}/v1/sys/health", timeout=1, verify=verify)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start in 30s:\n{log_path.read_text()}")


def start_server(
    args: list[str], log_path: Path, port: int, scheme: str = "http", verify: str | bool = True
) -> ServerProcess:
    """Run `python -m reconciler.cli.main server ARGS` and wait until it answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler.cli.main", "server", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=env,
        )
    url = f"{scheme}://127.0.0.1:{port}"
    server = ServerProcess(url=url, process=process, log_path=log_path, args=args)
    STARTED.append(server)  # so a test that fails half-way never leaves its servers running
    _wait_ready(url, process, log_path, verify)
    return server


def start_dev_server(tmp_dir: Path, root_token: str = "root-test-token") -> ServerProcess:
    """An in-memory, unsealed dev server."""
    port = free_port()
    args = ["--dev", "--dev-root-token-id", root_token, "--dev-listen-address", f"127.0.0.1:{port}"]
    server = start_server(args, tmp_dir / f"dev-{port}.log", port)
    server.root_token = root_token
    return server


def start_with_config(
    tmp_dir: Path, body: str, name: str = "server", port: int | None = None
) -> ServerProcess:
    """A server with the config `body` (storage, seal, ...) plus a plain-HTTP listener on
    `port` (a free one by default); the config and log are `<name>.hcl` and `<name>.log`."""
    port = port or free_port()
    config = tmp_dir / f"{name}.hcl"
    listener = f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
    config.write_text(body + listener)
    return start_server(["--config", str(config)], tmp_dir / f"{name}.log", port)


def refused_config(config: Path) -> str:
    """Start `sealkeep server --config CONFIG`, expect it to refuse the file (exit 1, a
    message, no traceback) and return what it printed on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "reconciler.cli.main", "server", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def write_sqlite_config(tmp_dir: Path, port: int, db_path: Path) -> Path:
    """An HCL config for a SQLite-backed server on `port`."""
    config = tmp_dir / "server.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{db_path}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
    )
    return config


def start_sqlite_server(tmp_dir: Path, db_path: Path | None = None) -> ServerProcess:
    """A sealed server on a SQLite file (initialise and unseal it yourself)."""
    port = free_port()
    db = db_path or tmp_dir / "store.db"
    config = write_sqlite_config(tmp_dir, port, db)
    return start_server(["--config", str(config)], tmp_dir / f"sqlite-{port}.log", port)


def init_and_unseal(server: ServerProcess, shares: int = 3, threshold: int = 2) -> list[str]:
    """Initialise, unseal with the first `threshold` keys, and set the root token."""
    client = server.client("")
    result = client.sys.initialize(secret_shares=shares, secret_threshold=threshold)
    keys = list(result["keys"])
    server.root_token = result["root_token"]
    client.sys.submit_unseal_keys(keys[:threshold])
    return keys
