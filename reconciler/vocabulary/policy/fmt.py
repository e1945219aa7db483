"""Render a `Policy` as canonical HCL: path blocks in order, two-space indent, one field a line."""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.vocabulary.policy.model import ParamValues, PathRule, Policy, capability_names


def policy_to_hcl(policy: Policy) -> str:
    """Canonical HCL text for `policy`; parsing it back gives the same rules.

    Comments in the source are not kept; legacy `policy = "..."` is written as capabilities.
    """
    return "\n".join(_block(rule) for rule in policy.rules)


def _quote(text: str) -> str:
    # JSON string escapes are a subset of what HCL1 strings accept.
    return json.dumps(text, ensure_ascii=False)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_quote(str(k))} = {_literal(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise ValueError(f"cannot render {value!r} in HCL")


def _compact_duration(seconds: int) -> str:
    """`90` -> `"1m30s"`, `3600` -> `"1h"`: the shortest spelling parse_duration reads back."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return _quote("".join(parts) or "0s")


def _param_map(name: str, params: Mapping[str, ParamValues]) -> list[str]:
    lines = [f"  {name} = {{"]
    lines += [f"    {_quote(key)} = {_literal(list(params[key]))}" for key in sorted(params)]
    lines.append("  }")
    return lines


def _block(rule: PathRule) -> str:
    lines = [f"path {_quote(rule.pattern)} {{"]
    if rule.comment:
        lines.append(f"  comment = {_quote(rule.comment)}")
    lines.append(f"  capabilities = {_literal(capability_names(rule.capabilities))}")
    if rule.required_parameters:
        lines.append(f"  required_parameters = {_literal(rule.required_parameters)}")
    if rule.allowed_parameters:
        lines += _param_map("allowed_parameters", rule.allowed_parameters)
    if rule.denied_parameters:
        lines += _param_map("denied_parameters", rule.denied_parameters)
    if rule.min_wrapping_ttl:
        lines.append(f"  min_wrapping_ttl = {_compact_duration(rule.min_wrapping_ttl)}")
    if rule.max_wrapping_ttl:
        lines.append(f"  max_wrapping_ttl = {_compact_duration(rule.max_wrapping_ttl)}")
    if rule.mfa_methods:
        lines.append(f"  mfa_methods = {_literal(rule.mfa_methods)}")
    if rule.subscribe_event_types:
        lines.append(f"  subscribe_event_types = {_literal(rule.subscribe_event_types)}")
    lines.append("}")
    return "\n".join(lines) + "\n"
