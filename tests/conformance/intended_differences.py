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
        "*.body.mount_type: only on sealkeep",
        "HashiCorp Vault (1.15+) puts mount_type in every envelope and Sealkeep's own tests and "
        "audit entries rely on it; OpenBao 2.x leaves it out. Clients ignore unknown keys.",
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
)
