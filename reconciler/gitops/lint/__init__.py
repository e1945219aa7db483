"""`sealkeep lint`: the anti-patterns of secrets-as-code, each a rule with an ID.

`lint_repo(root)` loads the repo, runs every rule (SK000-SK013, see `rules.RULES`) and applies
`sealkeep.yaml`'s `lint:` settings; `render` prints the report as text, JSON or SARIF 2.1.0.
`check_files` is the cleartext check alone, for the pre-commit hook.
"""

from reconciler.gitops.lint.cleartext import check_files
from reconciler.gitops.lint.context import HistoryScope, LintContext
from reconciler.gitops.lint.engine import LintReport, UnknownRuleError, lint_repo
from reconciler.gitops.lint.model import Finding, Rule
from reconciler.gitops.lint.render import FORMATS, LintFormat, render, summary_line
from reconciler.gitops.lint.rules import RULES, RULES_BY_ID
from reconciler.gitops.lint.settings import LintSettings, StoreSettings

__all__ = [
    "FORMATS",
    "RULES",
    "RULES_BY_ID",
    "Finding",
    "HistoryScope",
    "LintContext",
    "LintFormat",
    "LintReport",
    "LintSettings",
    "Rule",
    "StoreSettings",
    "UnknownRuleError",
    "check_files",
    "lint_repo",
    "render",
    "summary_line",
]
