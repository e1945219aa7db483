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
)
