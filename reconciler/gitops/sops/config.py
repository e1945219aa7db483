"""`.sops.yaml` creation rules, found by walking up from the file being created.

Rules are tried in order; the first whose `path_regex` (an unanchored search on the path
relative to the config's folder) matches wins; a rule without `path_regex` matches every path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.gitops.sops import yamlio
from reconciler.gitops.sops.errors import SopsError
from reconciler.gitops.sops.tree import RULE_KINDS, SelectionRule

CONFIG_NAME = ".sops.yaml"
# Secret manifests keep their values under spec.data; everything else stays reviewable.
SECRET_DEFAULT_SELECTION = SelectionRule("encrypted_regex", "^data$")


@dataclass(frozen=True)
class CreationRule:
    """One creation rule: who can read new files and which of their values are encrypted.

    Invariant: `selection` is the rule's only selection rule (sops allows at most one).
    """

    age: tuple[str, ...]
    selection: SelectionRule | None = None
    mac_only_encrypted: bool = False
    path_regex: str | None = None
    source: Path | None = None

    def matches(self, relative_path: str) -> bool:
        """Whether this rule applies to a path relative to the config's folder."""
        return self.path_regex is None or re.search(self.path_regex, relative_path) is not None


def find_config(start: Path) -> Path | None:
    """The nearest `.sops.yaml` in `start` (a folder or a file's folder) or its parents."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        config = candidate / CONFIG_NAME
        if config.is_file():
            return config
    return None


def load_rules(config: Path) -> list[CreationRule]:
    """Parse every creation rule of one `.sops.yaml`."""
    where = str(config)
    try:
        data = yamlio.load_fast(config.read_text(encoding="utf-8"), where)
    except OSError as exc:
        raise SopsError(f"{where}: cannot read: {exc.strerror}") from None
    raw_rules = data.get("creation_rules") if isinstance(data, Mapping) else None
    if not isinstance(raw_rules, list):
        raise SopsError(f"{where}: no 'creation_rules' list")
    return [
        _parse_rule(raw, f"{where}: creation_rules[{i}]", config) for i, raw in enumerate(raw_rules)
    ]


def _parse_rule(raw: Any, where: str, config: Path) -> CreationRule:
    if not isinstance(raw, Mapping):
        raise SopsError(f"{where}: a rule must be a mapping")
    age = raw.get("age") or []
    if isinstance(age, str):
        age = age.split(",")
    if not isinstance(age, list):
        raise SopsError(f"{where}: 'age' must be a comma-separated string or a list")
    rules = [k for k in RULE_KINDS if raw.get(k)]
    if len(rules) > 1:
        raise SopsError(f"{where}: more than one selection rule: {rules}")
    path_regex = raw.get("path_regex")
    if path_regex is not None:
        try:
            re.compile(str(path_regex))
        except re.error as exc:
            raise SopsError(f"{where}: invalid path_regex: {exc}") from None
    return CreationRule(
        age=tuple(str(a).strip() for a in age if str(a).strip()),
        selection=SelectionRule(rules[0], str(raw[rules[0]])) if rules else None,
        mac_only_encrypted=bool(raw.get("mac_only_encrypted", False)),
        path_regex=str(path_regex) if path_regex is not None else None,
        source=config,
    )


def find_creation_rule(path: Path) -> CreationRule | None:
    """The rule for `path` from the nearest `.sops.yaml`, or None when there is no config."""
    config = find_config(path.parent if not path.is_dir() else path)
    if config is None:
        return None
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(config.parent).as_posix()
    except ValueError:
        relative = resolved.as_posix()
    for rule in load_rules(config):
        if rule.matches(relative):
            return rule
    raise SopsError(f"{path}: no creation rule in {config} matches {relative!r}")


def load_creation_rule(path: Path) -> CreationRule:
    """The creation rule for `path`; an error when no `.sops.yaml` is found."""
    rule = find_creation_rule(path)
    if rule is None:
        raise SopsError(f"{path}: no {CONFIG_NAME} found in its folder or any parent")
    return rule
