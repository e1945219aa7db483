"""Field-by-field comparison of two normalised states, and the policy rule-level call-outs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

from reconciler.gitops.live.model import Fields, FieldValue, Fingerprinter
from reconciler.gitops.live.normalise import plain
from reconciler.gitops.plan.model import FieldChange, KeyChange

UNSET = "(unset)"
MAX_DISPLAY = 80


def display(value: FieldValue) -> str:
    """A short JSON rendering of a non-sensitive value."""
    text = json.dumps(plain(value), sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_DISPLAY else text[: MAX_DISPLAY - 1] + "…"


def field_changes(
    before: Fields | None, after: Fields | None, prefix: str = ""
) -> list[FieldChange]:
    """Every leaf that differs; nested mappings are walked (`config.bound_issuer`)."""
    old = before or {}
    new = after or {}
    out: list[FieldChange] = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        path = f"{prefix}{name}"
        if isinstance(a, Mapping) and isinstance(b, Mapping) and name != "rules":
            out += field_changes(a, b, path + ".")
        elif name == "rules" and not prefix:
            out += _rule_changes(cast(Fields, a or {}), cast(Fields, b or {}))
        else:
            out.append(
                FieldChange(
                    path,
                    UNSET if name not in old else display(a),
                    UNSET if name not in new else display(b),
                )
            )
    return out


def _rule_changes(before: Fields, after: Fields) -> list[FieldChange]:
    out: list[FieldChange] = []
    for pattern in sorted(set(before) | set(after)):
        a, b = before.get(pattern), after.get(pattern)
        if a != b:
            out.append(
                FieldChange(
                    f'path "{pattern}"',
                    UNSET if a is None else _rule_text(cast(Fields, a)),
                    UNSET if b is None else _rule_text(cast(Fields, b)),
                )
            )
    return out


def _rule_text(rule: Fields) -> str:
    caps = ", ".join(cast(tuple[str, ...], rule["capabilities"]))
    extras = [
        f"{name}={display(rule[name])}"
        for name in ("allowed_parameters", "denied_parameters", "required_parameters")
        if rule.get(name)
    ]
    return "[" + caps + "]" + (" " + " ".join(extras) if extras else "")


def _caps(rule: FieldValue) -> list[str]:
    if not isinstance(rule, Mapping):
        return []
    return list(cast(tuple[str, ...], rule["capabilities"]))


def policy_notes(name: str, before: Fields | None, after: Fields | None) -> list[str]:
    """Capability changes spelled out: "payments-api gains update on secret/data/x/*"."""
    old = cast(Fields, (before or {}).get("rules") or {})
    new = cast(Fields, (after or {}).get("rules") or {})
    notes: list[str] = []
    for pattern in sorted(set(old) | set(new)):
        was, now = _caps(old.get(pattern)), _caps(new.get(pattern))
        gained = [c for c in now if c not in was]
        lost = [c for c in was if c not in now]
        if gained:
            notes.append(f"{name} gains {', '.join(gained)} on {pattern}")
        if lost:
            notes.append(f"{name} loses {', '.join(lost)} on {pattern}")
        if not gained and not lost and old.get(pattern) != new.get(pattern):
            notes.append(f"{name} changes parameter constraints on {pattern}")
    return notes


def key_changes(before: Fields, after: Fields, fp: Fingerprinter) -> list[KeyChange]:
    """The keys added, changed and removed, each with value fingerprints (never values)."""
    out: list[KeyChange] = []
    for key in sorted(set(before) | set(after)):
        if key not in before:
            out.append(KeyChange(key, "added", None, fp.value(after[key])))
        elif key not in after:
            out.append(KeyChange(key, "removed", fp.value(before[key]), None))
        elif before[key] != after[key]:
            out.append(KeyChange(key, "changed", fp.value(before[key]), fp.value(after[key])))
    return out
