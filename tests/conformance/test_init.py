"""A real (non-dev) init on both servers: no `secret/` until the operator enables it, and
sealing a sealed server is a no-op."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conformance.harness import Observation, Target, assert_same, observe, observe_cli
from tests.support.openbao import OpenBao
from tests.support.servers import free_port, start_sqlite_server


def _start_bao(workdir: Path, binary: str) -> tuple[subprocess.Popen[bytes], str]:
    """`bao server` with in-memory storage, uninitialised and sealed."""
    port = free_port()
    config = workdir / "bao.hcl"
    config.write_text(
        f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
        "  tls_disable = true\n}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    with (workdir / "bao.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, "server", f"-config={config}"], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/v1/sys/health", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("bao did not start")


def _operator_init(t: Target) -> Target:
    """`bao operator init` and `bao operator unseal`, as an operator bootstraps a server."""
    init = t.cli("operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json", token="")
    assert init.exit_code == 0, "operator init failed"
    answer = init.json()
    unsealed = t.cli("operator", "unseal", answer["unseal_keys_b64"][0], token="")
    assert unsealed.exit_code == 0, "operator unseal failed"
    return Target(t.name, t.url, answer["root_token"], t.bao)


@pytest.fixture(scope="module")
def initialised(
    tmp_path_factory: pytest.TempPathFactory, openbao: OpenBao
) -> Iterator[tuple[Target, Target]]:
    """A Sealkeep (SQLite) and an OpenBao (inmem) server, each initialised with the CLI."""
    ours = start_sqlite_server(tmp_path_factory.mktemp("sealkeep-init"))
    process, url = _start_bao(tmp_path_factory.mktemp("openbao-init"), openbao.binary)
    try:
        yield (
            _operator_init(Target("sealkeep", ours.url, "", openbao.binary)),
            _operator_init(Target("openbao", url, "", openbao.binary)),
        )
    finally:
        ours.stop()
        process.terminate()
        process.wait(timeout=15)


def test_after_init_secret_kv_v2_can_be_enabled(initialised: tuple[Target, Target]) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        listed = t.http("GET", "sys/mounts")
        secret_engines = sorted(listed.json()["data"])
        enabled = t.cli("secrets", "enable", "-path=secret", "kv-v2")
        put = t.cli("kv", "put", "secret/first", "v=1")
        return {
            "mounts": Observation(listed.status_code, None, {"paths": secret_engines}),
            "enable": observe_cli(enabled),
            "kv-put": observe_cli(put),
        }

    assert_same("non-dev-init", scenario, *initialised)


def test_seal_twice(initialised: tuple[Target, Target]) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        first = t.http("PUT", "sys/seal")
        second = t.http("PUT", "sys/seal")
        anonymous = t.http("PUT", "sys/seal", token="")
        status = t.http("GET", "sys/seal-status")
        return {
            "seal": observe(first),
            "seal-again": observe(second),
            "seal-again-no-token": observe(anonymous),
            "status": Observation(status.status_code, None, {"sealed": status.json()["sealed"]}),
        }

    assert_same("seal-twice", scenario, *initialised)
