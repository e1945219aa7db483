"""The result of one reconcile run, as the loop records it and the status endpoint serves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.gitops.plan.model import Plan


class RunOutcome(Enum):
    """How a run ended. Every outcome but FAILED counts as healthy."""

    IN_SYNC = "in-sync"
    APPLIED = "applied"
    PLANNED = "planned"
    FAILED = "failed"

    @property
    def healthy(self) -> bool:
        """True unless the run failed."""
        return self is not RunOutcome.FAILED


@dataclass(frozen=True)
class RunCounts:
    """What a run found and did; counts only, never a value."""

    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    applied: int = 0
    failed: int = 0
    drifted: int = 0
    corrected: int = 0
    held: int = 0
    diagnostics: int = 0

    @classmethod
    def of_plan(cls, plan: Plan, **more: int) -> RunCounts:
        """The plan's per-action counts, plus `more`."""
        summary = plan.summary()
        return cls(
            add=summary.add,
            change=summary.change,
            replace=summary.replace,
            destroy=summary.destroy,
            **more,
        )

    def encode(self) -> dict[str, int]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class RunResult:
    """One run: the commit it reconciled, when, how it ended, what it counted.

    Invariants: `error` is set exactly when `outcome` is FAILED and holds no secret value;
    `drifted` names objects as `Kind/name (address)`; times are UTC ISO-8601 strings.
    """

    run: int
    started_at: str
    finished_at: str
    outcome: RunOutcome
    commit: str | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    error: str | None = None
    drifted: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    apply_id: str | None = None

    def encode(self) -> dict[str, Any]:
        """JSON form, as /status serves it."""
        return {
            "run": self.run,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "outcome": self.outcome.value,
            "commit": self.commit,
            "counts": self.counts.encode(),
            "error": self.error,
            "drifted": list(self.drifted),
            "problems": list(self.problems),
            "apply_id": self.apply_id,
        }

    def line(self) -> str:
        """One log line: run number, commit, outcome, counts or error."""
        commit = (self.commit or "-")[:12]
        c = self.counts
        text = f"run {self.run} at {commit}: {self.outcome.value}"
        if self.outcome is RunOutcome.FAILED:
            return f"{text}: {self.error}"
        text += f" ({c.add} to add, {c.change} to change, {c.replace} to replace, "
        text += f"{c.destroy} to destroy; {c.applied} applied"
        if c.drifted:
            text += f"; {c.drifted} drifted, {c.corrected} corrected, {c.held} held"
        return text + ")"

    def details(self) -> list[str]:
        """Lines under the log line: drifted objects, then manifest problems."""
        lines = [f"  ! {item}" for item in self.drifted]
        return lines + [f"  {problem}" for problem in self.problems]
