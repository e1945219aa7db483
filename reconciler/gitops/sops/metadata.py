"""The `sops:` block: recipients with their wrapped data key, MAC, timestamps and the rule.

Reads the old style (3.7/3.8: empty `kms: []`, `pgp: []` lists) and the new one; writes the
3.13 style (sorted keys, no empty lists). Key sources other than age are kept as they were
so that a file shared with PGP or KMS users keeps working after an edit or `updatekeys`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.gitops.sops.errors import SopsError
from reconciler.gitops.sops.tree import RULE_KINDS, SelectionRule

SOPS_VERSION = "3.13.2"
_OTHER_SOURCES = ("pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms")


@dataclass(frozen=True, slots=True)
class AgeEntry:
    """One age recipient and the data key wrapped for it (an armored age message)."""

    recipient: str
    enc: str


@dataclass(frozen=True, slots=True)
class KeyGroup:
    """One Shamir key group: its age entries; a share of the data key opens from any of them."""

    age: tuple[AgeEntry, ...]


@dataclass(frozen=True)
class SopsMetadata:
    """The parsed `sops:` block.

    Invariant: `lastmodified` is kept exactly as written, because it is the MAC's AAD.
    """

    age: tuple[AgeEntry, ...]
    lastmodified: str
    mac: str
    version: str = SOPS_VERSION
    selection: SelectionRule | None = None
    mac_only_encrypted: bool = False
    key_groups: tuple[KeyGroup, ...] = ()
    shamir_threshold: int | None = None
    other_sources: Mapping[str, Any] = field(default_factory=dict)

    @property
    def recipients(self) -> tuple[str, ...]:
        """The age recipients of the file (all key groups flattened)."""
        entries = list(self.age) + [e for g in self.key_groups for e in g.age]
        return tuple(e.recipient for e in entries)

    def to_yaml_data(self) -> dict[str, Any]:
        """The block as plain data, keys sorted as sops 3.13 writes them."""
        out: dict[str, Any] = dict(self.other_sources)
        if self.age:
            out["age"] = [{"recipient": e.recipient, "enc": e.enc} for e in self.age]
        out["lastmodified"] = self.lastmodified
        out["mac"] = self.mac
        if self.selection is not None:
            out[self.selection.kind] = self.selection.pattern
        if self.mac_only_encrypted:
            out["mac_only_encrypted"] = True
        out["version"] = self.version
        return {k: out[k] for k in sorted(out)}


def now_rfc3339() -> str:
    """The current UTC time in the form sops writes `lastmodified` (seconds, `Z`)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(block: Any, where: str) -> SopsMetadata:
    """Validate and parse the raw `sops:` mapping of the file named by `where`."""
    if not isinstance(block, Mapping):
        raise SopsError(f"{where}: the sops metadata is missing or is not a mapping")
    for required in ("lastmodified", "mac"):
        if not isinstance(block.get(required), str):
            raise SopsError(f"{where}: sops metadata has no {required!r}")
    rules = [k for k in RULE_KINDS if block.get(k)]
    if len(rules) > 1:
        raise SopsError(f"{where}: sops metadata sets more than one selection rule: {rules}")
    selection = SelectionRule(rules[0], str(block[rules[0]])) if rules else None
    threshold = block.get("shamir_threshold")
    return SopsMetadata(
        age=_age_entries(block.get("age"), where),
        lastmodified=block["lastmodified"],
        mac=block["mac"],
        version=str(block.get("version", "")),
        selection=selection,
        mac_only_encrypted=bool(block.get("mac_only_encrypted", False)),
        key_groups=tuple(
            KeyGroup(_age_entries(g.get("age"), where)) for g in block.get("key_groups") or ()
        ),
        shamir_threshold=int(threshold) if threshold is not None else None,
        other_sources={k: block[k] for k in _OTHER_SOURCES if block.get(k)},
    )


def _age_entries(raw: Any, where: str) -> tuple[AgeEntry, ...]:
    if not raw:
        return ()
    if not isinstance(raw, Sequence):
        raise SopsError(f"{where}: sops.age must be a list")
    entries = []
    for item in raw:
        if not isinstance(item, Mapping) or not item.get("recipient") or not item.get("enc"):
            raise SopsError(f"{where}: sops.age entries need 'recipient' and 'enc'")
        entries.append(AgeEntry(str(item["recipient"]), str(item["enc"])))
    return tuple(entries)
