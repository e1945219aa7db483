"""ACL policies at `sys/policies/acl/<name>`, normalised to rules keyed by path pattern.

YAML rules and HCL text (from Git or from the store) go through the store's own policy
parser, so two spellings of the same rules compare equal and the diff is rule by rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import StoreView, read_data
from reconciler.gitops.live.model import Fields, FieldValue, ObjectRef, ObjectState
from reconciler.gitops.manifests import kinds as k
from reconciler.vocabulary.policy.fmt import policy_to_hcl
from reconciler.vocabulary.policy.model import (
    PathRule,
    Policy,
    capabilities_from_names,
    capability_names,
    segment_wildcards,
)
from reconciler.vocabulary.policy.parser import parse_policy

BUILTIN_POLICIES = frozenset({"default", "root"})


def _rule_fields(rule: PathRule) -> dict[str, FieldValue]:
    return {
        "capabilities": tuple(capability_names(rule.capabilities)),
        "allowed_parameters": {a: tuple(b) for a, b in rule.allowed_parameters.items()},  # type: ignore[misc]
        "denied_parameters": {a: tuple(b) for a, b in rule.denied_parameters.items()},  # type: ignore[misc]
        "required_parameters": tuple(rule.required_parameters),
        "min_wrapping_ttl": rule.min_wrapping_ttl,
        "max_wrapping_ttl": rule.max_wrapping_ttl,
    }


def normalise_rules(rules: Iterable[PathRule]) -> dict[str, FieldValue]:
    """Rules keyed by pattern; a pattern given twice has its capabilities merged."""
    out: dict[str, dict[str, FieldValue]] = {}
    for rule in rules:
        fields = _rule_fields(rule)
        earlier = out.get(rule.pattern)
        if earlier is not None:
            caps = capabilities_from_names(
                [
                    *cast(tuple[str, ...], earlier["capabilities"]),
                    *capability_names(rule.capabilities),
                ]
            )
            fields["capabilities"] = tuple(capability_names(caps))
        out[rule.pattern] = fields
    return dict(sorted(out.items()))


def _path_rule(rule: k.PolicyRule) -> PathRule:
    is_prefix = rule.path.endswith("*")
    path = rule.path[:-1] if is_prefix else rule.path
    return PathRule(
        path=path,
        capabilities=capabilities_from_names(rule.capabilities),
        is_prefix=is_prefix,
        has_plus=segment_wildcards(path),
        allowed_parameters={
            a.lower(): tuple(b) for a, b in (rule.allowed_parameters or {}).items()
        },
        denied_parameters={a.lower(): tuple(b) for a, b in (rule.denied_parameters or {}).items()},
        required_parameters=tuple(rule.required_parameters),
    )


def _from_fields(pattern: str, fields: Mapping[str, FieldValue]) -> PathRule:
    is_prefix = pattern.endswith("*")
    path = pattern[:-1] if is_prefix else pattern
    allowed = cast(Mapping[str, tuple[object, ...]], fields["allowed_parameters"])
    denied = cast(Mapping[str, tuple[object, ...]], fields["denied_parameters"])
    return PathRule(
        path=path,
        capabilities=capabilities_from_names(cast(tuple[str, ...], fields["capabilities"])),
        is_prefix=is_prefix,
        has_plus=segment_wildcards(path),
        allowed_parameters={a: tuple(b) for a, b in allowed.items()},
        denied_parameters={a: tuple(b) for a, b in denied.items()},
        required_parameters=tuple(cast(tuple[str, ...], fields["required_parameters"])),
        min_wrapping_ttl=int(cast(int, fields["min_wrapping_ttl"])),
        max_wrapping_ttl=int(cast(int, fields["max_wrapping_ttl"])),
    )


def rules_to_hcl(name: str, rules: Mapping[str, FieldValue]) -> str:
    """Canonical HCL for normalised rules (what apply writes)."""
    path_rules = tuple(
        _from_fields(pattern, cast(Mapping[str, FieldValue], fields))
        for pattern, fields in rules.items()
    )
    return policy_to_hcl(Policy(name=name, text="", rules=path_rules))


class PolicyHandler:
    """A policy; its only field is `rules`, so the diff is rule by rule."""

    kind: ClassVar[str] = "Policy"
    replace_on: ClassVar[frozenset[str]] = frozenset()

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`sys/policies/acl/<name>`."""
        return ObjectRef(self.kind, obj.name, f"sys/policies/acl/{obj.name}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Rules from YAML, or parsed from the HCL text."""
        policy = cast(k.Policy, obj)
        if policy.hcl is not None:
            rules: Iterable[PathRule] = parse_policy(policy.name, policy.hcl).rules
        else:
            rules = (_path_rule(r) for r in policy.rules)
        return ObjectState(ref, {"rules": normalise_rules(rules)})

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """The stored text, parsed."""
        data = read_data(client, ref.address)
        if data is None:
            return None
        text = str(data.get("policy") or "")
        return ObjectState(ref, {"rules": normalise_rules(parse_policy(ref.name, text).rules)})

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Write canonical HCL for the rules."""
        rules = cast(Mapping[str, FieldValue], state.fields["rules"])
        text = rules_to_hcl(state.ref.name, rules)
        client.write_data(state.ref.address, data={"policy": text})

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Delete the policy."""
        client.delete(ref.address)
