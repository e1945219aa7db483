"""Parsing policies: HCL and JSON syntax, validation and the errors users see."""

from __future__ import annotations

import json

import pytest

from reconciler.vocabulary.errors import SealkeepError
from reconciler.vocabulary.policy.model import Capability
from reconciler.vocabulary.policy.parser import PolicyParseError, parse_policy

FULL = """
# a comment
path "/secret/data/app/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
  required_parameters = ["owner"]
  allowed_parameters  = { "Owner" = [], "env" = ["dev", "stag*"] }
  denied_parameters   = { "admin" = [] }
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = "1h"
}
"""


def _error(text: str) -> PolicyParseError:
    with pytest.raises(PolicyParseError) as info:
        parse_policy("p", text)
    return info.value


def test_full_hcl_block() -> None:
    policy = parse_policy("app", FULL)
    assert policy.name == "app"
    assert policy.text == FULL
    (rule,) = policy.rules
    assert rule.path == "secret/data/app/"
    assert rule.is_prefix and not rule.has_plus
    assert rule.capabilities == (
        Capability.CREATE
        | Capability.READ
        | Capability.UPDATE
        | Capability.PATCH
        | Capability.DELETE
        | Capability.LIST
    )
    assert rule.required_parameters == ("owner",)
    assert rule.allowed_parameters == {"owner": (), "env": ("dev", "stag*")}
    assert rule.denied_parameters == {"admin": ()}
    assert (rule.min_wrapping_ttl, rule.max_wrapping_ttl) == (60, 3600)
    assert rule.line == 3


def test_json_form_equals_hcl() -> None:
    document = {
        "path": {
            "secret/data/app/*": {
                "capabilities": ["create", "read", "update", "patch", "delete", "list"],
                "required_parameters": ["owner"],
                "allowed_parameters": {"Owner": [], "env": ["dev", "stag*"]},
                "denied_parameters": {"admin": []},
                "min_wrapping_ttl": "1m",
                "max_wrapping_ttl": 3600,
            }
        }
    }
    from_json = parse_policy("app", json.dumps(document, indent=2))
    assert from_json.rules == parse_policy("app", FULL).rules


def test_json_list_of_path_objects_and_line_numbers() -> None:
    text = (
        '{\n  "path": [\n    {"a": {"capabilities": ["read"]}},\n'
        '    {"b/*": {"policy": "write"}}\n  ]\n}'
    )
    rules = parse_policy("p", text).rules
    assert [(r.path, r.is_prefix, r.line) for r in rules] == [("a", False, 3), ("b/", True, 4)]


def test_json_syntax_error_has_line() -> None:
    error = _error('{\n  "path": {\n    "a": {"capabilities": ["read",]}\n  }\n  oops\n}')
    assert error.line == 5
    assert "on line 5" in str(error)


def test_repeated_blocks_are_all_kept() -> None:
    text = 'path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }\n'
    rules = parse_policy("p", text).rules
    assert [r.capabilities for r in rules] == [Capability.READ, Capability.LIST]


def test_name_key_and_empty_policy_are_accepted() -> None:
    assert parse_policy("p", 'name = "x"\n').rules == ()
    assert parse_policy("p", "").rules == ()
    assert parse_policy("p", "# only a comment\n").rules == ()


def test_heredoc_comments_escapes_and_commas() -> None:
    text = (
        '/* block\n comment */ path "a\\"b" {\n'
        "  comment = <<EOT\nwhy\nEOT\n"
        '  capabilities = ["read",], subscribe_event_types = "kv*"\n'
        "}\n"
    )
    (rule,) = parse_policy("p", text).rules
    assert rule.path == 'a"b'
    assert rule.comment == "why\n"
    assert rule.subscribe_event_types == ("kv*",)


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("read", Capability.READ | Capability.LIST),
        (
            "write",
            Capability.CREATE
            | Capability.READ
            | Capability.UPDATE
            | Capability.DELETE
            | Capability.LIST,
        ),
        (
            "sudo",
            Capability.CREATE
            | Capability.READ
            | Capability.UPDATE
            | Capability.DELETE
            | Capability.LIST
            | Capability.SUDO,
        ),
        ("deny", Capability.DENY),
    ],
)
def test_legacy_policy_keyword(legacy: str, expected: Capability) -> None:
    (rule,) = parse_policy("p", f'path "a" {{ policy = "{legacy}" }}').rules
    assert rule.capabilities == expected


def test_legacy_policy_adds_to_capabilities() -> None:
    (rule,) = parse_policy("p", 'path "a" { policy = "read"\n capabilities = ["patch"] }').rules
    assert rule.capabilities == Capability.PATCH | Capability.READ | Capability.LIST


def test_invalid_legacy_policy() -> None:
    error = _error('path "a" {\n  policy = "admin"\n}')
    assert str(error) == 'failed to parse policy: path "a": invalid policy "admin"'
    assert error.line == 2


def test_deny_anywhere_means_deny_only() -> None:
    text = 'path "a" { capabilities = ["read", "deny", "sudo"] }'
    assert parse_policy("p", text).rules[0].capabilities == Capability.DENY


def test_every_capability_name() -> None:
    names = ["create", "read", "update", "patch", "delete", "list", "sudo"]
    names += ["subscribe", "recover"]
    text = f'path "a" {{ capabilities = {json.dumps(names)} }}'
    (rule,) = parse_policy("p", text).rules
    assert all(Capability.from_name(n) in rule.capabilities for n in names)


def test_plus_and_glob_detection() -> None:
    text = (
        'path "secret/+/config" { capabilities = ["read"] }\n'
        'path "secret/+/x/*" { capabilities = ["read"] }\n'
        'path "a*b" { capabilities = ["read"] }\n'
        'path "a+b/c" { capabilities = ["read"] }\n'
        'path "+" { capabilities = ["read"] }\n'
    )
    got = [(r.path, r.is_prefix, r.has_plus) for r in parse_policy("p", text).rules]
    assert got == [
        ("secret/+/config", False, True),
        ("secret/+/x/", True, True),
        ("a*b", False, False),
        ("a+b/c", False, False),
        ("+", False, True),
    ]


def test_templated_path_is_marked() -> None:
    (rule,) = parse_policy("p", 'path "kv/{{identity.entity.id}}/*" { policy = "read" }').rules
    assert rule.templated and rule.path == "kv/{{identity.entity.id}}/"


def test_error_is_a_user_error() -> None:
    error = _error("path")
    assert isinstance(error, SealkeepError)
    assert str(error).startswith("failed to parse policy: ")


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        (
            'path "a" {\n  capabilities = ["read"]\n}\nfoo = 1\n',
            'invalid key "foo" on line 4',
            4,
            1,
        ),
        (
            'path "a" {\n  capabilities = ["read"]\n  colour = "red"\n}\n',
            'path "a": invalid key "colour" on line 3',
            3,
            3,
        ),
        (
            'path "a" {\n  capabilities = ["read",\n     "fly"]\n}\n',
            'path "a": invalid capability "fly"',
            3,
            6,
        ),
        (
            '\npath "a/+*" {\n  capabilities = ["read"]\n}\n',
            "path \"a/+*\": invalid use of wildcards ('+*' is forbidden)",
            2,
            6,
        ),
        (
            'path "a" {\n  min_wrapping_ttl = "2h"\n  max_wrapping_ttl = "1h"\n}\n',
            'path "a": max_wrapping_ttl cannot be less than min_wrapping_ttl',
            1,
            6,
        ),
        (
            'path "a" {\n  max_wrapping_ttl = "soon"\n}\n',
            "path \"a\": error parsing max_wrapping_ttl: invalid duration 'soon'",
            2,
            22,
        ),
        (
            'path "a" {\n  capabilities = "read"\n  required_parameters = [1]\n}\n',
            'path "a": "required_parameters" must be a list of strings',
            3,
            26,
        ),
    ],
)
def test_validation_errors(text: str, message: str, line: int, column: int) -> None:
    error = _error(text)
    assert str(error) == f"failed to parse policy: {message}"
    assert (error.line, error.column) == (line, column)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('path "a" {\n  capabilities = ["read"\n}\n', 3),
        ('path "a" {\n  capabilities ["read"]\n}\n', 2),
        ('path "a" {\n  capabilities = ["read"]\n', 2),
        ('path "a" {\n  capabilities = ["read"]\n}\n}\n', 4),
        ('path "a" {\n\n  capabilities = [read]\n}\n', 3),
        ('path "a" {\n  capabilities = ["read]\n}\n', 2),
        ('path "a" {\n  capabilities = ["read"] $\n}\n', 2),
    ],
)
def test_syntax_errors_name_their_line(text: str, line: int) -> None:
    error = _error(text)
    assert error.line == line
    assert f"on line {line}" in str(error)
    assert error.column is not None and error.column >= 1


def test_syntax_error_wording() -> None:
    error = _error('path "a" {\n  capabilities = ["read" "list"]\n}\n')
    assert str(error) == (
        """failed to parse policy: expected "," or "]", got string 'list' on line 2"""
    )
    assert (error.line, error.column) == (2, 26)


def test_path_with_extra_label_is_rejected() -> None:
    error = _error('path "a" "b" {\n  capabilities = ["read"]\n}\n')
    assert 'path "a": unexpected key "b"' in str(error)


def test_block_must_be_an_object() -> None:
    error = _error('path "a" = "read"\n')
    assert 'path "a": expected a block' in str(error)


def test_parameter_values_keep_types() -> None:
    text = 'path "a" { allowed_parameters = { "n" = [1, 2.5, true, "x", ["l"]], "s" = "one" } }'
    (rule,) = parse_policy("p", text).rules
    assert rule.allowed_parameters == {"n": (1, 2.5, True, "x", ["l"]), "s": ("one",)}


def test_rules_are_hashable_and_compare_without_lines() -> None:
    first = parse_policy("p", 'path "a" { policy = "read" }').rules[0]
    second = parse_policy("p", '\n\npath "a" {\n policy = "read"\n}').rules[0]
    assert first == second and hash(first) == hash(second)
    assert (first.line, second.line) == (1, 3)


def test_json_requires_commas_and_quoted_keys() -> None:
    missing_comma = _error('{\n  "path": {\n    "a": {"capabilities": ["read"]}\n  }\n  "x": 1\n}')
    assert str(missing_comma) == (
        """failed to parse policy: expected "," or "}", got string 'x' on line 5"""
    )
    bare_key = _error("{\n  path: {}\n}")
    assert "expected a quoted key" in str(bare_key) and bare_key.line == 2
    assert parse_policy("p", "  {}").rules == ()


def test_json_top_level_must_be_an_object_and_keys_are_checked() -> None:
    assert _error('{"path": {}} [').line == 1
    error = _error('{\n  "name": "p",\n  "paths": {}\n}')
    assert str(error) == 'failed to parse policy: invalid key "paths" on line 3'


def test_unterminated_string_points_at_its_start() -> None:
    error = _error('path "a" {\n  capabilities = ["read]\n}\n')
    assert str(error) == "failed to parse policy: unterminated string on line 2"
    assert (error.line, error.column) == (2, 19)


def test_illegal_character_reports_line_and_column() -> None:
    error = _error('path "a" {\n  capabilities = ["read"] $\n}\n')
    assert str(error) == "failed to parse policy: Illegal character '$' on line 2"
    assert (error.line, error.column) == (2, 27)
