"""The README's own shell blocks, run with bash as a new user would run them (issue 13).

The blocks are read from README.md at test time (never copied here). Every `sh` block runs
unless an HTML comment `<!-- test: skip (why) -->` stands right before it; the sections of
the two flows must have no skipped block. A dev server of the test's own stands in for
`sealkeep server --dev` (its free port replaces the README's 127.0.0.1:8200), and each
section runs in one bash with a fresh HOME, a git config holding only an identity (so no
`init.defaultBranch`), and no EDITOR. An ERR trap records every command that exits non-zero,
so the test names exactly the commands that failed, and checks that the only ones are those
the README says fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import REPO_ROOT, ServerProcess, start_dev_server

README = REPO_ROOT / "README.md"
README_ADDR = "http://127.0.0.1:8200"
APPROLE = "Let an application in (AppRole), and see it audited"
GITOPS = "From clone to a reviewed, applied pull request"
DELIVER = "Deliver secrets to an application"
SKIP = re.compile(r"<!--\s*test:\s*skip\b.*-->")
FENCE = re.compile(r"^```(\S*)\s*$")
# The commands the README itself says exit non-zero, and the code each must exit with
# (None: any non-zero code).
EXPECTED_FAILURES: dict[str, list[tuple[str, int | None]]] = {
    APPROLE: [("sealkeep kv get secret/search/db", None)],
    GITOPS: [
        (
            "sealkeep plan --ref payments-db --format json --out plan.json --detailed-exitcode",
            2,
        )
    ],
}


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README: its section (the `## ` heading), language,
    text, first line number, and why it is skipped (None when it runs)."""

    section: str
    lang: str
    text: str
    line: int
    skip: str | None


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, in order, with its section and skip marker."""
    blocks: list[Block] = []
    section, previous, lines = "", "", text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if line.startswith("## "):
            section = line[3:].strip()
        elif fence:
            end = index + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            marker = SKIP.search(previous)
            body = "\n".join(lines[index + 1 : end]) + "\n"
            blocks.append(Block(section, fence[1], body, index + 1, marker[0] if marker else None))
            index = end
        if line.strip():
            previous = line
        index += 1
    return blocks


def runnable(blocks: list[Block]) -> dict[str, list[Block]]:
    """The shell blocks that run, grouped by section in README order."""
    sections: dict[str, list[Block]] = {}
    for block in blocks:
        if block.lang in ("sh", "bash", "shell") and block.skip is None:
            sections.setdefault(block.section, []).append(block)
    return sections


@dataclass(frozen=True)
class SectionRun:
    """What bash did with one section: its output and each failed command with its code."""

    stdout: str
    stderr: str
    failures: list[tuple[str, int]]


def new_user_env(home: Path) -> dict[str, str]:
    """The environment of a new user: a fresh HOME, stock git, no EDITOR, no VAULT_*.

    Only the venv's bin folder (for `sealkeep` and `python`) is put before the system PATH;
    PYTHONPATH passes through so a clone can be tested with this venv.
    """
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "sealkeep").exists(), f"no `sealkeep` in {bin_dir}: pip install -e '.[test]'"
    home.mkdir(parents=True, exist_ok=True)
    # A new user has an identity (git refuses to commit without one) and nothing else.
    (home / ".gitconfig").write_text(
        "[user]\n\tname = New User\n\temail = new.user@example.test\n", encoding="utf-8"
    )
    env = {
        "HOME": str(home),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",  # the machine's /etc/gitconfig is not a new user's
    }
    pythonpath = os.environ.get("PYTHONPATH")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def run_section(blocks: list[Block], url: str, cwd: Path, env: dict[str, str]) -> SectionRun:
    """Run a section's blocks in one bash, recording every command that exits non-zero."""
    failures_file = cwd / ".readme-failures"
    failures_file.unlink(missing_ok=True)
    prelude = (
        "set -o pipefail\n"
        # NUL-separated: a command continued over lines holds newlines.
        f'trap \'printf "%s\\t%s\\0" "$?" "$BASH_COMMAND" >> {failures_file}\' ERR\n'
    )
    script = prelude + "".join(b.text.replace(README_ADDR, url) for b in blocks)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    failures = []
    if failures_file.exists():
        for record in failures_file.read_text(encoding="utf-8").split("\0")[:-1]:
            code, command = record.split("\t", 1)
            failures.append((" ".join(command.replace("\\\n", " ").split()), int(code)))
    return SectionRun(done.stdout, done.stderr, failures)


def _unexpected(section: str, run: SectionRun) -> list[str]:
    expected = EXPECTED_FAILURES.get(section, [])
    got = [(command, code) for command, code in run.failures]
    wanted = [command for command, _ in expected]
    problems: list[str] = []
    if [command for command, _ in got] != wanted:
        return [f"failed commands {got}, expected only {wanted}"]
    for (command, code), (_, want) in zip(got, expected, strict=False):
        if want is not None and code != want:
            problems.append(f"{command!r} exited {code}, the README says {want}")
    return problems


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`sealkeep server --dev --dev-root-token-id root`, as the README starts it."""
    server = start_dev_server(tmp_path_factory.mktemp("readme-server"), root_token="root")
    yield server
    server.stop()


def test_the_flow_sections_run_every_block_and_skips_are_explained() -> None:
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    for section in (APPROLE, GITOPS):
        mine = [b for b in blocks if b.section == section and b.lang in ("sh", "bash")]
        assert mine, f"README has no shell block under '## {section}'"
        assert [b.line for b in mine if b.skip] == [], f"a block of '{section}' is skipped"
    shell = [b for b in blocks if b.lang in ("sh", "bash", "shell")]
    assert any(b.skip and "pip install" in b.text for b in shell)  # never installs here
    for block in shell:
        if block.skip:
            assert re.search(r"skip\s*\(.+\)", block.skip), f"README:{block.line}: say why"


def test_the_readme_runs_as_written(readme_server: ServerProcess, tmp_path: Path) -> None:
    sections = runnable(readme_blocks(README.read_text(encoding="utf-8")))
    assert [s for s in sections if s in (APPROLE, DELIVER, GITOPS)] == [APPROLE, DELIVER, GITOPS]
    env = new_user_env(tmp_path / "new-user")
    work = tmp_path / "work"
    work.mkdir()
    runs = {}
    for section, blocks in sections.items():
        runs[section] = run_section(blocks, readme_server.url, work, env)
        problems = _unexpected(section, runs[section])
        assert problems == [], f"'## {section}': {problems}\n{runs[section].stderr[-3000:]}"

    # Outputs are checked through names, never shown: `kv get` printed a secret value.
    approle, gitops = runs[APPROLE].stdout, runs[GITOPS].stdout
    delivered = "the app has its key (10 characters)" in runs[DELIVER].stdout
    assert delivered, "`sealkeep run` did not give the command its secret"
    refused = "permission denied" in runs[APPROLE].stderr
    assert refused, "the second `kv get` was not refused"
    audited = re.search(r"error: permission denied\s+secret/data/search/db", approle)
    assert audited is not None, "`audit query` does not show the refused read"
    verified = "audit.log: OK" in approle
    assert verified, "`audit verify` did not report the hash chain OK"
    assert (work / "audit.log").exists()
    applied, clean = "Apply complete" in gitops, "No drift" in gitops
    assert applied, "`sealkeep apply plan.json` did not complete"
    assert clean, "`sealkeep drift` found drift right after the apply"
    repo = work / "platform-secrets"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert status.stdout == ""  # plan.json is ignored, nothing else was left behind
    read = readme_server.client().secrets.kv.v2.read_secret_version(
        "payments/prod/db", raise_on_deleted_version=True
    )
    holds_the_value = read["data"]["data"].get("password") == "s3cr3t"
    assert holds_the_value, "secret/payments/prod/db does not hold the README's value"
