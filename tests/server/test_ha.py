"""High availability on the machine's PostgreSQL: three nodes, one active; standbys answer
health with 429, name the leader and pass requests on; kill -9 of the active node during a
storm of writes loses no acknowledged write and a standby takes over; step-down hands over."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import hvac.exceptions
import psycopg
import pytest
import requests
from psycopg import sql

from tests.support.servers import ServerProcess, free_port, start_server

WAIT = 60.0  # generous: the machine is shared; the benchmark measures, the test only waits


def _node(tmp_path: Path, options: dict[str, str], name: str, extra: str = "") -> ServerProcess:
    port = free_port()
    config = tmp_path / f"{name}.hcl"
    config.write_text(
        'storage "postgresql" {\n'
        f'  connection_url = "{options["connection_url"]}"\n'
        f'  table = "{options["table"]}"\n'
        '  ha_enabled = "true"\n'
        f'  ha_table = "{options["table"]}_ha"\n'
        "}\n"
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        f'api_addr = "http://127.0.0.1:{port}"\n' + extra
    )
    return start_server(["--config", str(config)], tmp_path / f"{name}.log", port)


def _health(node: ServerProcess, **params: str) -> int:
    try:
        return requests.get(f"{node.url}/v1/sys/health", params=params, timeout=5).status_code
    except requests.RequestException:
        return -1


def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _active(nodes: list[ServerProcess]) -> ServerProcess:
    found: list[ServerProcess] = []

    def one_active() -> bool:
        found[:] = [n for n in nodes if n.process.poll() is None and _health(n) == 200]
        return len(found) == 1

    _wait_for(one_active, "exactly one active node")
    return found[0]


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_storage_options: dict[str, str], pg_admin: psycopg.Connection
) -> Iterator[tuple[list[ServerProcess], list[str], str]]:
    nodes = [_node(tmp_path, postgres_storage_options, f"node{i}") for i in range(3)]
    first = nodes[0].client("")
    init = first.sys.initialize(secret_shares=3, secret_threshold=2)
    keys, root = list(init["keys"]), init["root_token"]
    for node in nodes:
        node.root_token = root
        node.client("").sys.submit_unseal_keys(keys[:2])
    yield nodes, keys, root
    for node in nodes:
        node.stop(signal.SIGKILL)
    ha_table = sql.Identifier(f"{postgres_storage_options['table']}_ha")
    pg_admin.execute(sql.SQL("DROP TABLE IF EXISTS {0}").format(ha_table))


def test_standbys_name_the_leader_and_pass_requests_on(
    cluster: tuple[list[ServerProcess], list[str], str],
) -> None:
    nodes, _, _ = cluster
    active = _active(nodes)
    standbys = [n for n in nodes if n is not active]
    for standby in standbys:
        assert _health(standby) == 429
        assert _health(standby, standbyok="true") == 200
        leader = requests.get(f"{standby.url}/v1/sys/leader", timeout=5).json()
        assert leader["ha_enabled"] is True and leader["is_self"] is False
        assert leader["leader_address"] == active.url
    assert requests.get(f"{active.url}/v1/sys/leader", timeout=5).json()["is_self"] is True

    through_standby = standbys[0].client()
    through_standby.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    through_standby.secrets.kv.v2.create_or_update_secret("app", {"v": "1"}, mount_point="kv")
    read = (
        standbys[1]
        .client()
        .secrets.kv.v2.read_secret_version("app", mount_point="kv", raise_on_deleted_version=True)
    )
    assert read["data"]["data"] == {"v": "1"}


def test_kill_9_of_the_active_node_loses_no_acknowledged_write(
    cluster: tuple[list[ServerProcess], list[str], str],
) -> None:
    nodes, _, _ = cluster
    active = _active(nodes)
    entry = next(n for n in nodes if n is not active)  # clients point at a standby
    entry.client().sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    acknowledged: list[int] = []
    stop = threading.Event()

    def storm() -> None:
        client = entry.client()
        number = 0
        while not stop.is_set():
            try:
                client.secrets.kv.v2.create_or_update_secret(
                    f"w{number}", {"n": str(number)}, mount_point="kv"
                )
                acknowledged.append(number)
                number += 1
            except (hvac.exceptions.VaultError, requests.RequestException):
                time.sleep(0.05)  # failing over: try the same write again

    writer = threading.Thread(target=storm)
    writer.start()
    _wait_for(lambda: len(acknowledged) >= 20, "writes before the kill")
    active.stop(signal.SIGKILL)
    before = len(acknowledged)
    _wait_for(lambda: len(acknowledged) >= before + 20, "writes after the kill")
    stop.set()
    writer.join()

    survivors = [n for n in nodes if n is not active]
    new_active = _active(survivors)
    reader = new_active.client()
    for number in acknowledged:
        value = reader.secrets.kv.v2.read_secret_version(
            f"w{number}", mount_point="kv", raise_on_deleted_version=True
        )
        assert value["data"]["data"] == {"n": str(number)}


def test_step_down_hands_over_again_and_again(
    cluster: tuple[list[ServerProcess], list[str], str],
) -> None:
    """Each node steps down once; the third hand-over needs a node that stepped down before
    to contend again."""
    nodes, _, _ = cluster
    for _ in range(3):
        active = _active(nodes)
        active.client().sys.step_down()
        _wait_for(
            lambda a=active: any(_health(n) == 200 for n in nodes if n is not a),
            "another node to become active",
        )
