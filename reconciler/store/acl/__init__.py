"""ACL policies: parse Vault HCL/JSON policies, compile them into an ACL, evaluate requests.

`parse_policy` gives a `Policy`; `ACL(policies)` compiles a token's policies once and
answers `check(operation, path, data)` per request by the rules of Vault's ACL (§9).
"""

from reconciler.store.acl.acl import ACL, ACLResult
from reconciler.store.acl.builtin import (
    BUILTIN_NAMES,
    DEFAULT_POLICY,
    RESPONSE_WRAPPING_POLICY,
)
from reconciler.vocabulary.policy.fmt import policy_to_hcl
from reconciler.vocabulary.policy.model import Capability, PathRule, Policy, PolicyParseError
from reconciler.vocabulary.policy.parser import format_policy, parse_policy

__all__ = [
    "ACL",
    "BUILTIN_NAMES",
    "DEFAULT_POLICY",
    "RESPONSE_WRAPPING_POLICY",
    "ACLResult",
    "Capability",
    "PathRule",
    "Policy",
    "PolicyParseError",
    "format_policy",
    "parse_policy",
    "policy_to_hcl",
]
