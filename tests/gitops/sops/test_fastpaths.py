"""The fast read path gives what the full one gives: YAML events vs PyYAML's constructor, and
the one-pass value opener vs the generic walker (trees, MACs, stashes and error messages)."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
import yaml

from reconciler.gitops.sops import (
    CreationRule,
    SelectionRule,
    SopsError,
    codec,
    decrypt_roundtrip,
    decrypt_text,
    encrypt_tree,
    fastyaml,
    onepass,
    yamlio,
)
from reconciler.gitops.sops.file import _split_sops
from reconciler.gitops.sops.keysources import age
from tests.gitops.sops.conftest import AgeKey

YAML_CASES = [
    "a: 1\nb: 0o17\nc: 017\nd: 0x1F\ne: 1_000\nf: -0b101\ng: +12\nh: 08\n",
    "a: 1.5\nb: 1e3\nc: .inf\nd: -.Inf\ne: .nan\nf: 1_0.5\ng: 1:20\nh: 0.\ni: .5\nj: 1_e3\n",
    "a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\ng: TRUE\nh: tRue\n",
    "a: ~\nb: null\nc:\nd: Null\ne: NULL\nf: nULL\n",
    "<<: {a: 1}\nx: 2001-12-14t21:59:43.10-05:00\ny: 2002-12-14\n= : v\n",
    "a: 'quoted 1'\nb: \"2\"\nc: |\n  lit\n  eral\nd: >\n  folded\ne: 'true'\n",
    "list:\n  - a\n  - - b\n    - c\n  - k: v\n    j: [ ]\n  - {}\n  - ~\n",
    "1: a\n2.5: b\n~: d\n",
    "é: ü\n\"key: colon\": v\n'': empty\n",
    "a: 1\na: 2\n",
    "true: a\n1: b\n",
    ".nan: a\n.NaN: b\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\nb: !!binary aGk=\n",
    "a: !custom x\n",
    "? [a]\n: b\n",
    "a: ! 1\n",
    "%YAML 1.2\n---\na: b\n",
    "--- a\n--- b\n",
    "",
    "---\n",
    "a: b\n  c: d\n",
    "a: '\n",
    "a: 0b_\n",
]


def _same(a: Any, b: Any) -> bool:
    """Equal values of identical types, in the same key order (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(map(repr, a)) == list(map(repr, b)) and all(
            _same(x, y) for x, y in zip(a.values(), b.values(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@pytest.mark.parametrize("text", YAML_CASES)
def test_event_builder_matches_the_full_loader(text: str) -> None:
    fast = fastyaml.load_documents(text)
    try:
        full = list(yaml.load_all(text, Loader=yamlio._FastLoader))
    except (yaml.YAMLError, ValueError):
        assert fast is None  # the full loader reports the error
        return
    assert fast is None or _same(fast, full)


@pytest.mark.parametrize("text", YAML_CASES)
def test_load_fast_outcome_matches_the_full_loader(text: str) -> None:
    def outcome(load: Any) -> Any:
        try:
            return ("ok", load(text, "f.yaml"))
        except SopsError as exc:
            return ("error", str(exc))

    fast, full = outcome(yamlio.load_fast), outcome(yamlio._load_full)
    assert fast[0] == full[0]
    assert _same(fast[1], full[1]) if fast[0] == "ok" else fast[1] == full[1]


def test_a_number_that_does_not_parse_is_a_sops_error() -> None:
    with pytest.raises(SopsError) as caught:
        yamlio.load_fast("a: !!int 0x_\n", "bad.yaml")
    assert str(caught.value).startswith("bad.yaml: invalid YAML")
    assert "0x_" not in str(caught.value)


def test_a_tagged_number_that_does_not_parse_is_a_sops_error_when_editing() -> None:
    with pytest.raises(SopsError) as caught:
        yamlio.load_roundtrip("a: !!int hunter2\n", "bad.yaml")
    assert str(caught.value).startswith("bad.yaml: invalid YAML")
    assert "hunter2" not in str(caught.value)


def test_a_plain_number_lookalike_is_text_as_sops_reads_it() -> None:
    assert yamlio.load_fast("a: 0x_\n", "t.yaml") == {"a": "0x_"}


TREE = {
    "apiVersion": "sealkeep.io/v1",
    "spec": {
        "data": {"user": "app", "empty": "", "n": 7, "f": 1.5, "b": True, "none": None},
        "list": ["x", {"deep": "y", "data": ["z", 0]}, [1, "two"]],
        "clear_unencrypted": "visible",
        "uni": "naïve ✓",
    },
    "<<": "literal merge key",
}
RULES = [
    None,
    SelectionRule("encrypted_regex", "^data$"),
    SelectionRule("unencrypted_regex", "^(apiVersion|list)$"),
    SelectionRule("encrypted_suffix", "data"),
    SelectionRule("unencrypted_suffix", "_unencrypted"),
]


def _both(text: str, key: AgeKey) -> tuple[Any, Any]:
    """The fast path's document (decrypt_text) and the generic walker's (round trip)."""
    return decrypt_text(text, "t.yaml", [key.identity]), decrypt_roundtrip(
        text, "t.yaml", [key.identity]
    )[1]


@pytest.mark.parametrize("mac_only", [False, True])
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.kind if r else "default")
def test_one_pass_matches_the_walker(
    age_key: AgeKey, rule: SelectionRule | None, mac_only: bool
) -> None:
    creation = CreationRule(age=(age_key.recipient,), selection=rule, mac_only_encrypted=mac_only)
    text = encrypt_tree(TREE, [age_key.recipient], creation)
    fast, generic = _both(text, age_key)
    assert _same(fast.tree, generic.tree)
    assert fast.tree == TREE
    assert fast._mac_hex == generic._mac_hex
    assert fast._stash == generic._stash


def _open_both(text: str, key: AgeKey) -> tuple[str, str]:
    """The error message of each opener on the same parsed tree."""
    data_key = age.unwrap(
        _split_sops(yamlio.load_fast(text, "t.yaml"), "t.yaml")[1].age,
        age.parse_identities([key.identity]),
        "t.yaml",
    )
    messages = []
    for opener in (onepass.open_plain, codec.open_values):
        tree, meta = _split_sops(yamlio.load_fast(text, "t.yaml"), "t.yaml")
        with pytest.raises(SopsError) as caught:
            opener(tree, meta, data_key, "t.yaml")  # type: ignore[operator]
        messages.append(str(caught.value))
    return messages[0], messages[1]


def _sealed(key: AgeKey) -> str:
    rule = CreationRule(age=(key.recipient,), selection=SelectionRule("encrypted_regex", "^data$"))
    return encrypt_tree(TREE, [key.recipient], rule)


def _enc(text: str, name: str) -> str:
    found = re.search(rf"\b{name}: (ENC\[[^\]]+\])", text)
    assert found is not None
    return found[1]


def test_same_error_for_a_tampered_value(age_key: AgeKey) -> None:
    text = _sealed(age_key)
    enc = _enc(text, "user")
    fast, generic = _open_both(text.replace(enc, enc.replace("data:", "data:AAAA")), age_key)
    assert fast == generic
    assert "spec.data.user" in fast


def test_same_error_for_a_cleartext_value(age_key: AgeKey) -> None:
    text = _sealed(age_key)
    fast, generic = _open_both(text.replace(_enc(text, "user"), "planted"), age_key)
    assert fast == generic
    assert "planted" not in fast


def test_same_error_for_a_changed_clear_value(age_key: AgeKey) -> None:
    text = _sealed(age_key).replace("literal merge key", "changed")
    assert _open_both(text, age_key)[0] == _open_both(text, age_key)[1]


def test_same_error_for_a_non_string_key(age_key: AgeKey) -> None:
    text = _sealed(age_key).replace("apiVersion:", "7:")
    fast, generic = _open_both(text, age_key)
    assert fast == generic == "non-string key at 7: sops allows string keys only"


def test_invalid_selection_regex_is_a_sops_error(age_key: AgeKey) -> None:
    text = _sealed(age_key).replace("encrypted_regex: ^data$", "encrypted_regex: '[data'")
    with pytest.raises(SopsError) as caught:
        decrypt_text(text, "t.yaml", [age_key.identity])
    assert str(caught.value).startswith("t.yaml: ")
