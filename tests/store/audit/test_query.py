"""Query: filters over a real audit file written by the real device and entry builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.store.audit.devices import FileDevice
from reconciler.store.audit.entry import build_request_entry, build_response_entry
from reconciler.store.audit.hashing import FieldHasher, HashConfig, Hasher
from reconciler.store.audit.query import QueryFilter, parse_when, query, summarize
from reconciler.store.logical import Operation, Response
from tests.store.audit.support import ACCESSOR, TOKEN, read_request

SALT = "9a8b7c6d-0000-4000-8000-000000000000"
T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z
DENIED = "1 error occurred:\n\t* permission denied\n\n"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Six entries: reads by two callers, a list, a denied read, from two networks."""
    fields = FieldHasher(Hasher(SALT), HashConfig())
    device = FileDevice(str(tmp_path / "audit.log"))
    other = {"token": "hvs.othertoken00000000000000", "client_token_accessor": "OtherAcc"}
    payments = read_request("secret/data/payments/api")
    write = [
        build_request_entry(payments, None, fields, T0),
        build_response_entry(payments, Response(data={"k": "v"}), None, fields, T0 + 1),
        build_request_entry(
            read_request("secret/data/web/cfg", display_name="ci", remote_addr="192.168.0.9"),
            None,
            fields,
            T0 + 3600,
        ),
        build_request_entry(
            read_request("secret/metadata/", operation=Operation.LIST), None, fields, T0 + 7200
        ),
        build_response_entry(
            read_request("secret/data/payments/db", **other), None, DENIED, fields, T0 + 7300
        ),
        build_request_entry(read_request("sys/mounts", **other), None, fields, T0 + 9000),
    ]
    for entry in write:
        device.write(entry)
    device.close()
    return tmp_path / "audit.log"


def _paths(log: Path, flt: QueryFilter) -> list[tuple[str, str]]:
    return [(e["type"], e["request"]["path"]) for e in query([str(log)], flt)]


def test_no_filter_returns_everything(log: Path) -> None:
    assert len(_paths(log, QueryFilter())) == 6


def test_who_read_secret_x_since_t(log: Path) -> None:
    flt = QueryFilter(
        paths=("secret/data/payments/*",),
        operations=("read",),
        accessors=(Hasher(SALT).hash(ACCESSOR),),
        since=T0 - 1,
    )
    assert _paths(log, flt) == [
        ("request", "secret/data/payments/api"),
        ("response", "secret/data/payments/api"),
    ]


def test_token_filter_uses_the_logged_hmac(log: Path) -> None:
    flt = QueryFilter(tokens=(Hasher(SALT).hash(TOKEN),))
    assert len(_paths(log, flt)) == 4
    assert _paths(log, QueryFilter(tokens=(TOKEN,))) == []  # raw tokens never appear


def test_hmac_matches_token_or_accessor(log: Path) -> None:
    other = Hasher(SALT).hash("OtherAcc")
    assert [p for _, p in _paths(log, QueryFilter(hmacs=(other,)))] == [
        "secret/data/payments/db",
        "sys/mounts",
    ]


def test_operation_type_and_outcome(log: Path) -> None:
    assert _paths(log, QueryFilter(operations=("list",))) == [("request", "secret/metadata/")]
    assert _paths(log, QueryFilter(outcome="error")) == [("response", "secret/data/payments/db")]
    assert len(_paths(log, QueryFilter(outcome="ok"))) == 5
    assert len(_paths(log, QueryFilter(entry_type="response"))) == 2


def test_display_name_and_remote_address(log: Path) -> None:
    assert _paths(log, QueryFilter(display_names=("c*",))) == [("request", "secret/data/web/cfg")]
    assert len(_paths(log, QueryFilter(remote_addresses=("10.0.0.0/8",)))) == 5
    assert len(_paths(log, QueryFilter(remote_addresses=("192.168.0.9",)))) == 1


def test_time_range(log: Path) -> None:
    flt = QueryFilter(since=T0 + 3600, until=T0 + 7200)
    assert [p for _, p in _paths(log, flt)] == ["secret/data/web/cfg", "secret/metadata/"]


def test_truncated_last_line_is_skipped(log: Path) -> None:
    with log.open("ab") as handle:
        handle.write(b'{"chain":{"seq":7,"prev":"00')
    assert len(_paths(log, QueryFilter())) == 6


def test_parse_when() -> None:
    assert parse_when("2024-05-01T12:00:00Z", 0) == T0
    assert parse_when("2024-05-01T14:00:00+02:00", 0) == T0
    assert parse_when("2024-05-01", 0) == T0 - 12 * 3600
    assert parse_when("24h", T0) == T0 - 86400
    assert parse_when("1h30m", T0) == T0 - 5400
    with pytest.raises(ValueError, match="invalid time 'yesterday'"):
        parse_when("yesterday", T0)


def test_summarize_denied_response(log: Path) -> None:
    [entry] = query([str(log)], QueryFilter(outcome="error"))
    row = summarize(entry)
    assert row.outcome == "error: permission denied"
    assert (row.type, row.operation, row.remote_address) == ("response", "read", "10.1.2.3")
