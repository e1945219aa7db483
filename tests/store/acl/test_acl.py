"""The compiled ACL: merging (§9.3), choosing the entry (§9.4), parameters (§9.6), root."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.store.acl.acl import ACL
from reconciler.store.logical import Operation
from reconciler.vocabulary.policy.model import Capability
from reconciler.vocabulary.policy.parser import parse_policy

READ, LIST, UPDATE, CREATE = Operation.READ, Operation.LIST, Operation.UPDATE, Operation.CREATE


def acl(*texts: str, entity: dict[str, str] | None = None) -> ACL:
    """An ACL of policies p0, p1, ... with the given texts."""
    return ACL([parse_policy(f"p{i}", t) for i, t in enumerate(texts)], entity=entity)


def rule(path: str, *caps: str, extra: str = "") -> str:
    """One path block granting `caps`."""
    quoted = ", ".join(f'"{c}"' for c in caps)
    return f'path "{path}" {{\n  capabilities = [{quoted}]\n{extra}}}\n'


def allowed(a: ACL, op: Operation, path: str, data: dict[str, Any] | None = None) -> bool:
    return a.check(op, path, data).allowed


# --- merging (§9.3) -----------------------------------------------------------------------


def test_same_key_capabilities_are_ored_across_policies() -> None:
    a = acl(rule("secret/a", "read"), rule("secret/a", "update"))
    result = a.check(UPDATE, "secret/a")
    assert result.allowed
    assert result.capabilities == Capability.READ | Capability.UPDATE
    assert result.granting_policies == ("p1",)
    assert a.check(READ, "secret/a").granting_policies == ("p0",)


def test_granting_policies_lists_every_grantor() -> None:
    a = acl(rule("x/*", "read"), rule("x/*", "read", "list"))
    assert a.check(READ, "x/y").granting_policies == ("p0", "p1")


def test_same_key_in_one_policy_merges_too() -> None:
    a = acl(rule("a", "read") + rule("a", "list"))
    assert a.capabilities("a") == ["list", "read"]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_deny_wins_a_merge_in_either_order(order: tuple[int, int]) -> None:
    texts = [rule("secret/*", "read", "sudo"), rule("secret/*", "deny")]
    a = acl(*(texts[i] for i in order))
    result = a.check(READ, "secret/x")
    assert not result.allowed
    assert result.capabilities == Capability.DENY
    assert not result.sudo
    assert a.capabilities("secret/x") == ["deny"]


def test_parameter_maps_merge_per_key() -> None:
    first = rule("p", "update", extra='  allowed_parameters = { "a" = ["1"], "b" = ["x"] }\n')
    second = rule("p", "update", extra='  allowed_parameters = { "a" = ["2"], "b" = [] }\n')
    a = acl(first, second)
    assert allowed(a, UPDATE, "p", {"a": "1"})
    assert allowed(a, UPDATE, "p", {"a": "2"})
    assert not allowed(a, UPDATE, "p", {"a": "3"})
    assert allowed(a, UPDATE, "p", {"b": "anything"})
    assert not allowed(a, UPDATE, "p", {"c": "1"})


def test_merge_with_unrestricted_block_keeps_restriction() -> None:
    # Vault keeps the restrictive map when the other block has none.
    a = acl(rule("p", "update"), rule("p", "update", extra='  allowed_parameters = {"a" = []}\n'))
    assert not allowed(a, UPDATE, "p", {"b": 1})


def test_required_parameters_are_unioned() -> None:
    a = acl(
        rule("p", "update", extra='  required_parameters = ["a"]\n'),
        rule("p", "update", extra='  required_parameters = ["b", "a"]\n'),
    )
    assert not allowed(a, UPDATE, "p", {"a": 1})
    assert allowed(a, UPDATE, "p", {"a": 1, "b": 2})


def test_wrapping_ttls_take_the_smaller_nonzero() -> None:
    a = acl(
        rule("w", "update", extra='  max_wrapping_ttl = "1h"\n'),
        rule("w", "update", extra='  max_wrapping_ttl = "10m"\n  min_wrapping_ttl = "1m"\n'),
    )
    assert not a.check(UPDATE, "w").allowed
    assert not a.check(UPDATE, "w", wrap_ttl=30).allowed
    assert a.check(UPDATE, "w", wrap_ttl=300).allowed
    assert not a.check(UPDATE, "w", wrap_ttl=1200).allowed


def test_merged_min_above_max_denies() -> None:
    a = acl(
        rule("w", "update", extra='  max_wrapping_ttl = "2m"\n'),
        rule("w", "update", extra='  min_wrapping_ttl = "5m"\n'),
    )
    assert not a.check(UPDATE, "w", wrap_ttl=180).allowed


def test_different_keys_are_never_merged() -> None:
    a = acl(rule("secret/*", "read"), rule("secret/data/x", "list"))
    assert not allowed(a, READ, "secret/data/x")
    assert allowed(a, READ, "secret/data/y")


# --- choosing the entry (§9.4) ------------------------------------------------------------


def test_exact_beats_glob_and_plus() -> None:
    a = acl(rule("a/b/c", "read"), rule("a/b/*", "deny"), rule("a/+/c", "deny"))
    assert allowed(a, READ, "a/b/c")


def test_specific_allow_does_not_inherit_broad_deny() -> None:
    a = acl(rule("secret/*", "deny"), rule("secret/data/ok", "read"))
    assert allowed(a, READ, "secret/data/ok")
    assert not allowed(a, READ, "secret/data/other")


def test_longest_glob_wins() -> None:
    a = acl(rule("secret/*", "read"), rule("secret/data/*", "list"), rule("*", "deny"))
    assert a.capabilities("secret/data/x") == ["list"]
    assert a.capabilities("secret/meta") == ["read"]
    assert a.capabilities("other") == ["deny"]


def test_worked_example_of_section_9_4() -> None:
    a = acl(rule("secret/*", "read"), rule("secret/data/+/cfg", "deny"))
    assert not allowed(a, READ, "secret/data/a/cfg")
    assert allowed(a, READ, "secret/data/a/other")


def test_rule_a_later_wildcard_wins() -> None:
    a = acl(rule("a/+/c/d", "read"), rule("a/b/+/d", "list"))
    assert a.capabilities("a/b/c/d") == ["list"]
    # ...and a glob whose `*` is later than every `+` beats them.
    b = acl(rule("a/b/+/d", "list"), rule("a/b/c/*", "update"))
    assert b.capabilities("a/b/c/d") == ["update"]


def test_rule_b_non_glob_beats_glob_at_same_position() -> None:
    a = acl(rule("a/+/c", "read"), rule("a/+/c*", "list"))
    assert a.capabilities("a/b/c") == ["read"]
    assert a.capabilities("a/b/cd") == ["list"]
    # a plain glob and a `+` rule whose first `+` is where the glob's `*` is:
    b = acl(rule("a/*", "read"), rule("a/+", "list"))
    assert b.capabilities("a/x") == ["list"]


def test_rule_c_fewer_plus_segments_wins() -> None:
    a = acl(rule("a/+/+/d", "read"), rule("a/+/c/d", "list"))
    assert a.capabilities("a/b/c/d") == ["list"]


def test_rule_d_longer_path_wins() -> None:
    a = acl(rule("a/+/c*", "read"), rule("a/+/cd*", "list"))
    assert a.capabilities("a/b/cde") == ["list"]


def test_rule_e_lexicographically_greater_wins() -> None:
    # Both match k/q/q: first `+` at 0, neither a glob, two `+` each, same length; so the
    # greater string decides ("+/q/+" > "+/+/q").
    a = acl(rule("+/q/+", "read"), rule("+/+/q", "list"))
    assert a.capabilities("k/q/q") == ["read"]
    b = acl(rule("+/+/q", "list"), rule("+/q/+", "read"))
    assert b.capabilities("k/q/q") == ["read"]


def test_plus_needs_same_segment_count_unless_glob() -> None:
    a = acl(rule("a/+", "read"), rule("b/+/*", "list"))
    assert allowed(a, READ, "a/x")
    assert not allowed(a, READ, "a/x/y")
    assert not allowed(a, READ, "a")
    assert allowed(a, LIST, "b/x/y/z")
    assert allowed(a, LIST, "b/x/")
    assert not allowed(a, LIST, "b/x")


def test_plus_matches_empty_segment() -> None:
    a = acl(rule("a/+/c", "read"))
    assert allowed(a, READ, "a//c")


def test_no_candidate_is_denied() -> None:
    a = acl(rule("secret/*", "read"))
    result = a.check(READ, "other/x")
    assert not result.allowed and result.capabilities == Capability.NONE


def test_chosen_entry_without_the_capability_denies() -> None:
    a = acl(rule("secret/*", "read"), rule("secret/x", "list"))
    result = a.check(READ, "secret/x")
    assert not result.allowed
    assert result.capabilities == Capability.LIST


def test_sudo_flag_reflects_chosen_entry() -> None:
    a = acl(rule("sys/audit*", "read", "sudo"), rule("sys/mounts", "read"))
    assert a.check(READ, "sys/audit/x").sudo
    assert not a.check(READ, "sys/mounts").sudo


def test_list_uses_exact_entry_without_trailing_slash() -> None:
    a = acl(rule("secret/metadata/app", "list"))
    assert allowed(a, LIST, "secret/metadata/app/")
    assert not allowed(a, READ, "secret/metadata/app/")
    assert a.capabilities("secret/metadata/app/") == ["list"]


def test_list_prefers_exact_with_slash() -> None:
    a = acl(rule("m/app/", "read"), rule("m/app", "list"))
    assert not allowed(a, LIST, "m/app/")


def test_leading_slash_is_stripped() -> None:
    assert allowed(acl(rule("/secret/x", "read")), READ, "secret/x")


def test_glob_of_everything() -> None:
    a = acl(rule("*", "read"))
    assert allowed(a, READ, "")
    assert allowed(a, READ, "anything/at/all")


# --- parameters (§9.6) --------------------------------------------------------------------


PARAMS = rule(
    "secret/app",
    "create",
    "read",
    "update",
    "patch",
    "delete",
    extra=(
        '  required_parameters = ["owner"]\n'
        '  allowed_parameters = { "owner" = [], "env" = ["dev", "stag*"], "n" = [1, true] }\n'
        '  denied_parameters = { "env" = ["*prod*"] }\n'
    ),
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"owner": "me"}, True),
        ({"OWNER": "me", "Env": "dev"}, True),
        ({"owner": "me", "env": "staging"}, True),
        ({"owner": "me", "env": "stag-prod-1"}, False),
        ({"owner": "me", "env": "test"}, False),
        ({"env": "dev"}, False),
        ({"owner": "me", "other": 1}, False),
        ({"owner": "me", "n": 1}, True),
        ({"owner": "me", "n": True}, True),
        ({"owner": "me", "n": 2}, False),
        ({"owner": "me", "n": "1"}, False),
    ],
)
def test_parameter_constraints(data: dict[str, Any], expected: bool) -> None:
    a = acl(PARAMS)
    for op in (CREATE, UPDATE, Operation.PATCH, READ):
        assert allowed(a, op, "secret/app", data) is expected


def test_required_checked_even_without_data_and_delete_skips_parameters() -> None:
    a = acl(PARAMS)
    assert not allowed(a, READ, "secret/app")
    assert allowed(a, Operation.DELETE, "secret/app", {"anything": 1})


def test_no_data_is_allowed_without_required() -> None:
    a = acl(rule("p", "update", extra='  allowed_parameters = {"a" = ["x"]}\n'))
    assert allowed(a, UPDATE, "p", {})
    assert allowed(a, UPDATE, "p", None)


def test_denied_star_denies_any_data() -> None:
    a = acl(rule("p", "update", extra='  denied_parameters = {"*" = []}\n'))
    assert allowed(a, UPDATE, "p")
    assert not allowed(a, UPDATE, "p", {"x": 1})


def test_allowed_star_lets_other_keys_through_but_checks_listed_ones() -> None:
    extra = '  allowed_parameters = {"*" = [], "mode" = ["ro"]}\n'
    a = acl(rule("p", "update", extra=extra))
    assert allowed(a, UPDATE, "p", {"anything": 1, "mode": "ro"})
    assert not allowed(a, UPDATE, "p", {"mode": "rw"})
    only_star = acl(rule("p", "update", extra='  allowed_parameters = {"*" = []}\n'))
    assert allowed(only_star, UPDATE, "p", {"z": [1]})


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("ab*", "abc", True),
        ("ab*", "xab", False),
        ("*bc", "abc", True),
        ("*b*", "abc", True),
        ("*z*", "abc", False),
        ("*", "", True),
        ("abc", "abc", True),
        ("abc", "abcd", False),
    ],
)
def test_value_globs(pattern: str, value: str, expected: bool) -> None:
    extra = f'  allowed_parameters = {{"k" = ["{pattern}"]}}\n'
    assert allowed(acl(rule("p", "update", extra=extra)), UPDATE, "p", {"k": value}) is expected


def test_structured_values_must_be_deeply_equal() -> None:
    extra = '  allowed_parameters = {"k" = [["a", 1]]}\n'
    a = acl(rule("p", "update", extra=extra))
    assert allowed(a, UPDATE, "p", {"k": ["a", 1]})
    assert not allowed(a, UPDATE, "p", {"k": ["a", True]})


# --- root, capabilities, templates ----------------------------------------------------------


def test_root_grants_everything() -> None:
    for a in (ACL.root(), ACL([parse_policy("root", "")])):
        result = a.check(Operation.DELETE, "sys/seal", {"x": 1})
        assert result.allowed and result.sudo and result.is_root
        assert Capability.SUDO in result.capabilities
        assert Capability.DENY not in result.capabilities
        assert a.capabilities("anything") == ["root"]


def test_root_alongside_others_is_still_root() -> None:
    a = ACL([parse_policy("dev", rule("*", "deny")), parse_policy("root", "")])
    assert a.is_root and a.check(READ, "x").allowed


def test_capabilities_sorted_and_deny_for_nothing() -> None:
    a = acl(rule("x", "update", "read", "sudo", "create", "patch", "subscribe"), rule("y"))
    assert a.capabilities("x") == ["create", "patch", "read", "subscribe", "sudo", "update"]
    assert a.capabilities("y") == ["deny"]
    assert a.capabilities("z") == ["deny"]
    assert not a.check(READ, "y").allowed


def test_templated_paths_resolve_per_entity() -> None:
    text = rule("kv/{{identity.entity.id}}/*", "read") + rule(
        "kv/{{ identity.entity.name }}/x", "update"
    )
    a = acl(text, entity={"identity.entity.id": "e1", "identity.entity.name": "alice"})
    assert allowed(a, READ, "kv/e1/secret")
    assert not allowed(a, READ, "kv/e2/secret")
    assert allowed(a, UPDATE, "kv/alice/x")


def test_unresolvable_templates_skip_the_block() -> None:
    text = rule("kv/{{identity.entity.id}}/*", "read") + rule("kv/*", "list")
    a = acl(text, entity={"identity.entity.name": "alice"})
    assert a.capabilities("kv/{{identity.entity.id}}/x") == ["list"]
    assert acl(text).capabilities("kv/x") == ["list"]


def test_templated_plus_rule() -> None:
    a = acl(rule("t/{{identity.entity.id}}/+/x", "read"), entity={"identity.entity.id": "e"})
    assert allowed(a, READ, "t/e/any/x")
