"""The apply history: one record per apply in the state mount, readable with `history`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.manifests import load_config
from reconciler.gitops.plan.build import PlanContext, open_target
from reconciler.gitops.plan.model import PlanSource

PREFIX = "history/"


@dataclass(frozen=True)
class Outcome:
    """What happened to one change: `applied`, `failed` (with the error) or `not applied`."""

    action: str
    ref: ObjectRef
    status: str
    error: str | None = None


@dataclass(frozen=True)
class ApplyRecord:
    """Who applied what, when, to which target, from which plan and commit, and how it went.

    `source` (None outside Git) names the commit's author, committer and message, and
    whether the tree the plan was made from had uncommitted changes.
    """

    apply_id: str
    actor: str
    host: str
    started_at: str
    finished_at: str
    target: str
    plan_hash: str
    commit: str | None
    status: str
    outcomes: tuple[Outcome, ...] = field(default_factory=tuple)
    source: PlanSource | None = None

    def encode(self) -> dict[str, Any]:
        """JSON form, as stored."""
        return {
            **_encode_source(self.source),
            "apply_id": self.apply_id,
            "actor": self.actor,
            "host": self.host,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "target": self.target,
            "plan_hash": self.plan_hash,
            "commit": self.commit,
            "status": self.status,
            "changes": [
                {
                    "action": o.action,
                    "kind": o.ref.kind,
                    "name": o.ref.name,
                    "address": o.ref.address,
                    "outcome": o.status,
                    "error": o.error,
                }
                for o in self.outcomes
            ],
        }

    @classmethod
    def decode(cls, raw: Mapping[str, Any]) -> ApplyRecord:
        """Back from the stored JSON."""
        outcomes = tuple(
            Outcome(
                c["action"], ObjectRef(c["kind"], c["name"], c["address"]), c["outcome"], c["error"]
            )
            for c in raw.get("changes") or ()
        )
        return cls(
            apply_id=str(raw["apply_id"]),
            actor=str(raw["actor"]),
            host=str(raw["host"]),
            started_at=str(raw["started_at"]),
            finished_at=str(raw["finished_at"]),
            target=str(raw["target"]),
            plan_hash=str(raw["plan_hash"]),
            commit=raw.get("commit"),
            status=str(raw["status"]),
            outcomes=outcomes,
            source=_decode_source(raw),
        )

    @property
    def key(self) -> str:
        """Where it is stored: sortable by time."""
        stamp = self.started_at.replace(":", "").replace("-", "")
        return f"{PREFIX}{stamp}-{self.apply_id}"


def _encode_source(source: PlanSource | None) -> dict[str, Any]:
    if source is None:
        return {}
    return {
        "author": source.author,
        "committer": source.committer,
        "message": source.message,
        "dirty": source.dirty,
        "branch": source.branch,
        "ref": source.ref,
    }


def _decode_source(raw: Mapping[str, Any]) -> PlanSource | None:
    if not raw.get("commit") or "author" not in raw:
        return None
    return PlanSource(
        commit=str(raw["commit"]),
        author=str(raw["author"]),
        committer=str(raw["committer"]),
        message=str(raw["message"]),
        dirty=bool(raw["dirty"]),
        branch=raw.get("branch"),
        ref=raw.get("ref"),
    )


def write_record(state: StateStore, record: ApplyRecord) -> None:
    """Store one apply record."""
    state.ensure()
    state.write(record.key, record.encode())


def read_history(state: StateStore, limit: int = 20) -> list[ApplyRecord]:
    """The latest `limit` apply records, newest first."""
    if not state.exists():
        return []
    keys = sorted(state.list(PREFIX), reverse=True)[:limit]
    records = []
    for key in keys:
        found = state.read(PREFIX + key)
        if found is not None:
            records.append(ApplyRecord.decode(found[0]))
    return records


HISTORY_FORMAT_VERSION = 1


def history_json(records: list[ApplyRecord]) -> str:
    """`history --format json`: `{"kind": "sealkeep-history", "format_version": 1,
    "applies": [...]}`, newest first, each apply as stored (docs/json-output.md)."""
    document = {
        "kind": "sealkeep-history",
        "format_version": HISTORY_FORMAT_VERSION,
        "applies": [r.encode() for r in records],
    }
    return json.dumps(document, indent=2) + "\n"


def history_of(ctx: PlanContext, state_mount: str, limit: int = 20) -> list[ApplyRecord]:
    """The newest `limit` applies recorded in the target of the repo at `ctx.root`."""
    client, _ = open_target(ctx, load_config(ctx.root)[0])
    return read_history(StateStore(client, state_mount), limit)
