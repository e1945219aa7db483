"""A target's `mount_prefix`: the same repo reconciled under a prefix of a shared store.

Applied once, to the desired state, before anything reads or diffs: every secrets-engine and
auth-method path moves under the prefix, every object that names a mount follows it, and every
policy path that points into one of those mounts is rewritten (HCL policies are re-emitted).
Audit devices are store-wide and keep their paths; `sys/` paths in policies are left alone.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.gitops.manifests import DesiredState
from reconciler.gitops.manifests import kinds as k
from reconciler.vocabulary.policy.fmt import policy_to_hcl
from reconciler.vocabulary.policy.parser import parse_policy

_MOUNTED = (
    k.AppRole,
    k.JWTRole,
    k.KubernetesRole,
    k.AwsAuthRole,
    k.Secret,
    k.DatabaseConnection,
    k.DatabaseRole,
    k.DatabaseStaticRole,
)


class _Prefixer:
    """Rewrites mount paths and policy paths for one prefix and one desired state."""

    def __init__(self, prefix: str, desired: DesiredState) -> None:
        self.prefix = prefix.strip("/") + "/"
        engines = {e.path.strip("/") for e in desired.of_kind(k.SecretsEngine)}
        methods = {m.path.strip("/") for m in desired.of_kind(k.AuthMethod)}
        for obj in desired:
            if isinstance(obj, k.AuthRole):
                methods.add(obj.mount.strip("/"))
            elif isinstance(obj, _MOUNTED):
                engines.add(obj.mount.strip("/"))
        self.engines = engines
        self.methods = methods

    def mount(self, path: str) -> str:
        return self.prefix + path.strip("/")

    def policy_path(self, path: str) -> str:
        """`secret/data/x` -> `<p>/secret/data/x`; `auth/approle/...` -> `auth/<p>/approle/...`."""
        lead = path.lstrip("/")
        if lead.startswith("auth/"):
            rest = lead[len("auth/") :]
            if any(rest == m or rest.startswith(m + "/") for m in self.methods):
                return "auth/" + self.prefix + rest
            return lead
        if any(lead == m or lead.startswith(m + "/") for m in self.engines):
            return self.prefix + lead
        return lead

    def policy(self, policy: k.Policy) -> k.Policy:
        if policy.hcl is not None:
            parsed = parse_policy(policy.name, policy.hcl)
            rules = tuple(replace(r, path=self.policy_path(r.path)) for r in parsed.rules)
            return replace(policy, hcl=policy_to_hcl(replace(parsed, rules=rules)))
        rules_yaml = tuple(replace(r, path=self.policy_path(r.path)) for r in policy.rules)
        return replace(policy, rules=rules_yaml)

    def object(self, obj: k.Manifest) -> k.Manifest:
        if isinstance(obj, k.SecretsEngine | k.AuthMethod):
            return replace(obj, path=self.mount(obj.path))
        if isinstance(obj, _MOUNTED):
            return replace(obj, mount=self.mount(obj.mount))
        if isinstance(obj, k.Policy):
            return self.policy(obj)
        if isinstance(obj, k.RateLimitQuota) and obj.path:  # a global quota stays global
            return replace(obj, path=self.policy_path(obj.path))
        return obj


def with_mount_prefix(desired: DesiredState, prefix: str | None) -> DesiredState:
    """`desired` with every mount under `prefix`; unchanged when there is no prefix."""
    if not prefix or not prefix.strip("/"):
        return desired
    prefixer = _Prefixer(prefix, desired)
    objects = {key: prefixer.object(obj) for key, obj in desired.objects.items()}
    return DesiredState(objects=objects, spans=desired.spans)
