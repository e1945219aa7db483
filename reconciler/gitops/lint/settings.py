"""Lint settings from `sealkeep.yaml`: rules disabled, severities, ignored paths, thresholds.

`RepoConfig.lint` carries `disable` and `severity`; the lint-only keys (`ignore`,
`max_roles_per_policy`, `max_ttl`) and the `store` block are read here from the same file,
which the repo config loader has already validated against its schema.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.gitops.manifests import RepoConfig, Severity
from reconciler.gitops.manifests.config import CONFIG_FILE
from reconciler.gitops.manifests.source import parse_yaml
from reconciler.vocabulary.durations import parse_duration

DEFAULT_MAX_ROLES_PER_POLICY = 5
DEFAULT_MAX_TTL = 24 * 3600


@dataclass(frozen=True)
class StoreSettings:
    """The `store` block: how many storage nodes, and when snapshots are taken (if at all)."""

    nodes: int = 1
    snapshot_schedule: str | None = None


@dataclass(frozen=True)
class LintSettings:
    """Everything that changes which findings are reported and how loudly.

    Invariant: `max_ttl` is in seconds; `ignore` maps a rule ID to path globs (POSIX,
    relative to the root) where that rule is not reported.
    """

    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    ignore: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_roles_per_policy: int = DEFAULT_MAX_ROLES_PER_POLICY
    max_ttl: int = DEFAULT_MAX_TTL
    store: StoreSettings = field(default_factory=StoreSettings)

    def ignored(self, rule_id: str, path: str) -> bool:
        """Whether `path` matches one of the rule's ignore globs."""
        return any(fnmatch.fnmatchcase(path, glob) for glob in self.ignore.get(rule_id, ()))


def _raw_config(root: Path) -> Mapping[str, object]:
    file = root / CONFIG_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    parsed = parse_yaml(text, CONFIG_FILE)
    if parsed.error is not None or not parsed.documents:
        return {}
    value = parsed.documents[0].value
    return value if isinstance(value, dict) else {}


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _store(raw: Mapping[str, object]) -> StoreSettings:
    nodes = raw.get("nodes")
    schedule = raw.get("snapshot_schedule")
    return StoreSettings(
        nodes=nodes if isinstance(nodes, int) and nodes >= 1 else 1,
        snapshot_schedule=schedule if isinstance(schedule, str) and schedule else None,
    )


def _max_ttl(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            return DEFAULT_MAX_TTL
    return DEFAULT_MAX_TTL


def load_settings(root: Path, config: RepoConfig) -> LintSettings:
    """The lint settings of the repo at `root` (defaults for anything unset)."""
    raw = _raw_config(root)
    lint = _mapping(raw.get("lint"))
    ignore = {
        str(rule): tuple(str(g) for g in globs)
        for rule, globs in _mapping(lint.get("ignore")).items()
        if isinstance(globs, list)
    }
    max_roles = lint.get("max_roles_per_policy")
    return LintSettings(
        disable=frozenset(config.lint.disable),
        severity={rule: Severity(level) for rule, level in config.lint.severity.items()},
        ignore=ignore,
        max_roles_per_policy=max_roles
        if isinstance(max_roles, int) and max_roles >= 1
        else DEFAULT_MAX_ROLES_PER_POLICY,
        max_ttl=_max_ttl(lint.get("max_ttl")),
        store=_store(_mapping(raw.get("store"))),
    )
