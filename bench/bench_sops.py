"""Decrypt N Secret manifests (5 keys each, one real age key) and print files per second.

Nothing is cached across files: each decryption unwraps its own data key with age, which is
the dominant cost; parsing uses the C YAML loader (read-only decryption needs no comments).

    python bench/bench_sops.py [-n 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pyrage import x25519

from reconciler.sops import CreationRule, SelectionRule, decrypt_file, encrypt_tree


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


def main() -> None:
    """Write the files, then time decrypting all of them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--files", type=int, default=500)
    args = parser.parse_args()
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    rule = CreationRule(age=(recipient,), selection=SelectionRule("encrypted_regex", "^data$"))
    with tempfile.TemporaryDirectory(prefix="bench-sops-") as folder:
        paths = []
        for index in range(args.files):
            path = Path(folder) / f"app-{index}.yaml"
            path.write_text(encrypt_tree(_secret(index), [recipient], rule), encoding="utf-8")
            paths.append(path)
        keys = [str(identity)]
        started = time.perf_counter()
        for path in paths:
            decrypt_file(path, keys)
        elapsed = time.perf_counter() - started
    print(f"decrypted {args.files} files in {elapsed:.3f}s: {args.files / elapsed:,.0f} files/s")


if __name__ == "__main__":
    main()
