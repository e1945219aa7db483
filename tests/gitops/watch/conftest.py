"""Fixtures for watch tests: a basic repo, and a Watcher running on a thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.gitops.watch import Watcher, WatchOptions, WatchReport
from tests.gitops.plan.repo import Repo, basic_repo
from tests.support.servers import ServerProcess


@dataclass
class Running:
    """A Watcher on a thread; its reports arrive on `reports`."""

    watcher: Watcher
    stop: threading.Event
    thread: threading.Thread
    reports: queue.Queue[WatchReport] = field(default_factory=queue.Queue)

    def next(self, timeout: float = 15.0) -> WatchReport:
        """The next report (fails the test after `timeout` seconds)."""
        try:
            return self.reports.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no watch report within {timeout}s")

    def quiet(self, seconds: float) -> None:
        """Assert no report arrives for `seconds`."""
        time.sleep(seconds)
        assert self.reports.empty(), self.reports.get()


class Launcher:
    """Start Watchers on the repo; every one is stopped when the test ends."""

    def __init__(self, repo: Repo, server: ServerProcess, unique: str) -> None:
        self.repo = repo
        self.server = server
        self.unique = unique
        self.started: list[Running] = []

    def options(self, **overrides: Any) -> WatchOptions:
        """Options for the repo against the dev server, with a short debounce."""
        base: dict[str, Any] = {
            "root": self.repo.root,
            "debounce": 0.2,
            "state_mount": f"{self.unique}-state",
            "identities": self.repo.identities,
            "environ": {"VAULT_ADDR": self.server.url, "VAULT_TOKEN": self.server.root_token},
            "lock_timeout": 5.0,
        }
        base.update(overrides)
        return WatchOptions(**base)

    def start(self, **overrides: Any) -> Running:
        """A running Watcher; its first report (the initial plan) is queued for the test."""
        watcher = Watcher(self.options(**overrides))
        stop = threading.Event()
        holder: queue.Queue[WatchReport] = queue.Queue()
        thread = threading.Thread(target=watcher.run, args=(stop, holder.put), daemon=True)
        running = Running(watcher, stop, thread, holder)
        self.started.append(running)
        thread.start()
        return running

    def stop_all(self) -> None:
        """Stop every watcher and wait for its thread."""
        for running in self.started:
            running.stop.set()
            running.thread.join(timeout=10)
            assert not running.thread.is_alive(), "the watcher did not stop"


@pytest.fixture
def repo(tmp_path: Path, unique: str) -> Repo:
    """The basic repo (mount, auth method, policy, AppRole, Secret), not in Git."""
    return basic_repo(tmp_path / "repo", unique)


@pytest.fixture
def launcher(repo: Repo, dev_server: ServerProcess, unique: str) -> Iterator[Launcher]:
    """Start watchers; all are stopped at the end of the test."""
    found = Launcher(repo, dev_server, unique)
    yield found
    found.stop_all()
