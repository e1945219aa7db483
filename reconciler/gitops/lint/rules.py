"""The rule table: every lint rule, its ID, default severity, and what to do about it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from reconciler.gitops.lint import cleartext, database, leaks, policies, repo_rules, roles
from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding, Rule
from reconciler.gitops.manifests import Severity

E, W = Severity.ERROR, Severity.WARNING


def _no_check(ctx: LintContext) -> Iterator[Finding]:
    """SK000 findings come from loading the manifests, not from a check."""
    return iter(())


RULES: tuple[Rule, ...] = (
    Rule(
        "SK000",
        "manifest-invalid",
        E,
        "Manifests must load",
        "A manifest that does not parse, validate or resolve its references cannot be planned "
        "or applied; the other rules only see the manifests that loaded.",
        "Fix the problem at the file and line shown (run `sealkeep validate` for details).",
        _no_check,
        needs_manifests=False,
        tags=("correctness",),
    ),
    Rule(
        "SK001",
        "policy-mount-wildcard",
        E,
        "Policy grants a wildcard over a whole mount",
        "A path such as `secret/*`, `secret/+/*`, `secret/data/*` or `*` grants access to every "
        "team's secrets in the mount, including paths created later.",
        "Grant the narrowest prefix the application needs, e.g. `secret/data/payments/api/*`.",
        policies.check_mount_wildcards,
    ),
    Rule(
        "SK002",
        "policy-sudo",
        W,
        "Policy grants sudo",
        "`sudo` opens root-protected endpoints (seal, rekey, raw storage, revoke-force).",
        "Remove `sudo`; keep it only in a break-glass operator policy with a short TTL.",
        policies.check_sudo,
    ),
    Rule(
        "SK003",
        "policy-many-roles",
        W,
        "Policy attached to many roles",
        "A policy shared by many roles grows to the union of their needs, so every role ends "
        "up with access it does not use, and one change affects them all.",
        "Give each application its own policy; raise `lint.max_roles_per_policy` if sharing is "
        "intended.",
        policies.check_shared_policies,
    ),
    Rule(
        "SK004",
        "kv-database-password",
        W,
        "Static database password in a KV secret",
        "A password kept in KV is long-lived, shared by every instance and rotated by hand; the "
        "repo already declares a database connection that can issue short-lived logins.",
        "Add a DatabaseRole on the connection and have the app read `database/creds/<role>`; "
        "then delete the KV key.",
        database.check_kv_database_passwords,
    ),
    Rule(
        "SK005",
        "no-audit-device",
        E,
        "No audit device declared",
        "Without an audit device nobody can say who read a secret, or when.",
        "Declare an AuditDevice (kind: AuditDevice, type: file or socket).",
        repo_rules.check_audit_device,
    ),
    Rule(
        "SK006",
        "ttl-missing-or-long",
        W,
        "Token or role without a short max TTL",
        "A token or credential without a max TTL (or with a long one) stays usable long after "
        "it leaks; periodic tokens without an explicit max renew forever.",
        "Set `token_max_ttl` (or `max_ttl` for database roles) to at most `lint.max_ttl` "
        "(24h by default); add `token_explicit_max_ttl` to periodic roles.",
        roles.check_ttls,
    ),
    Rule(
        "SK007",
        "approle-secret-id-ttl",
        W,
        "AppRole secret IDs never expire",
        "A secret ID without a TTL is a permanent password; `bind_secret_id: false` needs none.",
        "Set `secret_id_ttl` (e.g. 24h) and keep `bind_secret_id` true; deliver fresh secret IDs "
        "with response wrapping.",
        roles.check_secret_id_ttl,
    ),
    Rule(
        "SK008",
        "approle-no-cidr",
        W,
        "AppRole not bound to a network",
        "Without a CIDR binding a stolen role_id and secret_id work from anywhere.",
        "Set `secret_id_bound_cidrs` and `token_bound_cidrs` to the app's networks.",
        roles.check_cidr_binding,
    ),
    Rule(
        "SK009",
        "committed-token",
        E,
        "Store token committed",
        "A store token in Git (`hvs.` / `s.` tokens, often the root token) is readable by "
        "everyone who can clone the repo, forever: history keeps it after deletion.",
        "Revoke the token now (`sealkeep token revoke`), then remove it from the file and, if "
        "pushed, from history.",
        leaks.check_committed_credentials,
        needs_manifests=False,
    ),
    Rule(
        "SK010",
        "committed-unseal-key",
        E,
        "Unseal key committed",
        "Unseal key shares in Git let anyone with the repo and the storage read every secret.",
        "Rekey the store (`sealkeep operator rekey`), then remove the shares from the repo and "
        "its history; hand shares to their holders out of band.",
        leaks.check_committed_credentials,
        needs_manifests=False,
    ),
    Rule(
        "SK011",
        "committed-age-key",
        E,
        "age private key committed",
        "An `AGE-SECRET-KEY-1...` identity in Git decrypts every SOPS file encrypted to it.",
        "Generate a new key, re-encrypt (`sealkeep secret updatekeys --all`, then `rotate`), "
        "remove the old key from the repo; keep identities in ~/.config/sops/age/keys.txt.",
        leaks.check_committed_credentials,
        needs_manifests=False,
    ),
    Rule(
        "SK012",
        "no-snapshots",
        W,
        "Single storage node without a snapshot schedule",
        "With one storage node and no snapshots, one lost disk loses every secret.",
        "Declare `store: {snapshot_schedule: ...}` in sealkeep.yaml (and take the snapshots), or "
        "run more than one node (`store: {nodes: 3}`).",
        repo_rules.check_snapshots,
        needs_manifests=False,
    ),
    Rule(
        "SK013",
        "cleartext-secret",
        E,
        "Secret value in clear",
        "A Secret manifest is committed with a value that is not SOPS-encrypted.",
        "Encrypt it: `sealkeep secret set FILE KEY` (value from stdin) or `sealkeep secret edit`; "
        "if it was pushed, rotate the value.",
        cleartext.check_cleartext,
        needs_manifests=False,
    ),
)

RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in RULES}
