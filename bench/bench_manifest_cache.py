"""Benchmark loading a large GitOps repo with the manifest cache off, cold and warm.

Generates the reconcile benchmark's repo (N Secrets as real SOPS files, P Policies, R AppRoles)
once, or reuses one given with `--repo`, then times `load_repo` in this process, best of
`--rounds`:

- no cache (`SEALKEEP_NO_CACHE=1`): every file parsed and schema-checked;
- cold cache (an empty cache folder): the same work, and every result stored;
- warm cache (the folder the cold load filled): unchanged files are looked up, not parsed.

It prints the seconds and the ratios to the no-cache load, and the cache's size on disk.

    python bench/bench_manifest_cache.py                   # 10,000 / 1,000 / 50
    python bench/bench_manifest_cache.py --secrets 1000 --policies 100 --repo /tmp/bench-repo
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reconciler.gitops.manifests.cache import NO_CACHE_ENV  # noqa: E402
from reconciler.gitops.manifests.loader import load_repo  # noqa: E402


def _best(rounds: int, prepare: Callable[[], None], repo: Path) -> float:
    """The fastest of `rounds` loads, each after `prepare()`."""
    best = float("inf")
    for _ in range(rounds):
        prepare()
        start = time.perf_counter()
        result = load_repo(repo)
        best = min(best, time.perf_counter() - start)
        assert result.desired is not None, "the generated repo must load without errors"
    return best


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure(repo: Path, work: Path, rounds: int) -> dict[str, float]:
    """Seconds for a load with no cache, a cold cache and a warm cache."""
    counter = iter(range(1_000_000))
    os.environ[NO_CACHE_ENV] = "1"
    load_repo(repo)  # imports, schemas and the page cache warmed once, untimed
    no_cache = _best(rounds, lambda: None, repo)
    del os.environ[NO_CACHE_ENV]

    def fresh_cache() -> None:
        os.environ["XDG_CACHE_HOME"] = str(work / f"cache-{next(counter)}")

    cold = _best(rounds, fresh_cache, repo)
    warm = _best(rounds, lambda: None, repo)
    size = _size(Path(os.environ["XDG_CACHE_HOME"]))
    return {"no cache": no_cache, "cold cache": cold, "warm cache": warm, "bytes": size}


def main() -> None:
    """Parse the arguments, generate or reuse the repo, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=1_000)
    parser.add_argument("--approles", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repo", type=Path, help="a repo to reuse (generated there if empty)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repo = args.repo or work / "repo"
        if not (repo / "mounts.yaml").exists():
            from bench.bench_reconcile import generate

            generate(repo, args.secrets, args.policies, args.approles)
        figures = measure(repo, work, args.rounds)
    base = figures["no cache"]
    for name in ("no cache", "cold cache", "warm cache"):
        print(f"{name:>11}: {figures[name]:6.2f} s  ratio {figures[name] / base:.2f}")
    print(f"cache size: {figures['bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
