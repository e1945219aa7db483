"""Hold verified files against a device's signed checkpoints (the `ChainMaterial`).

The line MACs prove each line was written by the server; the checkpoints prove where each
segment starts and how far it had got, so a cut at either end shows. What stays unprovable:
the lines of a segment written after its last checkpoint (see `window_note`).
"""

from __future__ import annotations

import json
import os
import time

from reconciler.store.audit.checkpoints import Checkpoint
from reconciler.store.audit.ledger import ChainMaterial
from reconciler.store.audit.verify import Problem, SegmentSpan, VerifyResult, verify_files


def verify_proved(paths: list[str], material: ChainMaterial) -> list[VerifyResult]:
    """Verify files (oldest first) with the device's key, then against its checkpoints."""
    targets = {cp.seg: cp.head_seq for cp in material.checkpoints}
    results = verify_files(paths, material.key, targets)
    if all(r.ok for r in results):
        check(results, material)
    return results


def _when(cp: Checkpoint) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cp.time))


def _fail(result: VerifyResult, problem: Problem) -> None:
    if result.problem is None:
        result.problem = problem


def _spans(results: list[VerifyResult]) -> dict[int, tuple[int, int, SegmentSpan]]:
    """seg -> (index of the file it starts in, index it ends in, merged span)."""
    merged: dict[int, tuple[int, int, SegmentSpan]] = {}
    for index, result in enumerate(results):
        for seg, span in result.segments.items():
            if seg in merged:
                start, _, first = merged[seg]
                head = span.head_digest or first.head_digest
                joined = SegmentSpan(first.first, first.first_line, span.last, head)
                merged[seg] = (start, index, joined)
            else:
                merged[seg] = (index, index, span)
    return merged


def load_export(path: str) -> ChainMaterial:
    """Read a file written by `audit export-key`; raises ValueError naming what is wrong."""
    with open(path, "rb") as handle:
        try:
            doc = json.loads(handle.read())
        except ValueError:
            raise ValueError(f"{path}: not JSON, so not a Sealkeep audit chain export") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a Sealkeep audit chain export")
    try:
        return ChainMaterial.from_json(doc)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def save_export(path: str, material: ChainMaterial) -> None:
    """Write an export readable by its owner only; never overwrites (FileExistsError)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(material.to_json(), handle, indent=2)
        handle.write("\n")


def check(results: list[VerifyResult], material: ChainMaterial) -> None:
    """Record the first problem of each file found against `material`, and notes."""
    if not results:
        return
    bad = [cp.seg for cp in material.checkpoints if not cp.valid(material.key)]
    if bad:
        _fail(
            results[0],
            Problem(
                0,
                "forged",
                f"checkpoint(s) of segment {bad} are not signed "
                "with this key: the export was altered or is another device's",
            ),
        )
        return
    cps = {cp.seg: cp for cp in material.checkpoints}
    if not any(r.lines for r in results):
        _check_missing(results, cps, 0, 0)  # every checkpointed segment is gone
        return
    if not any(r.keyed for r in results if r.lines):
        problem = Problem(
            1,
            "forged",
            "the lines carry no mac: they were not written by a keyed Sealkeep device "
            "(or were rewritten without)",
        )
        _fail(results[0], problem)
        return
    spans = _spans(results)
    for seg, (start, end, span) in sorted(spans.items()):
        cp = cps.get(seg)
        if cp is None:
            results[end].notes.append(f"segment {seg} has no checkpoint: its ends are unchecked")
            continue
        _check_head(results[start], seg, span, cp, seg - 1 in spans)
        _check_tail(results[end], seg, span, cp)
    if spans:
        _check_missing(results, cps, min(spans), max(spans))


def _check_head(
    result: VerifyResult, seg: int, span: SegmentSpan, cp: Checkpoint, has_previous: bool
) -> None:
    first = span.first
    if first.seq > cp.start_seq:
        _fail(
            result,
            Problem(
                span.first_line,
                "head-cut",
                f"segment {seg} starts at seq {cp.start_seq} (checkpoint of "
                f"{_when(cp)}) but here at seq {first.seq}: "
                f"{first.seq - cp.start_seq} line(s) cut from its head",
            ),
        )
    elif first.seq == cp.start_seq and first.digest != cp.start_digest:
        _fail(
            result,
            Problem(
                span.first_line,
                "forged",
                f"line {span.first_line} does not match segment {seg}'s checkpointed first line",
            ),
        )
    elif span.first_line == 1 and cp.start_offset > 0 and not has_previous:
        _fail(
            result,
            Problem(
                1,
                "head-cut",
                f"segment {seg} began at byte {cp.start_offset} of {cp.file}, "
                "after earlier lines that are not here: the file's head was cut "
                "(or pass its earlier part too)",
            ),
        )


def _check_tail(result: VerifyResult, seg: int, span: SegmentSpan, cp: Checkpoint) -> None:
    last = span.last
    if last.seq < cp.head_seq:
        _fail(
            result,
            Problem(
                result.lines,
                "tail-cut",
                f"segment {seg} had reached seq {cp.head_seq} at the checkpoint of "
                f"{_when(cp)} (byte {cp.offset} of {cp.file}) but ends here at seq "
                f"{last.seq}: {cp.head_seq - last.seq} line(s) cut from its tail",
            ),
        )
        return
    if span.head_digest != cp.head_digest:
        _fail(
            result,
            Problem(
                result.lines,
                "forged",
                f"the line at seq {cp.head_seq} of segment {seg} does not match its checkpoint",
            ),
        )
        return
    result.notes.append(window_note(seg, cp, last.seq))


def window_note(seg: int, cp: Checkpoint, last_seq: int) -> str:
    """What cannot be proved: the lines after the segment's last checkpoint."""
    after = last_seq - cp.head_seq
    return (
        f"segment {seg} proved complete up to seq {cp.head_seq} (checkpoint of {_when(cp)}); "
        f"{after} line(s) after it are authentic but could have been cut undetected"
    )


def _check_missing(
    results: list[VerifyResult], cps: dict[int, Checkpoint], low: int, high: int
) -> None:
    newer = sorted(seg for seg in cps if seg > high)
    if newer:
        cp = cps[newer[0]]
        _fail(
            results[-1],
            Problem(
                results[-1].lines,
                "tail-cut",
                f"segment {cp.seg} (seq {cp.start_seq} to {cp.head_seq}, "
                f"checkpointed {_when(cp)} in {cp.file}) is not in these files:"
                " its lines were removed, or pass the newer file too",
            ),
        )
    older = sorted(seg for seg in cps if seg < low)
    if older:
        results[0].notes.append(
            f"older segments {older[0]} to {older[-1]} are not in these files (rotated away)"
        )
