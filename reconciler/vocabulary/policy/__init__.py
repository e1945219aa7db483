"""The ACL policy language: parse Vault HCL/JSON policies into a `Policy`, print it back.

Evaluation (compiling policies into an ACL and checking requests) is the store's job
(`reconciler.store.acl`); this package only knows what a policy says.
"""

from reconciler.vocabulary.policy.fmt import policy_to_hcl
from reconciler.vocabulary.policy.model import Capability, PathRule, Policy, PolicyParseError
from reconciler.vocabulary.policy.parser import format_policy, parse_policy

__all__ = [
    "Capability",
    "PathRule",
    "Policy",
    "PolicyParseError",
    "format_policy",
    "parse_policy",
    "policy_to_hcl",
]
