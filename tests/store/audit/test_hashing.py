"""Hashing rules (§10.3): what is hashed, what passes through, and the device options."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.store.audit.hashing import FieldHasher, HashConfig, Hasher, hash_structure
from reconciler.store.errors import BadRequest
from reconciler.store.logical import Operation, Response
from tests.store.audit.support import ACCESSOR, TOKEN, entries, file_broker, read_request


def test_hash_is_hmac_sha256_of_salt_and_value() -> None:
    salt = "5f3c2a1e-0000-4000-8000-000000000000"
    expected = hmac.new(salt.encode(), b"s3cret", hashlib.sha256).hexdigest()
    assert Hasher(salt).hash("s3cret") == "hmac-sha256:" + expected
    assert "5f3c" not in repr(Hasher(salt))


def test_structure_hashes_strings_only_and_never_keys() -> None:
    hasher = Hasher("salt")
    value = {
        "user": "alice",
        "n": 3,
        "f": 1.5,
        "flag": False,
        "none": None,
        "nested": {"list": ["a", 1, {"deep": "b"}]},
        "when": datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
    }
    out = hash_structure(value, hasher)
    assert set(out) == set(value)
    assert out["user"] == hasher.hash("alice")
    assert (out["n"], out["f"], out["flag"], out["none"]) == (3, 1.5, False, None)
    assert out["nested"]["list"] == [hasher.hash("a"), 1, {"deep": hasher.hash("b")}]
    assert out["when"] == hasher.hash("2024-05-01T12:00:00Z")


def test_non_hmac_keys_pass_top_level_keys_through() -> None:
    fields = FieldHasher(Hasher("salt"), HashConfig())
    out = fields.data({"role": "web", "secret": "x"}, non_hmac_keys={"role"})
    assert out == {"role": "web", "secret": Hasher("salt").hash("x")}


def test_hmac_accessor_false_logs_accessor_raw(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log, hmac_accessor="false")
    broker.log_request(read_request(), None)
    broker.close()
    [entry] = entries(log)
    assert entry["auth"]["accessor"] == ACCESSOR
    assert entry["request"]["client_token_accessor"] == ACCESSOR
    assert entry["auth"]["client_token"].startswith("hmac-sha256:")


def test_log_raw_hashes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log, log_raw="true")
    broker.log_request(read_request(data={"password": "pw"}), None)
    broker.close()
    [entry] = entries(log)
    assert entry["auth"]["client_token"] == TOKEN
    assert entry["request"]["data"] == {"password": "pw"}


def test_elide_list_responses(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log, elide_list_responses="true")
    req = read_request(path="secret/metadata/", operation=Operation.LIST)
    resp = Response(data={"keys": ["a", "b", "c/"], "key_info": {"a": {}, "b": {}}})
    broker.log_response(req, resp, None)
    broker.log_response(read_request(), Response(data={"keys": ["a"]}), None)
    broker.close()
    listed, read = entries(log)
    assert listed["response"]["data"] == {"keys": 3, "key_info": 2}
    assert read["response"]["data"]["keys"][0].startswith("hmac-sha256:")


def test_bad_boolean_option_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match='invalid value for option "log_raw"'):
        file_broker(tmp_path / "a.log", log_raw="maybe")
