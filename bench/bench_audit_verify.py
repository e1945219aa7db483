"""Benchmark: `audit verify` lines per second on a 1,000,000-line audit file (target >= 100k).

The file is made of real entries (built by the audit entry builder and hashed with a device
salt) chained by the device's own line encoder, keyed as a server's device writes them (a
chain key, segment 1); only the JSON serialisation is done once per template, with the
request id and time varied per line, so generating the file is quick. Verify is timed twice
in one run: without the key (plain SHA-256 linkage) and with it (every line's HMAC too, then
the checkpoint of the whole file).

    python bench/bench_audit_verify.py [--lines N] [--keep PATH] [--plain]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid

from reconciler.store.audit.chain import ChainHead, ChainKey, chain_body
from reconciler.store.audit.checkpoints import Checkpoint
from reconciler.store.audit.entry import build_request_entry, build_response_entry
from reconciler.store.audit.hashing import FieldHasher, HashConfig, Hasher
from reconciler.store.audit.ledger import ChainMaterial
from reconciler.store.audit.proof import verify_proved
from reconciler.store.audit.verify import VerifyResult, verify
from reconciler.store.logical import Operation, Request, Response


def _templates() -> list[str]:
    """Serialised request and response entries with placeholders for id and time."""
    fields = FieldHasher(Hasher(str(uuid.uuid4())), HashConfig())
    req = Request(
        operation=Operation.READ,
        path="secret/data/payments/api",
        token="hvs.CAESIbenchtoken000000000000",
        remote_addr="10.20.30.40",
        remote_port=50123,
        mount_point="secret/",
        mount_type="kv",
        mount_accessor="kv_e986ebab",
        mount_class="secret",
        client_token_accessor="BenchAccessor00000000000",
        display_name="approle-payments",
        policies=["default", "payments-read"],
        headers={"X-Sealkeep-Correlation-Id": "bench"},
        id="@ID@",
    )
    resp = Response(data={"data": {"user": "svc", "password": "x"}, "metadata": {"version": 3}})
    out = []
    for entry in (
        build_request_entry(req, None, fields, 0.0),
        build_response_entry(req, resp, None, fields, 0.0),
    ):
        entry["time"] = "@TIME@"
        out.append(json.dumps(entry, separators=(",", ":")))
    return out


def generate(path: str, count: int, key: ChainKey | None) -> tuple[int, ChainHead, str]:
    """Write `count` chained lines to `path` (keyed with `key` unless None); returns the file
    size in bytes, the chain head and the first line's digest."""
    templates = _templates()
    head = ChainHead()
    first = ""
    signer = (key, 1) if key is not None else None
    base = time.time() - count
    with open(path, "wb", buffering=1 << 20) as handle:
        for index in range(count):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + index // 2))
            body = (
                templates[index % 2]
                .replace("@ID@", f"00000000-0000-4000-8000-{index // 2:012d}")
                .replace("@TIME@", f"{stamp}.{index % 1000:03d}000000Z")
            )
            line, head = chain_body(body, head, "", signer)
            handle.write(line)
            first = first or head.digest
    return os.path.getsize(path), head, first


def _material(key: ChainKey, head: ChainHead, first: str, size: int) -> ChainMaterial:
    """The key and the checkpoint a server would hold for the whole file."""
    cp = Checkpoint(1, 1, first, head.seq, head.digest, 0, size, "bench", time.time(), "close")
    return ChainMaterial("file/", "bench", key, (cp.signed(key),))


def _timed(label: str, run: object, lines: int, size: int) -> float:
    started = time.perf_counter()
    results: list[VerifyResult] = run()  # type: ignore[operator]
    took = time.perf_counter() - started
    if not all(r.ok for r in results) or results[0].lines != lines:
        raise SystemExit(f"verify failed: {results[0].problem}")
    rate = lines / took
    mbs = size / took / 1e6
    print(f"{label}: {lines} lines in {took:.2f}s = {rate:,.0f} lines/s ({mbs:.0f} MB/s)")
    return rate


def write_cost(key: ChainKey, rounds: int = 20000) -> tuple[float, float]:
    """Microseconds to chain one response line, plain and keyed (what a device adds per line)."""
    body = _templates()[1]
    costs = []
    for signer in (None, (key, 1)):
        head = ChainHead()
        started = time.perf_counter()
        for _ in range(rounds):
            _, head = chain_body(body, head, "", signer)
        costs.append((time.perf_counter() - started) / rounds * 1e6)
    return costs[0], costs[1]


def main() -> None:
    """Generate the file, verify it without and with the key, print lines/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", help="write the file here and keep it")
    parser.add_argument("--plain", action="store_true", help="unkeyed lines (the old format)")
    args = parser.parse_args()
    key = None if args.plain else ChainKey(os.urandom(32))
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or os.path.join(folder, "audit.log")
        started = time.perf_counter()
        size, head, first = generate(path, args.lines, key)
        print(
            f"generated {args.lines} lines ({size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f}s"
        )
        _timed("audit verify, no key", lambda: [verify(path)], args.lines, size)
        if key is not None:
            material = _material(key, head, first, size)
            _timed("audit verify, key", lambda: verify_proved([path], material), args.lines, size)
    if key is not None:
        plain, keyed = write_cost(key)
        print(f"chaining one line: plain {plain:.1f} us, keyed {keyed:.1f} us")
    print("target >= 100,000 lines/s")


if __name__ == "__main__":
    main()
