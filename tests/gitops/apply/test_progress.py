"""Apply's live report: on a terminal a progress bar (rich) above which each outcome is
printed as it happens; on a pipe only the outcome lines, no escape code."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

SCRIPT = """
from reconciler.cli.progress import live_report
from reconciler.gitops.apply.history import Outcome
from reconciler.gitops.live.model import ObjectRef
with live_report() as report:
    report.start(25)
    for i in range(25):
        ref = ObjectRef("Policy", f"p{i}", f"sys/policies/acl/p{i}")
        failed = i == 24
        report.outcome(Outcome("create", ref, "failed" if failed else "applied", "boom" if failed else None))
print("done")
"""


def _on_a_terminal() -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child runs the report with a pseudo-terminal as stdout
        os.execve(sys.executable, [sys.executable, "-c", SCRIPT], {**os.environ, "TERM": "xterm"})
    out = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out.decode(errors="replace")


def test_a_terminal_gets_a_bar_and_every_outcome() -> None:
    shown = _on_a_terminal()
    assert "Applying" in shown and "25/25" in shown
    assert "Policy/p0 (sys/policies/acl/p0)" in shown
    assert "FAILED" in shown and "Policy/p24 (sys/policies/acl/p24): boom" in shown
    assert shown.rstrip().endswith("done")


def test_a_pipe_gets_the_outcome_lines_only() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "  ok       create   Policy/p0 (sys/policies/acl/p0)"
    assert lines[24] == "  FAILED   create   Policy/p24 (sys/policies/acl/p24): boom"
    assert lines[25:] == ["done"] and "\x1b" not in done.stdout + done.stderr
