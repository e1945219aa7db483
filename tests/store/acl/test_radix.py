"""The radix tree's longest-prefix lookup agrees with a scan over every key."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.store.acl.radix import RadixTree

keys = st.text(alphabet="ab/", max_size=6)


def test_basic_lookups() -> None:
    tree: RadixTree[int] = RadixTree()
    for i, key in enumerate(["secret/", "secret/data/", "sys/", "", "secret/data/app"]):
        tree.insert(key, i)
    assert len(tree) == 5
    assert tree.longest_prefix("secret/data/app/x") == ("secret/data/app", 4)
    assert tree.longest_prefix("secret/data/ap") == ("secret/data/", 1)
    assert tree.longest_prefix("secret/meta") == ("secret/", 0)
    assert tree.longest_prefix("other") == ("", 3)
    assert tree.get("secret/data/") == 1
    assert tree.get("secret/data") is None


def test_replace_keeps_size() -> None:
    tree: RadixTree[str] = RadixTree()
    tree.insert("ab", "x")
    tree.insert("ab", "y")
    assert len(tree) == 1 and tree.get("ab") == "y"
    assert RadixTree[str]().longest_prefix("ab") is None


@settings(max_examples=300, deadline=None)
@given(st.lists(keys, max_size=12), st.lists(keys, min_size=1, max_size=8))
def test_matches_linear_scan(stored: list[str], probes: list[str]) -> None:
    tree: RadixTree[str] = RadixTree()
    for key in stored:
        tree.insert(key, key)
    assert len(tree) == len(set(stored))
    for probe in probes:
        matches = [k for k in stored if probe.startswith(k)]
        expected = max(matches, key=len) if matches else None
        found = tree.longest_prefix(probe)
        assert (found[0] if found else None) == expected
        assert tree.get(probe) == (probe if probe in stored else None)
