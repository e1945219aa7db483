"""Nothing acknowledged is lost: SIGKILL the server mid-stream, restart, unseal, check."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import hvac
import requests

from tests.support.servers import init_and_unseal, start_sqlite_server


def _write_until_killed(
    url: str, token: str, acknowledged: list[int], stop: threading.Event
) -> None:
    session = requests.Session()
    headers = {"X-Vault-Token": token}
    n = 0
    while not stop.is_set():
        try:
            resp = session.post(
                f"{url}/v1/secret/data/stream/{n}",
                json={"data": {"n": n}},
                headers=headers,
                timeout=5,
            )
        except requests.RequestException:
            return  # the server died mid-request: this write was never acknowledged
        if resp.status_code == 200:
            acknowledged.append(n)
        n += 1


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    keys = init_and_unseal(server)
    # As in Vault, only dev mode pre-mounts secret/.
    server.client().sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    token = server.root_token
    acknowledged: list[int] = []
    stop = threading.Event()
    writer = threading.Thread(
        target=_write_until_killed, args=(server.url, token, acknowledged, stop)
    )
    writer.start()
    deadline = threading.Event()
    while len(acknowledged) < 150 and not deadline.wait(0.02):
        pass
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    writer.join(timeout=10)
    assert len(acknowledged) >= 150

    again = start_sqlite_server(tmp_path)
    try:
        again.client("").sys.submit_unseal_keys(keys[:2])
        client = again.client(token)
        for n in acknowledged:
            read = client.secrets.kv.v2.read_secret_version(
                f"stream/{n}", raise_on_deleted_version=True
            )
            assert read["data"]["data"] == {"n": n}
            assert read["data"]["metadata"]["version"] == 1
        listed = client.secrets.kv.v2.list_secrets("stream")["data"]["keys"]
        assert set(map(str, acknowledged)) <= set(listed)
        assert len(listed) - len(acknowledged) <= 1, (
            "at most the one in-flight write may also exist"
        )
        client.secrets.kv.v2.create_or_update_secret("stream/after-restart", secret={"ok": "yes"})
    finally:
        again.stop()


def test_graceful_shutdown_on_sigterm(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    init_and_unseal(server)
    server.client().sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    server.client().secrets.kv.v2.create_or_update_secret("graceful", secret={"v": "1"})
    assert server.stop(signal.SIGTERM) == 0
    again = start_sqlite_server(tmp_path)
    try:
        assert again.client("").sys.is_sealed() is True
        assert isinstance(again.client(""), hvac.Client)
    finally:
        again.stop()
