"""Time ACL.check on 1,000 policies x 10 rules against a linear scan over every entry.

Both evaluators see the same merged entries and must answer identically (cross-checked on
the timed sample); only the lookup differs: the compiled ACL uses a dict, a radix tree and a
segment trie for `+` rules, the scan tries every entry and ranks the matches by §9.4.

    python bench/bench_acl.py [-p 1000] [-r 10] [-n 20000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from reconciler.store.acl.acl import ACL
from reconciler.store.acl.entry import Entry
from reconciler.store.acl.plus import Rank, plus_rank
from reconciler.store.logical import Operation
from reconciler.vocabulary.policy.model import Capability, Policy
from reconciler.vocabulary.policy.parser import parse_policy

CAPS = ["create", "read", "update", "patch", "delete", "list", "sudo"]
OPS = [Operation.READ, Operation.LIST, Operation.UPDATE, Operation.CREATE, Operation.DELETE]
_NEEDED = {op: Capability[op.name] for op in Operation}


def _rule_path(rng: random.Random, team: int) -> str:
    app = rng.randrange(20)
    return rng.choice(
        [
            f"secret/data/team{team}/app{app}/*",
            f"secret/metadata/team{team}/*",
            f"secret/data/team{team}/app{app}/config",
            f"database/creds/team{team}-app{app}",
            f"secret/data/+/team{team}/app{app}",
            f"auth/approle/role/team{team}-+/secret-id",
            f"kv/team{team}/+/shared/*",
            f"sys/policies/acl/team{team}-*",
        ]
    )


def make_policies(count: int, rules: int, rng: random.Random) -> list[Policy]:
    """`count` policies of `rules` path blocks each, over team-scoped paths."""
    policies = []
    for index in range(count):
        blocks = []
        for _ in range(rules):
            caps = rng.sample(CAPS, rng.randint(1, 3)) if rng.random() > 0.05 else ["deny"]
            quoted = ", ".join(f'"{c}"' for c in caps)
            path = _rule_path(rng, rng.randrange(count))
            blocks.append(f'path "{path}" {{\n  capabilities = [{quoted}]\n}}\n')
        policies.append(parse_policy(f"team-{index}", "".join(blocks)))
    return policies


def make_requests(count: int, teams: int, rng: random.Random) -> list[tuple[Operation, str]]:
    """Requests that hit exact, glob and `+` rules, and some that match nothing."""
    requests = []
    for _ in range(count):
        team, app = rng.randrange(teams), rng.randrange(20)
        path = rng.choice(
            [
                f"secret/data/team{team}/app{app}/db",
                f"secret/data/team{team}/app{app}/config",
                f"secret/metadata/team{team}/app{app}",
                f"database/creds/team{team}-app{app}",
                f"secret/data/x/team{team}/app{app}",
                f"auth/approle/role/team{team}-+/secret-id",
                f"kv/team{team}/ns/shared/key",
                f"sys/policies/acl/team{team}-web",
                f"unrelated/path/{team}",
            ]
        )
        requests.append((rng.choice(OPS), path))
    return requests


class LinearACL:
    """The same merged entries as ACL, found by scanning all of them on every request."""

    def __init__(self, policies: list[Policy]) -> None:
        merged: dict[tuple[str, bool, bool], Entry] = {}
        for policy in policies:
            for rule in policy.rules:
                key = (rule.path, rule.is_prefix, rule.has_plus)
                merged.setdefault(key, Entry()).merge(rule, policy.name)
        self.entries = [(p, g, h, e) for (p, g, h), e in merged.items()]

    def select(self, op: Operation, path: str) -> Entry | None:
        """The deciding entry for `path`, by a full scan (§9.4)."""
        trimmed = path[:-1] if op is Operation.LIST and path.endswith("/") else None
        for rule_path, is_glob, has_plus, entry in self.entries:
            if not is_glob and not has_plus and rule_path == path:
                return entry
        for rule_path, is_glob, has_plus, entry in self.entries:
            if not is_glob and not has_plus and rule_path == trimmed:
                return entry
        best: tuple[Rank, Entry] | None = None
        parts = path.split("/")
        for rule_path, is_glob, has_plus, entry in self.entries:
            rank = self._rank(rule_path, is_glob, has_plus, path, parts)
            if rank is not None and (best is None or rank > best[0]):
                best = (rank, entry)
        return None if best is None else best[1]

    @staticmethod
    def _rank(
        rule_path: str, is_glob: bool, has_plus: bool, path: str, parts: list[str]
    ) -> Rank | None:
        if has_plus:
            segments = rule_path.split("/")
            if len(parts) < len(segments) or (not is_glob and len(parts) != len(segments)):
                return None
            for index, (want, got) in enumerate(zip(segments, parts, strict=False)):
                last_glob = is_glob and index == len(segments) - 1
                if want != "+" and want != got and not (last_glob and got.startswith(want)):
                    return None
            return plus_rank(rule_path, is_glob)
        if is_glob and path.startswith(rule_path):
            return (len(rule_path), 0, 0, len(rule_path), rule_path)
        return None

    def allowed(self, op: Operation, path: str) -> bool:
        """Whether `op` on `path` is allowed (no request data)."""
        entry = self.select(op, path)
        return entry is not None and not entry.is_deny and _NEEDED[op] in entry.capabilities


def _rate(check: Callable[[Operation, str], bool], requests: list[tuple[Operation, str]]) -> float:
    started = time.perf_counter()
    for op, path in requests:
        check(op, path)
    return len(requests) / (time.perf_counter() - started)


def main() -> None:
    """Build both evaluators, check they agree, then time them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-p", "--policies", type=int, default=1000)
    parser.add_argument("-r", "--rules", type=int, default=10)
    parser.add_argument("-n", "--requests", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(7)
    started = time.perf_counter()
    policies = make_policies(args.policies, args.rules, rng)
    parsed = time.perf_counter()
    acl = ACL(policies)
    compiled = time.perf_counter()
    linear = LinearACL(policies)
    requests = make_requests(args.requests, args.policies, rng)
    # The scan is slow; a slice of the requests is enough to time it and to cross-check.
    sample = requests[: max(1, len(requests) // 20)]
    for op, path in sample:
        if acl.check(op, path).allowed != linear.allowed(op, path):
            raise SystemExit(f"evaluators disagree on {op} {path}")
    allowed = sum(acl.check(op, path).allowed for op, path in requests)
    print(
        f"{args.policies} policies x {args.rules} rules ({len(linear.entries)} entries): "
        f"parsed in {parsed - started:.2f}s, compiled in {compiled - parsed:.3f}s; "
        f"{allowed}/{len(requests)} requests allowed"
    )
    fast_rate = _rate(lambda op, path: acl.check(op, path).allowed, requests)
    slow_rate = _rate(linear.allowed, sample)
    print(f"ACL.check:    {fast_rate:12,.0f} checks/s")
    print(f"linear scan:  {slow_rate:12,.0f} checks/s")
    print(f"ratio:        {fast_rate / slow_rate:12,.1f}x")


if __name__ == "__main__":
    main()
