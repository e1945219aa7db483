"""Benchmark: `audit verify` lines per second on a 1,000,000-line audit file (target >= 100k).

The file is made of real entries (built by the audit entry builder and hashed with a device
salt) chained by the device's own line encoder; only the JSON serialisation is done once per
template, with the request id and time varied per line, so generating the file is quick.

    python bench/bench_audit_verify.py [--lines N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid

from reconciler.store.audit.chain import ChainHead, chain_body
from reconciler.store.audit.entry import build_request_entry, build_response_entry
from reconciler.store.audit.hashing import FieldHasher, HashConfig, Hasher
from reconciler.store.audit.verify import verify
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


def generate(path: str, count: int) -> int:
    """Write `count` chained lines to `path`; returns the file size in bytes."""
    templates = _templates()
    head = ChainHead()
    base = time.time() - count
    with open(path, "wb", buffering=1 << 20) as handle:
        for index in range(count):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + index // 2))
            body = (
                templates[index % 2]
                .replace("@ID@", f"00000000-0000-4000-8000-{index // 2:012d}")
                .replace("@TIME@", f"{stamp}.{index % 1000:03d}000000Z")
            )
            line, head = chain_body(body, head)
            handle.write(line)
    return os.path.getsize(path)


def main() -> None:
    """Generate the file, verify it, print lines/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", help="write the file here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or os.path.join(folder, "audit.log")
        started = time.perf_counter()
        size = generate(path, args.lines)
        made = time.perf_counter() - started
        started = time.perf_counter()
        result = verify(path)
        took = time.perf_counter() - started
    if not result.ok or result.lines != args.lines:
        raise SystemExit(f"verify failed: {result.problem}")
    rate = result.lines / took
    print(f"generated {args.lines} lines ({size / 1e6:.0f} MB) in {made:.1f}s")
    print(
        f"audit verify: {result.lines} lines in {took:.2f}s = {rate:,.0f} lines/s "
        f"({size / took / 1e6:.0f} MB/s); target >= 100,000 lines/s"
    )


if __name__ == "__main__":
    main()
