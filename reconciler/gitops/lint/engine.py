"""Run the rules over a repo and apply the configured severities, ignores and disables."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.gitops.gitsource import GitSourceError, open_repo
from reconciler.gitops.lint.context import HistoryScope, LintContext
from reconciler.gitops.lint.model import Finding, Rule
from reconciler.gitops.lint.rules import RULES, RULES_BY_ID
from reconciler.gitops.lint.settings import LintSettings, load_settings
from reconciler.gitops.manifests import (
    Diagnostic,
    RepoNotFound,
    Severity,
    find_repo_root,
    load_repo,
)
from reconciler.vocabulary.errors import SealkeepError


class UnknownRuleError(SealkeepError, ValueError):
    """A rule ID was asked for that does not exist."""


@dataclass(frozen=True)
class LintReport:
    """The findings of one lint run, sorted by file, line and column.

    `rules` are the rules that ran; `uri_prefix` is the root's folder inside its Git work tree
    ('' at the top), so SARIF locations resolve from the repository root.
    """

    root: Path
    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    uri_prefix: str = ""

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return len(self.findings) - self.errors

    @property
    def has_errors(self) -> bool:
        """True when `sealkeep lint` must exit non-zero."""
        return self.errors > 0


def _load_finding(diagnostic: Diagnostic) -> Finding:
    subject = diagnostic.subject
    where = f"{diagnostic.json_path}: " if diagnostic.json_path else ""
    finding = Finding(
        diagnostic.path,
        diagnostic.line,
        diagnostic.column,
        "SK000",
        f"{where}{diagnostic.message}",
        subject=subject,
    )
    return finding.with_severity(diagnostic.severity)


def _selected(only: Collection[str] | None, settings: LintSettings) -> tuple[Rule, ...]:
    unknown = sorted(set(only or ()) - set(RULES_BY_ID))
    if unknown:
        known = ", ".join(RULES_BY_ID)
        raise UnknownRuleError(f"unknown lint rule {', '.join(unknown)} (rules: {known})")
    wanted = set(only) if only else set(RULES_BY_ID)
    return tuple(r for r in RULES if r.id in wanted and r.id not in settings.disable)


def _run_checks(ctx: LintContext, rules: Iterable[Rule]) -> list[Finding]:
    done: dict[Callable[..., object], list[Finding]] = {}
    found: list[Finding] = []
    for rule in rules:
        if rule.needs_manifests and ctx.desired is None:
            continue
        if rule.check not in done:
            done[rule.check] = list(rule.check(ctx))
        for finding in done[rule.check]:
            if finding.rule_id == rule.id:
                found.append(finding.with_severity(rule.severity))
    return found


def _uri_prefix(root: Path) -> str:
    try:
        prefix = open_repo(root).prefix
    except GitSourceError:
        return ""
    return "" if prefix == PurePosixPath(".") else prefix.as_posix()


def lint_repo(
    root: Path, *, only: Collection[str] | None = None, history: HistoryScope | None = None
) -> LintReport:
    """Lint the repo at `root`: load it, run the rules (or `only` those), apply the config.

    `root` may be any folder in the repo: the repo is the nearest one at or above it holding
    `sealkeep.yaml`; with none, `root` itself is linted (lint writes nothing, and a repo
    without config is one of the things it reports).
    Raises UnknownRuleError for an unknown ID in `only`, GitSourceError for a bad history base.
    """
    try:
        root = find_repo_root(Path(root))
    except RepoNotFound:
        root = Path(root).resolve()
    result = load_repo(root)
    settings = load_settings(root, result.config)
    ctx = LintContext(root, result, settings, history or HistoryScope())
    rules = _selected(only, settings)
    found = _run_checks(ctx, rules)
    if any(r.id == "SK000" for r in rules):
        found.extend(_load_finding(d) for d in result.diagnostics)
    kept = [
        f.with_severity(settings.severity.get(f.rule_id, f.severity))
        for f in found
        if not settings.ignored(f.rule_id, f.path)
    ]
    return LintReport(root, tuple(sorted(set(kept))), rules, _uri_prefix(root))
