"""The one list of intended differences between Sealkeep and OpenBao, each with its reason.

The differential suite fails on every difference between the two servers that no entry here
matches. A pattern is an `fnmatch` glob over a difference as the harness spells it:
`<scenario>/<step>.<code|body|values>.<key path>: <what>`. Keep this list short: an entry
is a decision, not a way to silence a test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Intended:
    """A difference Sealkeep keeps on purpose, and why."""

    pattern: str
    reason: str


INTENDED: tuple[Intended, ...] = (
    Intended(
        "legacy-ceremonies/*",
        "The unauthenticated sys/rekey/* and sys/generate-root/* endpoints stay open, as in "
        "HashiCorp Vault, because hvac's rekey and root-generation calls use them and a "
        "threshold of key shares is their proof; OpenBao 2.5+ closes them by default (405) in "
        "favour of its authenticated sys/rotate/root/* and sys/generate-root-token/*, which "
        "Sealkeep serves too, in OpenBao's shapes.",
    ),
    Intended(
        "*.body.mount_type: only on sealkeep",
        "Recent HashiCorp Vault releases put mount_type in the envelope and Sealkeep's own "
        "tests and audit entries rely on it; OpenBao 2.x leaves it out. Clients ignore "
        "unknown keys.",
    ),
    Intended(
        "sys-internal/host-info.body.data.*",
        "sys/host-info reports the same sections (cpu, cpu_times, disk, host, memory, "
        "timestamp: compared as values) but not every gopsutil counter inside them; Sealkeep "
        "reads what Python's standard library and /proc give, without a psutil dependency.",
    ),
    Intended(
        "*/cubbyhole-empty-write.code: sealkeep 400 != openbao 500",
        "Writing no data to a cubbyhole path is the caller's mistake: Sealkeep answers 400 "
        "('missing data fields'), where OpenBao reports the same message as a 500.",
    ),
    Intended(
        "kubernetes-config/no-ca.*",
        "With neither kubernetes_ca_cert nor disable_local_ca_jwt, OpenBao requires the pod's "
        "own CA file (/var/run/secrets/kubernetes.io/serviceaccount/ca.crt) at config time; "
        "Sealkeep usually runs outside the cluster, so it accepts the config and verifies the "
        "API server with the system trust store at login.",
    ),
    Intended(
        "jwt-config/unreachable-jwks.*",
        "An identity provider that cannot be reached (unlike one that answers wrongly) does not "
        "fail a JWT config write: Sealkeep accepts it with a warning and fetches keys at the "
        "first login, so config-as-code applies in an isolated network or while the provider "
        "is briefly down (the offline demo applies a GitHub OIDC mount). OpenBao answers 400.",
    ),
    Intended(
        '*.body*.options: sealkeep "null" != openbao {}',
        "A mount enabled without options reads back as options null on Sealkeep; OpenBao says {} "
        "when the request had no options field and null when the CLI enabled it. Clients treat "
        "both as no options.",
    ),
    # OpenBao-only additions that HashiCorp Vault's API does not have; Sealkeep implements the
    # Vault API (shared/reference/vault-api-subset.md), which clients of both servers rely on.
    Intended(
        "kv/v2-metadata.body.data.*metadata_*: only on openbao",
        "OpenBao 2.x's KV metadata check-and-set (current_metadata_version, "
        "metadata_cas_required) is not in HashiCorp Vault's KV v2.",
    ),
    Intended(
        "policies/*read.body*: only on openbao",
        "OpenBao 2.x versions ACL policies (version, modified, cas_required, "
        "allow_*_in_identity_templates); Vault's policy read has name and rules only.",
    ),
    Intended(
        "*.token_strictly_bind_ip: only on openbao",
        "OpenBao-only token field; Vault's auth methods do not have it.",
    ),
    Intended(
        "status/health.body.performance_standby: only on sealkeep",
        "HashiCorp Vault's sys/health has performance_standby (an Enterprise notion OpenBao "
        "dropped); hvac and load balancers read Vault's shape.",
    ),
    Intended(
        "status/leader.body.*: only on sealkeep",
        "Vault's sys/leader answers every key even without HA; OpenBao answers ha_enabled only.",
    ),
    Intended(
        "status/seal-status.body.*_date: only on *",
        "Vault's seal-status has build_date; OpenBao renamed it commit_date.",
    ),
    Intended(
        "status/audit-enable.*",
        "OpenBao 2.x refuses to enable audit devices through the API (config files only); "
        "HashiCorp Vault and Sealkeep allow it, and the reconciler's AuditDevice kind uses it.",
    ),
)
