"""The saved plan: explicit JSON encode/decode with a format version and a content hash.

The hash is SHA-256 over the canonical JSON of everything but the hash itself; loading
verifies it, so a hand-edited plan file is refused. No secret value is ever in the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from reconciler.gitops.live.model import ObjectRef, canonical_json
from reconciler.gitops.live.normalise import frozen, plain
from reconciler.gitops.manifests.source import Span
from reconciler.gitops.plan.model import (
    FORMAT_VERSION,
    Action,
    Adoption,
    Change,
    DestroyGuard,
    FieldChange,
    FileChange,
    FilesChanged,
    FileStatus,
    KeptMount,
    KeyChange,
    KeyChangeKind,
    Plan,
    PlanSource,
    TargetInfo,
    Unchanged,
)
from reconciler.vocabulary.errors import SealkeepError

KIND = "sealkeep-plan"


class PlanFileError(SealkeepError):
    """A plan file that cannot be used: unreadable, wrong version, or tampered with."""


def _ref(ref: ObjectRef) -> dict[str, str]:
    return {"kind": ref.kind, "name": ref.name, "address": ref.address}


def _unref(raw: Mapping[str, Any]) -> ObjectRef:
    return ObjectRef(str(raw["kind"]), str(raw["name"]), str(raw["address"]))


def _change(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        **_ref(change.ref),
        "before": change.before,
        "after": change.after,
        "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in change.fields],
        "keys": [
            {"key": c.key, "change": c.change, "before": c.before, "after": c.after}
            for c in change.keys
        ],
        "notes": list(change.notes),
        "desired": None if change.desired is None else plain(dict(change.desired)),
        "source": change.source,
        "adopt": change.adopt,
    }


def _unchange(raw: Mapping[str, Any]) -> Change:
    desired = raw.get("desired")
    return Change(
        action=Action(raw["action"]),
        ref=_unref(raw),
        before=raw.get("before"),
        after=raw.get("after"),
        fields=tuple(FieldChange(f["path"], f["before"], f["after"]) for f in raw["fields"]),
        keys=tuple(
            KeyChange(c["key"], cast(KeyChangeKind, c["change"]), c["before"], c["after"])
            for c in raw["keys"]
        ),
        notes=tuple(raw["notes"]),
        desired=None if desired is None else cast(Mapping[str, Any], frozen(desired)),
        source=raw.get("source"),
        adopt=bool(raw.get("adopt")),
    )


def _source(source: PlanSource) -> dict[str, Any]:
    return {
        "commit": source.commit,
        "author": source.author,
        "committer": source.committer,
        "message": source.message,
        "dirty": source.dirty,
        "branch": source.branch,
        "ref": source.ref,
    }


def _unsource(raw: Mapping[str, Any]) -> PlanSource:
    return PlanSource(
        commit=str(raw["commit"]),
        author=str(raw["author"]),
        committer=str(raw["committer"]),
        message=str(raw["message"]),
        dirty=bool(raw["dirty"]),
        branch=raw.get("branch"),
        ref=raw.get("ref"),
    )


def _files(files: FilesChanged) -> dict[str, Any]:
    return {
        "base": files.base,
        "base_commit": files.base_commit,
        "files": [
            {"path": f.path, "status": f.status, "old_path": f.old_path} for f in files.files
        ],
    }


def _unfiles(raw: Mapping[str, Any]) -> FilesChanged:
    found = tuple(
        FileChange(str(f["path"]), cast(FileStatus, f["status"]), f.get("old_path"))
        for f in raw["files"]
    )
    return FilesChanged(str(raw["base"]), str(raw["base_commit"]), found)


def _optional(plan: Plan) -> dict[str, Any]:
    """Keys present only when set, so plan files saved before they existed keep their hash."""
    extra: dict[str, Any] = {}
    if plan.source is not None:
        extra["source"] = _source(plan.source)
    if plan.files_changed is not None:
        extra["files_changed"] = _files(plan.files_changed)
    if plan.unchanged is not None:
        extra["unchanged"] = {
            "since": plan.unchanged.since,
            "files": plan.unchanged.files,
            "objects": [_ref(r) for r in plan.unchanged.refs],
        }
    if plan.notes:
        extra["notes"] = list(plan.notes)
    return extra


def _unoptional(raw: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if raw.get("source") is not None:
        found["source"] = _unsource(raw["source"])
    if raw.get("files_changed") is not None:
        found["files_changed"] = _unfiles(raw["files_changed"])
    unchanged = raw.get("unchanged")
    if unchanged is not None:
        refs = tuple(_unref(r) for r in unchanged["objects"])
        found["unchanged"] = Unchanged(str(unchanged["since"]), refs, int(unchanged["files"]))
    if raw.get("notes"):
        found["notes"] = tuple(str(n) for n in raw["notes"])
    return found


def encode_plan(plan: Plan) -> dict[str, Any]:
    """The plan as JSON data (without the hash); the shape schemas/plan.schema.json gives."""
    summary = plan.summary()
    return {
        "kind": KIND,
        "format_version": plan.format_version,
        "created_at": plan.created_at,
        "target": {"name": plan.target.name, "address": plan.target.address},
        "state_mount": plan.state_mount,
        "root": plan.root,
        "commit": plan.commit,
        "prune": plan.prune,
        "ephemeral_fingerprints": plan.ephemeral_fingerprints,
        "summary": {
            "add": summary.add,
            "change": summary.change,
            "replace": summary.replace,
            "destroy": summary.destroy,
        },
        "changes": [_change(c) for c in plan.changes],
        "adopt": [{**_ref(a.ref), "fingerprint": a.fingerprint} for a in plan.adopt],
        "forget": [_ref(r) for r in plan.forget],
        "unmanaged": [_ref(r) for r in plan.unmanaged],
        "orphans": [_ref(r) for r in plan.orphans],
        "skipped": [_ref(r) for r in plan.skipped],
        "destroy": {
            "allowed": plan.destroy.allowed,
            "managed": plan.destroy.managed,
            "max_share": plan.destroy.max_share,
            "refused": plan.destroy_reasons() if plan.refused else [],
        },
        "kept": [{**_ref(m.ref), "unmanaged": m.unmanaged} for m in plan.kept],
        "locations": _locations(plan),
        **_optional(plan),
    }


def _digest(data: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(data).encode()).hexdigest()


def plan_hash(plan: Plan) -> str:
    """`sha256:` and the hex digest of the plan's canonical JSON (summary counts included)."""
    return _digest(encode_plan(plan))


def decode_plan(raw: Mapping[str, Any]) -> Plan:
    """A Plan from its JSON data; checks the kind and the format version."""
    if raw.get("kind") != KIND:
        raise PlanFileError("not a sealkeep plan file")
    if raw.get("format_version") != FORMAT_VERSION:
        found = raw.get("format_version")
        raise PlanFileError(
            f"plan format version {found} is not supported (this sealkeep reads {FORMAT_VERSION})",
            hint="make the plan again with `sealkeep plan --out FILE`",
        )
    return Plan(
        created_at=str(raw["created_at"]),
        target=TargetInfo(str(raw["target"]["name"]), str(raw["target"]["address"])),
        state_mount=str(raw["state_mount"]),
        root=str(raw["root"]),
        changes=tuple(_unchange(c) for c in raw["changes"]),
        adopt=tuple(Adoption(_unref(a), str(a["fingerprint"])) for a in raw["adopt"]),
        forget=tuple(_unref(r) for r in raw["forget"]),
        unmanaged=tuple(_unref(r) for r in raw["unmanaged"]),
        orphans=tuple(_unref(r) for r in raw["orphans"]),
        skipped=tuple(_unref(r) for r in raw["skipped"]),
        commit=raw.get("commit"),
        prune=bool(raw["prune"]),
        ephemeral_fingerprints=bool(raw["ephemeral_fingerprints"]),
        destroy=_undestroy(raw["destroy"]),
        kept=tuple(KeptMount(_unref(m), int(m["unmanaged"])) for m in raw["kept"]),
        locations={key: _unspan(str(where)) for key, where in raw["locations"].items()},
        **_unoptional(raw),
    )


def _locations(plan: Plan) -> dict[str, str]:
    """Where Git declares each changed object, so apply errors name file:line:col."""
    wanted = {str(c.ref) for c in plan.changes}
    return {key: str(span) for key, span in sorted(plan.locations.items()) if key in wanted}


def _unspan(text: str) -> Span:
    path, line, column = text.rsplit(":", 2)
    return Span(path, int(line), int(column))


def _undestroy(raw: Mapping[str, Any]) -> DestroyGuard:
    return DestroyGuard(
        allowed=bool(raw["allowed"]), managed=int(raw["managed"]), max_share=float(raw["max_share"])
    )


def dumps_plan(plan: Plan) -> str:
    """The plan file's text: the encoded plan plus its hash."""
    return json.dumps({**encode_plan(plan), "hash": plan_hash(plan)}, indent=2) + "\n"


def save_plan(plan: Plan, path: Path) -> str:
    """Write the plan file; returns its hash."""
    path.write_text(dumps_plan(plan), encoding="utf-8")
    return plan_hash(plan)


def load_plan(path: Path) -> Plan:
    """Read a plan file and verify its hash."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise PlanFileError(f"{path}: not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise PlanFileError(f"{path}: not a sealkeep plan file")
    recorded = raw.pop("hash", None)
    try:
        plan = decode_plan(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{path}: malformed plan file ({exc})") from None
    # The file as read must match too: derived fields (the summary counts, the refusal
    # reasons) are not decoded, so only this catches an edit to them.
    if recorded != plan_hash(plan) or recorded != _digest(raw):
        raise PlanFileError(f"{path}: the plan's hash does not match its content (edited?)")
    return plan
