"""The compiled ACL agrees with a plain reference evaluator written from §9.3, §9.4 and §9.6.

The reference scans every rule of every policy on each request; the ACL under test uses its
dict, radix tree and `+` buckets. Random policies are built from a small alphabet of segments
so that globs, `+` wildcards, shared keys and ties happen often.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.store.acl.acl import ACL
from reconciler.store.logical import Operation
from reconciler.vocabulary.policy.parser import parse_policy

CAPS = ["create", "read", "update", "patch", "delete", "list", "sudo", "deny"]
RULE_SEGMENTS = ["a", "b", "ab", "+", ""]
REQUEST_SEGMENTS = ["a", "b", "ab", "abc", "c", ""]
PARAM_KEYS = ["k", "m"]
PARAM_VALUES = ["x", "y", "y*", "*z"]


# --- reference evaluator --------------------------------------------------------------------


@dataclass
class RefEntry:
    """Merged permissions of one key, built the slow and obvious way."""

    caps: set[str] = field(default_factory=set)
    allowed: dict[str, list[str]] | None = None
    denied: dict[str, list[str]] | None = None


@dataclass
class Candidate:
    """A non-exact entry that matches the request path."""

    first_wildcard: int
    is_glob: bool
    plus_count: int
    path: str
    entry: RefEntry


def merge_maps(old: dict[str, list[str]] | None, new: dict[str, list[str]]) -> Any:
    if not new:
        return old
    merged = {} if old is None else {k: list(v) for k, v in old.items()}
    for key, values in new.items():
        if key in merged and (not values or not merged[key]):
            merged[key] = []
        else:
            merged[key] = merged.get(key, []) + list(values)
    return merged


def ref_merge(entry: RefEntry, caps: set[str], allowed: dict, denied: dict) -> None:
    if "deny" in entry.caps:
        return
    if "deny" in caps:
        entry.caps, entry.allowed, entry.denied = {"deny"}, None, None
        return
    entry.caps |= caps
    entry.allowed = merge_maps(entry.allowed, allowed)
    entry.denied = merge_maps(entry.denied, denied)


def ref_build(policies: list[list[dict[str, Any]]]) -> dict[str, dict[Any, RefEntry]]:
    tables: dict[str, dict[Any, RefEntry]] = {"exact": {}, "glob": {}, "plus": {}}
    for rules in policies:
        for r in rules:
            path = r["path"].removeprefix("/")  # §9.1: a leading "/" is stripped
            is_glob = path.endswith("*")
            key = path[:-1] if is_glob else path
            if "+" in key.split("/"):
                table, table_key = "plus", (key, is_glob)
            else:
                table, table_key = ("glob" if is_glob else "exact"), key
            entry = tables[table].setdefault(table_key, RefEntry())
            ref_merge(entry, set(r["caps"]), r["allowed"], r["denied"])
    return tables


def beats(c1: Candidate, c2: Candidate) -> bool:
    """Whether c1 has higher priority than c2 (§9.4 2a-2e)."""
    if c1.first_wildcard != c2.first_wildcard:
        return c1.first_wildcard > c2.first_wildcard
    if c1.is_glob != c2.is_glob:
        return not c1.is_glob
    if c1.plus_count != c2.plus_count:
        return c1.plus_count < c2.plus_count
    if len(c1.path) != len(c2.path):
        return len(c1.path) > len(c2.path)
    return c1.path > c2.path


def plus_candidate(key: str, is_glob: bool, path: str, entry: RefEntry) -> Candidate | None:
    rule_parts, parts = key.split("/"), path.split("/")
    if len(parts) < len(rule_parts) or (not is_glob and len(parts) != len(rule_parts)):
        return None
    for i, (want, got) in enumerate(zip(rule_parts, parts, strict=False)):
        last_glob = is_glob and i == len(rule_parts) - 1
        if not (want == "+" or want == got or (last_glob and got.startswith(want))):
            return None
    return Candidate(key.index("+"), is_glob, rule_parts.count("+"), key, entry)


def ref_select(tables: dict[str, dict[Any, RefEntry]], op: Operation, path: str) -> Any:
    if path in tables["exact"]:
        return tables["exact"][path]
    if op is Operation.LIST and path.endswith("/") and path[:-1] in tables["exact"]:
        return tables["exact"][path[:-1]]
    candidates: list[Candidate] = []
    globs = [k for k in tables["glob"] if path.startswith(k)]
    if globs:
        longest = max(globs, key=len)
        candidates.append(Candidate(len(longest), True, 0, longest, tables["glob"][longest]))
    for (key, is_glob), entry in tables["plus"].items():
        found = plus_candidate(key, is_glob, path, entry)
        if found is not None:
            candidates.append(found)
    best = None
    for c in candidates:
        if best is None or beats(c, best):
            best = c
    return None if best is None else best.entry


def value_ok(value: str, values: list[str]) -> bool:
    if not values:
        return True
    for v in values:
        if v.startswith("*") and v.endswith("*") and len(v) > 1:
            hit = v[1:-1] in value
        elif v.startswith("*"):
            hit = value.endswith(v[1:])
        elif v.endswith("*"):
            hit = value.startswith(v[:-1])
        else:
            hit = v == value
        if hit:
            return True
    return False


def ref_params(entry: RefEntry, data: dict[str, str]) -> bool:
    if not data:
        return True
    for key, value in data.items():
        if entry.denied and key in entry.denied and value_ok(value, entry.denied[key]):
            return False
    if entry.allowed:
        for key, value in data.items():
            if key not in entry.allowed or not value_ok(value, entry.allowed[key]):
                return False
    return True


def ref_allowed(tables: Any, op: Operation, path: str, data: dict[str, str]) -> bool:
    entry = ref_select(tables, op, path)
    if entry is None or "deny" in entry.caps or op.value not in entry.caps:
        return False
    if op in (Operation.READ, Operation.CREATE, Operation.UPDATE, Operation.PATCH):
        return ref_params(entry, data)
    return True


def ref_capabilities(tables: Any, path: str) -> list[str]:
    entry = ref_select(tables, Operation.LIST, path)
    if entry is None or "deny" in entry.caps or not entry.caps:
        return ["deny"]
    return sorted(entry.caps)


# --- generators -----------------------------------------------------------------------------


@st.composite
def rule_path(draw: st.DrawFn) -> str:
    segments = draw(st.lists(st.sampled_from(RULE_SEGMENTS), min_size=1, max_size=4))
    path = "/".join(segments)
    glob = draw(st.booleans())
    if glob and path.endswith("+"):
        path += "/"  # `+*` is rejected by the parser
    return path + ("*" if glob else "")


param_maps = st.dictionaries(
    st.sampled_from(PARAM_KEYS), st.lists(st.sampled_from(PARAM_VALUES), max_size=2), max_size=2
)
rules = st.fixed_dictionaries(
    {
        "path": rule_path(),
        "caps": st.lists(st.sampled_from(CAPS), max_size=3, unique=True),
        "allowed": st.one_of(st.just({}), param_maps),
        "denied": st.one_of(st.just({}), param_maps),
    }
)
policies = st.lists(st.lists(rules, min_size=1, max_size=6), min_size=1, max_size=4)
request_paths = st.builds(
    lambda segs, slash: "/".join(segs) + ("/" if slash else ""),
    st.lists(st.sampled_from(REQUEST_SEGMENTS), min_size=1, max_size=5),
    st.booleans(),
)
request_data = st.dictionaries(
    st.sampled_from(PARAM_KEYS), st.sampled_from(["x", "y", "yy", "az", "q"]), max_size=2
)


def hcl_map(name: str, params: dict[str, list[str]]) -> str:
    if not params:
        return ""
    inner = " ".join(f'"{k}" = [{", ".join(f"{v!r}" for v in vs)}]' for k, vs in params.items())
    return f"  {name} = {{ {inner} }}\n".replace("'", '"')


def to_hcl(rule_list: list[dict[str, Any]]) -> str:
    blocks = []
    for r in rule_list:
        caps = ", ".join(f'"{c}"' for c in r["caps"])
        body = f"  capabilities = [{caps}]\n"
        body += hcl_map("allowed_parameters", r["allowed"])
        body += hcl_map("denied_parameters", r["denied"])
        blocks.append(f'path "{r["path"]}" {{\n{body}}}\n')
    return "".join(blocks)


@settings(max_examples=400, deadline=None)
@given(
    policies,
    st.lists(
        st.tuples(st.sampled_from(list(Operation)), request_paths, request_data),
        min_size=1,
        max_size=12,
    ),
)
def test_acl_matches_reference(
    generated: list[list[dict[str, Any]]],
    requests: list[tuple[Operation, str, dict[str, str]]],
) -> None:
    acl = ACL([parse_policy(f"p{i}", to_hcl(p)) for i, p in enumerate(generated)])
    tables = ref_build(generated)
    for op, path, data in requests:
        assert acl.check(op, path, data).allowed == ref_allowed(tables, op, path, data), (
            op,
            path,
            data,
        )
        assert acl.capabilities(path) == ref_capabilities(tables, path), path
