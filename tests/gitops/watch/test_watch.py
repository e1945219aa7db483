"""Watch a real working tree with real watchdog events against the dev server."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import hvac

from reconciler.gitops.watch import Debouncer, Watcher, is_editor_temp, is_relevant
from reconciler.gitops.watch.render import render_report
from tests.gitops.plan.repo import Repo, manifest
from tests.gitops.watch.conftest import Launcher
from tests.support.servers import REPO_ROOT, ServerProcess


def _policy(repo: Repo, u: str, path: str) -> None:
    rules = [{"path": path, "capabilities": ["read"]}]
    repo.write("policy.yaml", manifest("Policy", f"{u}-api", {"rules": rules}))


def test_editor_temp_files_and_git_are_ignored(tmp_path: Path) -> None:
    root = tmp_path
    assert is_relevant(str(root / "manifests" / "policy.yaml"), root)
    assert is_relevant(str(root / "sealkeep.yaml"), root)
    assert is_relevant(str(root / "manifests"), root, is_directory=True)
    for name in (".policy.yaml.swp", "policy.yaml~", ".#policy.yaml", "4913", "#policy.yaml#"):
        assert is_editor_temp(name) and not is_relevant(str(root / name), root), name
    assert not is_relevant(str(root / ".git" / "index.yaml"), root)
    assert not is_relevant(str(root / "README.md"), root)
    assert not is_relevant(str(tmp_path.parent / "elsewhere.yaml"), root)


def test_debouncer_turns_a_burst_into_one_wake_up() -> None:
    debouncer = Debouncer(0.15)
    stop = threading.Event()

    def burst() -> None:
        for index in range(5):
            debouncer.touch(f"file-{index % 2}.yaml")
            time.sleep(0.05)

    thread = threading.Thread(target=burst)
    started = time.monotonic()
    thread.start()
    assert debouncer.wait_quiet(stop) == ["file-0.yaml", "file-1.yaml"]
    assert time.monotonic() - started >= 0.35
    thread.join()
    stop.set()
    assert debouncer.wait_quiet(stop) is None


def test_an_edit_gives_one_replan_showing_the_new_change(launcher: Launcher, repo: Repo) -> None:
    u = launcher.unique
    running = launcher.start()
    first = running.next()
    assert first.paths == () and len(first.delta.new_changes) == 5
    assert "Plan: 5 to add" in render_report(first)

    _policy(repo, u, f"{u}-kv/data/other/*")
    (repo.root / "manifests" / ".policy.yaml.swp").write_text("editor state")
    _policy(repo, u, f"{u}-kv/data/web/*")
    second = running.next()
    running.quiet(0.8)
    assert second.paths == ("manifests/policy.yaml",)
    (altered,) = second.delta.altered_changes
    assert altered[0].startswith(f"+ Policy/{u}-api") and f"{u}-kv/data/web/*" in "".join(altered)
    assert not second.delta.new_changes and not second.delta.new_problems
    text = render_report(second)
    assert "Changed since the last plan:" in text and "Plan: 5 to add" in text


def test_a_yaml_error_appears_then_disappears(launcher: Launcher, repo: Repo) -> None:
    running = launcher.start()
    running.next()
    broken = repo.root / "manifests" / "broken.yaml"
    broken.write_text("kind: [unclosed\n")
    appeared = running.next()
    assert appeared.paths == ("manifests/broken.yaml",)
    assert any("manifests/broken.yaml" in p for p in appeared.delta.new_problems)
    assert not appeared.delta.dropped_changes, "changes are not known while the repo is broken"
    assert "New problems:" in render_report(appeared)

    broken.unlink()
    gone = running.next()
    assert any("manifests/broken.yaml" in p for p in gone.delta.fixed_problems)
    assert not gone.delta.new_problems and not gone.delta.altered_changes
    assert "Fixed problems:" in render_report(gone)


def test_apply_converges_the_store_on_every_change(
    launcher: Launcher, repo: Repo, vault: hvac.Client
) -> None:
    u = launcher.unique
    running = launcher.start(apply=True)
    first = running.next()
    assert first.applied is not None and first.applied.ok and len(first.applied.applied) == 5
    assert vault.read(f"{u}-kv/data/api/config")["data"]["data"]["password"] == f"hunter2-{u}"

    repo.secret(f"{u}-api", f"{u}-kv", "api/config", {"password": "rotated-" + u, "port": 5432})
    second = running.next()
    assert second.applied is not None and second.applied.ok
    (altered,) = second.delta.altered_changes + second.delta.new_changes
    assert altered[0].startswith(f"~ Secret/{u}-api")
    assert vault.read(f"{u}-kv/data/api/config")["data"]["data"]["password"] == f"rotated-{u}"
    text = render_report(second)
    assert "Applied 1 change(s)" in text and f"rotated-{u}" not in text
    running.quiet(0.6)


def test_apply_refuses_a_store_on_another_machine(launcher: Launcher) -> None:
    env = {"VAULT_ADDR": "http://192.0.2.10:8200", "VAULT_TOKEN": "unused"}
    report = Watcher(launcher.options(apply=True, environ=env)).cycle()
    assert any("development store" in p for p in report.delta.new_problems)
    assert report.applied is None


def test_the_command_reports_changes_and_stops_on_sigterm(
    repo: Repo, dev_server: ServerProcess, unique: str
) -> None:
    env = {**os.environ, "VAULT_ADDR": dev_server.url, "VAULT_TOKEN": dev_server.root_token,
           "SOPS_AGE_KEY": repo.key.identity, "SEALKEEP_STATE_MOUNT": f"{unique}-state",
           "PYTHONUNBUFFERED": "1"}  # fmt: skip
    code = "from reconciler.cli.watch import watch; watch()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(repo.root), "--debounce", "200ms"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    output = _lines(process.stdout)
    try:
        lines = _read_until(output, "Plan: 5 to add")
        assert any("initial plan" in line for line in lines)
        _policy(repo, unique, f"{unique}-kv/data/cli/*")
        lines = _read_until(output, "Plan: 5 to add")
        assert any("changed: manifests/policy.yaml" in line for line in lines), lines
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert process.stderr is not None
        err = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Stopped watching." in err


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines, read on a thread so a test can wait for them with a timeout."""
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def _read_until(lines: queue.Queue[str], marker: str, timeout: float = 20.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"no {marker!r} within {timeout}s: {seen}")
