"""Open (decrypt + verify) and seal (encrypt + MAC) the values of a tree, in place.

Format-agnostic: works on the plain data of the fast loader and on ruamel round-trip trees.
The stash maps (AAD, type, plaintext) to the ciphertext a value had when it was read, so a
value whose plaintext and path did not change keeps its exact ciphertext (sops reuses the IV,
which with the same key, AAD and plaintext gives the same bytes).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from reconciler.gitops.sops import comments, mac, values
from reconciler.gitops.sops.errors import CleartextValueError, SopsError
from reconciler.gitops.sops.metadata import SopsMetadata
from reconciler.gitops.sops.tree import DEFAULT_RULE, CommentLookup, Leaf, SelectionRule, walk

# Several equal values at one path (list items) each keep their own ciphertext, in order.
Stash = dict[tuple[str, str, bytes], list[str]]


def open_values(
    tree: MutableMapping[Any, Any],
    meta: SopsMetadata,
    data_key: bytes,
    where: str,
    heads: CommentLookup | None = None,
) -> tuple[str, Stash]:
    """Decrypt every value in place, check the MAC; returns the MAC hex and the stash."""
    stash: Stash = {}
    leaves: list[Leaf] = []
    cipher = values.cipher_for(data_key)
    for leaf in walk(tree, meta.selection, heads):
        if leaf.encrypted:
            _open_leaf(leaf, cipher, where, stash)
        leaves.append(leaf)
    try:
        computed = mac.compute(leaves, meta.mac_only_encrypted)
    except TypeError:
        raise SopsError(f"{where}: a value has a type sops cannot hash") from None
    mac.verify(computed, meta, cipher, where)
    if isinstance(tree, CommentedMap):
        comments.rewrite(tree, _comment_opener(data_key, stash))
    return computed, stash


def _open_leaf(leaf: Leaf, data_key: values.AESGCM, where: str, stash: Stash) -> None:
    value = leaf.value
    if isinstance(value, str) and value == "":
        return
    if not values.is_encrypted_value(value):
        raise CleartextValueError(
            f"{where}: the value at {leaf.display} is in clear but the file's rule encrypts it"
        )
    try:
        plaintext, value_type = values.decrypt(value, data_key, leaf.aad)
        decoded = values.from_bytes(plaintext, value_type)
    except values.ValueDecodeError as exc:
        raise SopsError(f"{where}: cannot decrypt the value at {leaf.display}: {exc}") from None
    except ValueError:
        raise SopsError(f"{where}: the value at {leaf.display} does not fit its type tag") from None
    stash.setdefault((leaf.aad, value_type, plaintext), []).append(str(value))
    if isinstance(leaf.container, CommentedMap) and isinstance(decoded, str):
        decoded = _readable(decoded)
    leaf.value = decoded
    leaf.replace(decoded)


def _readable(text: str) -> str:
    """Multi-line strings as literal blocks in the edit view, when that round-trips safely."""
    lines = text.split("\n")
    safe = "\n" in text and not text[:1].isspace() and all(line == line.rstrip() for line in lines)
    return LiteralScalarString(text) if safe and "\r" not in text else text


def _comment_opener(data_key: bytes, stash: Stash) -> comments.CommentRewrite:
    def change(text: str, path: comments.KeyPath) -> str:
        if not values.is_encrypted_value(text):
            return text
        aad = ":".join(path) + ":"
        try:
            plaintext, _ = values.decrypt(text, data_key, aad)
        except values.ValueDecodeError:
            return text  # sops also leaves a comment it cannot open as it is
        stash.setdefault((aad, "comment", plaintext), []).append(text)
        return plaintext.decode("utf-8", errors="replace")

    return change


def seal_values(
    tree: MutableMapping[Any, Any],
    selection: SelectionRule | None,
    mac_only_encrypted: bool,
    data_key: bytes,
    stash: Stash,
    heads: CommentLookup | None = None,
) -> str:
    """Encrypt every selected value in place (reusing stashed ciphertexts); returns the MAC hex."""
    stash = {key: list(found) for key, found in stash.items()}  # consumed below
    cipher = values.cipher_for(data_key)
    leaves: list[Leaf] = []
    for leaf in walk(tree, selection, heads):
        try:
            plaintext, value_type = values.to_bytes(leaf.value)
        except TypeError:
            raise SopsError(
                f"the value at {leaf.display} has type {type(leaf.value).__name__}; "
                "sops stores strings, numbers and booleans only"
            ) from None
        leaves.append(leaf)
        if leaf.encrypted and not (isinstance(leaf.value, str) and leaf.value == ""):
            cached = _take(stash, (leaf.aad, value_type, plaintext))
            leaf.replace(cached or values.encrypt(plaintext, value_type, cipher, leaf.aad))
    digest = mac.compute(leaves, mac_only_encrypted)
    if isinstance(tree, CommentedMap):
        comments.rewrite(tree, _comment_sealer(selection or DEFAULT_RULE, data_key, stash))
    return digest


def _comment_sealer(rule: SelectionRule, data_key: bytes, stash: Stash) -> comments.CommentRewrite:
    def change(text: str, path: comments.KeyPath) -> str:
        if values.is_encrypted_value(text) or rule.comment_is_clear(text):
            return text
        aad = ":".join(path) + ":"
        plaintext = text.encode("utf-8")
        return _take(stash, (aad, "comment", plaintext)) or values.encrypt(
            plaintext, "comment", data_key, aad
        )

    return change


def _take(stash: Stash, key: tuple[str, str, bytes]) -> str | None:
    """The next stashed ciphertext for this value; the last one is reused for extra copies."""
    found = stash.get(key)
    if not found:
        return None
    return found.pop(0) if len(found) > 1 else found[0]
