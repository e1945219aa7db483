"""Decrypt N Secret manifests (5 keys each, one real age key): files/s in one process and in bulk.

Both modes decrypt the same files in the same run, in alternating rounds, so a busy machine
weighs on both alike. Nothing is cached across files: each decryption unwraps its own data key
with age, parses its YAML, decrypts every value with its AAD and verifies the MAC.

- single: `decrypt_file` in a loop, in this process.
- bulk: `decrypt_files` (worker processes, one per usable CPU unless `--workers`); its results
  are checked equal to the single-process ones.

Besides wall-clock files/s, each mode reports the CPU time it spent per file (for bulk: this
process and its workers), which moves much less than files/s when other jobs share the cores.

    python bench/bench_sops.py [-n 2000] [--rounds 3] [--workers N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyrage import x25519

from reconciler.gitops.sops import (
    CreationRule,
    SelectionRule,
    decrypt_file,
    decrypt_files,
    encrypt_tree,
)


def _secret(index: int) -> dict[str, object]:
    return {
        "apiVersion": "sealkeep.io/v1",
        "kind": "Secret",
        "metadata": {"name": f"app-{index}", "owner": "team-bench"},
        "spec": {
            "mount": "kv",
            "path": f"bench/app-{index}",
            "data": {f"key{k}": f"value-{index}-{k}" for k in range(5)},
        },
    }


def _write(folder: Path, count: int, recipient: str) -> list[Path]:
    rule = CreationRule(age=(recipient,), selection=SelectionRule("encrypted_regex", "^data$"))
    paths = []
    for index in range(count):
        path = folder / f"app-{index}.yaml"
        path.write_text(encrypt_tree(_secret(index), [recipient], rule), encoding="utf-8")
        paths.append(path)
    return paths


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have exited (the bulk workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(run: Callable[[], list[Any]]) -> tuple[float, float, list[Any]]:
    wall, cpu = time.perf_counter(), _cpu_seconds()
    docs = run()
    return time.perf_counter() - wall, _cpu_seconds() - cpu, docs


def _report(name: str, count: int, samples: list[tuple[float, float]]) -> None:
    rates = sorted(count / wall for wall, _ in samples)
    cpu_us = statistics.median(cpu for _, cpu in samples) / count * 1e6
    print(
        f"{name:>6}: median {statistics.median(rates):>6,.0f} files/s, best {rates[-1]:>6,.0f}, "
        f"worst {rates[0]:>6,.0f} over {len(rates)} rounds; CPU {cpu_us:,.0f} us/file"
    )


def main() -> None:
    """Write the files, then time both modes over the same files in alternating rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="bulk workers (default: CPUs)")
    args = parser.parse_args()
    identity = x25519.Identity.generate()
    keys = [str(identity)]
    single: list[tuple[float, float]] = []
    bulk: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sops-") as folder:
        paths = _write(Path(folder), args.files, str(identity.to_public()))
        for _ in range(args.rounds):
            wall, cpu, want = _timed(lambda: [decrypt_file(p, keys) for p in paths])
            single.append((wall, cpu))
            wall, cpu, got = _timed(
                lambda: [doc for _, doc in decrypt_files(paths, keys, workers=args.workers)]
            )
            bulk.append((wall, cpu))
            if got != want:
                raise SystemExit("bulk results differ from decrypt_file's")
    print(f"{args.files} files, 5 encrypted values each, one age key")
    _report("single", args.files, single)
    _report("bulk", args.files, bulk)
    ratio = statistics.median(w for w, _ in single) / statistics.median(w for w, _ in bulk)
    print(f"bulk / single (median wall time, same run): {ratio:.2f}x")


if __name__ == "__main__":
    main()
