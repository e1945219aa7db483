"""The value-by-value three-way merge of plain trees."""

from __future__ import annotations

from reconciler.gitops.mergedriver import merge_trees, same

BASE = {"spec": {"data": {"a": "1", "b": "2", "c": "3"}, "path": "app"}}


def _with(**data: str) -> dict[str, object]:
    return {"spec": {"data": {**BASE["spec"]["data"], **data}, "path": "app"}}  # type: ignore[index]


def test_changes_to_different_keys_both_land() -> None:
    result = merge_trees(BASE, _with(a="ours"), _with(b="theirs"))
    assert result.conflicts == []
    assert result.tree["spec"]["data"] == {"a": "ours", "b": "theirs", "c": "3"}


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    result = merge_trees(BASE, _with(a="x"), _with(a="x"))
    assert (result.conflicts, result.tree["spec"]["data"]["a"]) == ([], "x")


def test_different_changes_to_one_value_conflict_by_path() -> None:
    result = merge_trees(BASE, _with(a="x", b="y"), _with(a="z", b="w"))
    assert result.conflicts == ["spec.data.a", "spec.data.b"]


def test_additions_deletions_and_order() -> None:
    ours = {"spec": {"data": {"a": "1", "c": "3", "new": "o"}, "path": "app"}}
    theirs = {"spec": {"data": {"a": "1", "b": "2", "c": "3", "z": "t"}, "path": "app"}}
    result = merge_trees(BASE, ours, theirs)
    assert list(result.tree["spec"]["data"]) == ["a", "c", "new", "z"]


def test_deleting_a_value_the_other_side_changed_conflicts() -> None:
    ours = {"spec": {"data": {"a": "1", "c": "3"}, "path": "app"}}
    assert merge_trees(BASE, ours, _with(b="changed")).conflicts == ["spec.data.b"]


def test_adding_one_key_on_both_sides_with_different_values_conflicts() -> None:
    result = merge_trees({}, {"k": "1"}, {"k": "2"})
    assert result.conflicts == ["k"]


def test_types_matter() -> None:
    assert not same(1, True)
    assert not same(1, 1.0)
    assert same({"a": [1, {"b": "c"}]}, {"a": [1, {"b": "c"}]})
    assert merge_trees({"n": 1}, {"n": True}, {"n": 1.0}).conflicts == ["n"]
