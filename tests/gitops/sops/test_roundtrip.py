"""Property: any tree of str/int/float/bool/null/maps/lists encrypts then decrypts to itself."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.gitops.sops import decrypt_text, encrypt_tree
from tests.gitops.sops.conftest import new_key

KEY = new_key()
_TEXT = st.characters(categories=["L", "N", "P", "S", "Zs"])
keys = st.text(_TEXT, min_size=1, max_size=8).filter(lambda k: k != "sops")
scalars = (
    st.text(max_size=20).filter(lambda s: "\r" not in s)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.none()
)
nodes = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)
trees = st.dictionaries(keys, nodes, min_size=1, max_size=5)


def same(a: Any, b: Any) -> bool:
    """Equality that also checks types (True == 1 in Python, but not in sops)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=60, deadline=None)
@given(trees)
def test_encrypt_then_decrypt_is_identity(tree: dict[str, Any]) -> None:
    text = encrypt_tree(tree, [KEY.recipient], None)
    doc = decrypt_text(text, "prop.yaml", [KEY.identity])
    assert same(doc.tree, tree)
    again = encrypt_tree(doc.tree, [KEY.recipient], None, previous=doc, previous_text=text)
    assert again == text
