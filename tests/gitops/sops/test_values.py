"""Value encoding: type tags, Go float formatting, the ENC[...] form and YAML 1.2 parsing."""

from __future__ import annotations

import os

import pytest

from reconciler.gitops.sops import SopsError, is_encrypted_value, values, yamlio


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"),
        (1e20, "100000000000000000000"),
        (0.1, "0.1"),
        (1.5e-7, "0.00000015"),
        (-2.5, "-2.5"),
        (123456.789, "123456.789"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
    ],
)
def test_float_formatting_matches_go(number: float, text: str) -> None:
    assert values.format_float(number) == text


@pytest.mark.parametrize(
    ("value", "plaintext", "tag"),
    [("x", b"x", "str"), (42, b"42", "int"), (True, b"True", "bool"), (False, b"False", "bool")],
)
def test_type_tags(value: values.Scalar, plaintext: bytes, tag: str) -> None:
    assert values.to_bytes(value) == (plaintext, tag)


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_bool_accepts_go_parsebool_forms(text: str) -> None:
    assert values.from_bytes(text.encode(), "bool") is True


def test_encrypt_decrypt_and_form() -> None:
    key = os.urandom(32)
    enc = values.encrypt_scalar(3.25, key, "a:b:")
    assert is_encrypted_value(enc)
    parsed = values.parse(enc)
    assert len(parsed.iv) == 32 and len(parsed.tag) == 16 and parsed.type == "float"
    assert values.decrypt_scalar(enc, key, "a:b:") == 3.25
    with pytest.raises(values.ValueDecodeError):
        values.decrypt_scalar(enc, key, "a:c:")


def test_empty_string_stays_empty() -> None:
    assert values.encrypt_scalar("", os.urandom(32), "a:") == ""


def test_bad_type_payload_hides_plaintext() -> None:
    key = os.urandom(32)
    enc = values.encrypt(b"not-a-number", "int", key, "k:")
    with pytest.raises(values.ValueDecodeError) as caught:
        values.decrypt_scalar(enc, key, "k:")
    assert "not-a-number" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("text", ["plain", "ENC[AES256_GCM,data:", 5, None])
def test_is_encrypted_value_rejects_others(text: object) -> None:
    assert not is_encrypted_value(text)


def test_yaml_12_rules() -> None:
    tree = yamlio.load_fast("a: yes\nb: on\nc: 1:20\n<<: x\nd: 2024-01-01\ne: 0o17\nf: true\n", "t")
    assert tree == {
        "a": "yes",
        "b": "on",
        "c": "1:20",
        "<<": "x",
        "d": "2024-01-01",
        "e": 15,
        "f": True,
    }
    rt = yamlio.load_roundtrip("a: yes\n<<: x\nd: 2024-01-01\n", "t")
    assert dict(rt) == {"a": "yes", "<<": "x", "d": "2024-01-01"}


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(SopsError, match=r"t\.yaml"):
        yamlio.load_fast("a: 1\na: 2\n", "t.yaml")
    with pytest.raises(SopsError, match=r"t\.yaml"):
        yamlio.load_roundtrip("a: 1\na: 2\n", "t.yaml")


def test_yaml_error_shows_position_not_content() -> None:
    with pytest.raises(SopsError) as caught:
        yamlio.load_fast('a: 1\nb: "hunter2\n', "t.yaml")
    assert "hunter2" not in str(caught.value)
    assert "line" in str(caught.value)
