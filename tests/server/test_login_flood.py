"""A flood of wrong userpass passwords (no token) does not hold up authorised reads.

Each wrong password costs an argon2id verification. Those run on the work pool, off the
request lock, so a KV read is answered while logins are still in flight. Before, every read
queued behind the hashes (one read per handful of logins answered); the check is a loose
ratio of answers in the same window, not a timing threshold.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.servers import ServerProcess, start_dev_server

FLOODERS = 8
READS = 40


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A dev server of its own: the flood must not slow the shared one."""
    process = start_dev_server(tmp_path)
    yield process
    process.stop()


def _flood(url: str, stop: threading.Event, counts: dict[str, int], lock: threading.Lock) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            with lock:
                counts["in_flight"] += 1
            response = session.post(
                f"{url}/v1/auth/userpass/login/alice", json={"password": "wrong"}, timeout=60
            )
            with lock:
                counts["in_flight"] -= 1
                counts["answered"] += 1
            assert response.status_code == 400


def test_reads_are_answered_while_wrong_password_logins_are_in_flight(
    server: ServerProcess,
) -> None:
    root = server.client()
    root.sys.enable_auth_method("userpass")
    root.auth.userpass.create_or_update_user("alice", password="right-password")
    # User lock-out would answer alice's wrong passwords 403 after five, with no hash at all;
    # this test is about the hashes, so lock-out is off on this mount.
    root.sys.tune_auth_method("userpass", user_lockout_config={"lockout_disable": True})
    root.secrets.kv.v2.create_or_update_secret("flood/app", secret={"k": "v"})
    root.sys.create_or_update_policy(
        "flood", 'path "secret/data/flood/*" { capabilities = ["read"] }'
    )
    reader = server.client(root.auth.token.create(policies=["flood"])["auth"]["client_token"])

    stop, lock = threading.Event(), threading.Lock()
    counts = {"in_flight": 0, "answered": 0}
    threads = [
        threading.Thread(target=_flood, args=(server.url, stop, counts, lock))
        for _ in range(FLOODERS)
    ]
    for thread in threads:
        thread.start()
    try:
        while counts["answered"] < 2 or counts["in_flight"] < FLOODERS // 2:  # under way
            threading.Event().wait(0.05)
        with lock:
            answered_before = counts["answered"]
        reads_during_logins = 0
        for _ in range(READS):
            secret = reader.secrets.kv.v2.read_secret_version(
                "flood/app", raise_on_deleted_version=True
            )
            assert secret["data"]["data"] == {"k": "v"}
            with lock:
                reads_during_logins += counts["in_flight"] > 0
        with lock:
            logins_meanwhile = counts["answered"] - answered_before
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert reads_during_logins > READS // 2
    # Reads no longer wait for hashes: more reads than logins are answered in one window
    # (when they queued behind them, about one read per eight logins was).
    assert logins_meanwhile <= READS, (READS, logins_meanwhile)
