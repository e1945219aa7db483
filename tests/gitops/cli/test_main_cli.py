"""The `sealkeep` command as a whole: a fast start, help on every option, completion, colour,
and one way of showing every error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import hvac
import pytest
from click.testing import CliRunner

from reconciler.cli.main import COMMANDS, cli, load_command
from reconciler.cli.plan import render
from reconciler.gitops.plan.planfile import load_plan
from tests.gitops.cli.store_cli import run
from tests.support.servers import REPO_ROOT, ServerProcess

# What `sealkeep --version` must not import: each costs tens to hundreds of milliseconds.
HEAVY = (
    "hvac", "requests", "urllib3", "git", "starlette", "uvicorn", "jsonschema", "yaml",
    "ruamel", "rich", "reconciler.store", "reconciler.server", "reconciler.client",
    "reconciler.gitops", "reconciler.demo",
)  # fmt: skip
COMMAND_MODULES = frozenset(entry.module for entry in COMMANDS.values())
GOLDEN_PLAN = REPO_ROOT / "tests" / "gitops" / "plan" / "golden" / "plan.json"
SEALKEEP = Path(sys.executable).with_name("sealkeep")

_LOADED_AFTER = """
import json, runpy, sys
sys.argv = ["sealkeep", *sys.argv[1:]]
try:
    runpy.run_module("reconciler.cli.main", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))  # after output that may lack a newline
"""


def _loaded_after(*args: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Run `sealkeep ARGS` in a fresh interpreter; its output and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_AFTER, *args], env={**os.environ, **(env or {})},
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=60, check=True,
    )  # fmt: skip
    output, _, modules = done.stdout.rstrip("\n").rpartition("\n")
    return output.rstrip("\n"), json.loads(modules)


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_version_imports_no_heavy_module() -> None:
    output, modules = _loaded_after("--version")
    assert output == "sealkeep, version 0.1.0"
    assert _heavy(modules) == []
    assert "importlib.metadata" not in modules


def test_help_lists_every_command_importing_none() -> None:
    output, modules = _loaded_after("--help")
    for name in COMMANDS:
        assert f"\n  {name} " in output
    assert sorted(COMMAND_MODULES & set(modules)) == []
    assert _heavy(modules) == []


def test_a_plain_kv_get_needs_no_hvac(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    vault.secrets.kv.v2.create_or_update_secret(f"{unique}/db", {"user": "app"})
    env = {"VAULT_ADDR": dev_server.url, "VAULT_TOKEN": dev_server.root_token}
    output, modules = _loaded_after("kv", "get", "-field", "user", f"secret/{unique}/db", env=env)
    assert output == "app"
    assert [m for m in modules if m.split(".")[0] in ("hvac", "requests", "urllib3")] == []
    _, modules = _loaded_after("kv", "get", f"secret/{unique}/none", env=env)
    assert "hvac" in modules  # anything but a plain read: the full client, with its errors


def test_the_command_table_matches_the_commands() -> None:
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert command.name == name, entry
        assert entry.help.endswith(".") and len(entry.help) <= 60, entry


def _walk(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, f"{path} {name}")


def test_every_option_of_every_command_has_help() -> None:
    commands = [("sealkeep", cli)]
    for name in COMMANDS:
        commands += list(_walk(load_command(name), f"sealkeep {name}"))
    assert len(commands) > 60
    missing = [
        f"{path} {param.opts[-1]}"
        for path, command in commands
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert missing == []


def _complete(words: str) -> list[str]:
    env = {**os.environ, "_SEALKEEP_COMPLETE": "bash_complete", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    done = subprocess.run(
        [str(SEALKEEP)], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_shell_completion_as_the_readme_says() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "_SEALKEEP_COMPLETE=bash_source sealkeep" in readme
    script = subprocess.run(
        [str(SEALKEEP)], env={**os.environ, "_SEALKEEP_COMPLETE": "bash_source"},
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "complete -o nosort -F _sealkeep_completion sealkeep" in script
    assert _complete("sealkeep pl") == ["plan"]
    assert _complete("sealkeep kv g") == ["get"]
    assert "--out" in _complete("sealkeep plan --o")


def test_library_errors_are_shown_one_way(tmp_path: Path) -> None:
    unknown_rule = run(["lint", str(tmp_path), "--only", "SK999"])
    assert unknown_rule.code == 1
    assert unknown_rule.stderr.startswith("Error: ") and "SK999" in unknown_rule.stderr
    not_git = run(["merge-driver", "install", str(tmp_path)])
    assert not_git.code == 1 and not_git.stderr.startswith("Error: ")
    for outcome in (unknown_rule, not_git):
        assert "error:" not in outcome.stderr and "Traceback" not in outcome.stderr


def test_colour_only_on_a_terminal_and_never_under_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = load_plan(GOLDEN_PLAN)
    controller, terminal = os.openpty()
    try:
        with open(terminal, "w", encoding="utf-8", closefd=False) as tty:
            monkeypatch.setattr(sys, "stdout", tty)
            monkeypatch.delenv("NO_COLOR", raising=False)
            coloured = render(plan, "text")
            monkeypatch.setenv("NO_COLOR", "1")
            plain = render(plan, "text")
    finally:
        os.close(controller)
        os.close(terminal)
    assert "\x1b[" in coloured
    assert "\x1b[" not in plain and click.unstyle(coloured) == plain


def test_no_color_option_reaches_every_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")  # restored after the test: the option sets it
    result = CliRunner().invoke(cli, ["--no-color", "--help"], color=True)
    assert result.exit_code == 0
    assert os.environ["NO_COLOR"] == "1"
