"""`sealkeep policy fmt`: canonical HCL that parses back to the same rules."""

from __future__ import annotations

import json

from reconciler.vocabulary.policy.fmt import policy_to_hcl
from reconciler.vocabulary.policy.parser import format_policy, parse_policy

MESSY = """
# header comment
path   "secret/data/app/*"{capabilities=["list","read"]
required_parameters=["owner"]
allowed_parameters={"env"=["dev","stag*"],"Owner"=[]}
denied_parameters = {"admin" = []}
min_wrapping_ttl=90
max_wrapping_ttl="1h"}
path "/legacy" { policy = "read" }
path "sys/x" { capabilities = ["read", "deny"]
  comment = "say \\"no\\""
  mfa_methods = ["totp"]
  subscribe_event_types = ["kv*"] }
"""

EXPECTED = """path "secret/data/app/*" {
  capabilities = ["read", "list"]
  required_parameters = ["owner"]
  allowed_parameters = {
    "env" = ["dev", "stag*"]
    "owner" = []
  }
  denied_parameters = {
    "admin" = []
  }
  min_wrapping_ttl = "1m30s"
  max_wrapping_ttl = "1h"
}

path "legacy" {
  capabilities = ["read", "list"]
}

path "sys/x" {
  comment = "say \\"no\\""
  capabilities = ["deny"]
  mfa_methods = ["totp"]
  subscribe_event_types = ["kv*"]
}
"""


def test_format_is_canonical() -> None:
    assert format_policy(MESSY) == EXPECTED


def test_format_is_idempotent_and_keeps_meaning() -> None:
    once = format_policy(MESSY)
    assert format_policy(once) == once
    assert parse_policy("p", once).rules == parse_policy("p", MESSY).rules


def test_json_policy_formats_as_hcl() -> None:
    text = json.dumps({"path": {"a/+/b": {"capabilities": ["update", "create"]}}})
    assert format_policy(text) == 'path "a/+/b" {\n  capabilities = ["create", "update"]\n}\n'


def test_parameter_values_of_every_type_round_trip() -> None:
    text = 'path "p" { allowed_parameters = { "k" = [1, 2.5, true, "s", ["l", 2]] } }'
    policy = parse_policy("p", text)
    assert parse_policy("p", policy_to_hcl(policy)).rules == policy.rules


def test_empty_policy_formats_to_empty_text() -> None:
    assert format_policy("# nothing\n") == ""
