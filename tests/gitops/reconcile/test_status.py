"""Backoff while failing, /healthz and /status over real HTTP, and recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from reconciler.gitops.reconcile import Backoff, Reconciler, RunOutcome, RunResult, StatusServer
from tests.gitops.reconcile.conftest import Origin
from tests.support.servers import ServerProcess, free_port


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(interval=60, initial=1, maximum=5)
    assert [backoff.failure() for _ in range(5)] == [1, 2, 4, 5, 5]
    assert backoff.success() == 60 and backoff.failures == 0
    assert backoff.failure() == 1


def test_failing_target_backs_off_reports_503_then_recovers(
    origin: Origin, dev_server: ServerProcess
) -> None:
    origin.configure(f"http://127.0.0.1:{free_port()}")
    origin.commit("point at a store that is down")
    reconciler = Reconciler(origin.options(interval=0.1))
    seen: list[tuple[RunResult, Any]] = []

    def record(result: RunResult) -> None:
        seen.append((result, reconciler.board.status()["next_delay_seconds"]))

    stop = threading.Event()
    with StatusServer(reconciler.board, "127.0.0.1:0") as server:
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 503
        thread = threading.Thread(target=reconciler.run, args=(stop, record))
        thread.start()
        try:
            _wait(lambda: len(seen) >= 4, "four failed runs")
            health = requests.get(f"{server.url}/healthz", timeout=5)
            assert health.status_code == 503
            body = health.json()
            assert body["status"] == "failing" and body["consecutive_failures"] >= 4
            assert "cannot reach http://127.0.0.1:" in body["error"]  # names the address
            assert [delay for _, delay in seen[:4]] == [0.05, 0.1, 0.2, 0.2]

            origin.configure(dev_server.url)
            fixed = origin.commit("point at the dev store")
            _wait(lambda: requests.get(f"{server.url}/healthz", timeout=5).status_code == 200,
                  "recovery")  # fmt: skip
            status = requests.get(f"{server.url}/status", timeout=5)
        finally:
            stop.set()
            thread.join(timeout=20)
    assert not thread.is_alive()
    assert status.headers["Content-Type"] == "application/json"
    last = status.json()
    assert last["consecutive_failures"] == 0 and last["next_delay_seconds"] == 0.1
    assert last["last_run"]["commit"] == fixed
    assert last["last_run"]["outcome"] in ("applied", "in-sync")
    assert last["branch"] == "main" and last["next_run_at"]
    assert set(last["last_run"]["counts"]) >= {"add", "change", "destroy", "applied", "drifted"}


def test_status_endpoint_serves_json_and_404s(origin: Origin) -> None:
    reconciler = Reconciler(origin.options(max_runs=1))
    with StatusServer(reconciler.board, "127.0.0.1:0") as server:
        result = reconciler.run(threading.Event())
        assert result is not None and result.outcome is RunOutcome.APPLIED
        health = requests.get(f"{server.url}/healthz", timeout=5)
        status = requests.get(f"{server.url}/status", timeout=5).json()
        missing = requests.get(f"{server.url}/nope", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert status["last_run"]["outcome"] == "applied" and status["next_run_at"] is None
    assert status["last_run"]["counts"]["applied"] == 5
    assert missing.status_code == 404 and missing.json()["errors"]
