"""KV v1 driven directly: real memory storage, real storage views, real requests."""

from __future__ import annotations

import pytest

from reconciler.store.engines.kv import KVv1Backend
from reconciler.store.errors import BadRequest, NotFound, UnsupportedOperation
from reconciler.store.logical import Operation
from tests.store.engines.kv_support import SYSTEM_TTL, Mount, make_context

R, W, D, L = Operation.READ, Operation.UPDATE, Operation.DELETE, Operation.LIST


def mount(config: dict[str, object] | None = None) -> Mount:
    ctx, physical = make_context({"version": "1"}, config=config)
    return Mount(KVv1Backend(ctx), physical, ctx.storage)


@pytest.fixture
def kv() -> Mount:
    return mount()


def test_write_then_read(kv: Mount) -> None:
    assert kv.call(W, "app/db", {"password": "hunter2", "port": 5432}) is None
    resp = kv.call(R, "app/db")
    assert resp is not None and resp.status is None
    assert resp.data == {"password": "hunter2", "port": 5432}
    assert resp.warnings == []  # free-form body: no unknown-field warning
    assert resp.secret is not None
    assert resp.secret.ttl == SYSTEM_TTL and resp.secret.renewable is False
    assert resp.secret.lease_id == ""


def test_lease_duration_follows_mount_default() -> None:
    kv = mount({"default_lease_ttl": 600})
    kv.call(W, "k", {"a": "b"})
    resp = kv.call(R, "k")
    assert resp is not None and resp.secret is not None and resp.secret.ttl == 600


@pytest.mark.parametrize(
    ("body", "ttl"),
    [
        ({"ttl": "1h"}, 3600),
        ({"ttl": 90}, 90),
        ({"lease": "15m"}, 900),
        ({"ttl": "30s", "lease": "1h"}, 30),
        ({"ttl": "whenever"}, SYSTEM_TTL),
    ],
)
def test_lease_duration_from_ttl_or_lease_key(kv: Mount, body: dict[str, object], ttl: int) -> None:
    kv.call(W, "k", {"v": "x", **body})
    resp = kv.call(R, "k")
    assert resp is not None and resp.secret is not None and resp.secret.ttl == ttl
    assert resp.data == {"v": "x", **body}


def test_write_replaces_the_whole_value(kv: Mount) -> None:
    kv.call(W, "k", {"a": "1", "b": "2"})
    kv.call(Operation.CREATE, "k", {"c": "3"})
    assert kv.ok(R, "k") == {"c": "3"}


def test_empty_body_is_rejected(kv: Mount) -> None:
    with pytest.raises(BadRequest) as err:
        kv.call(W, "k", {})
    assert err.value.messages == ["missing data fields"]
    assert kv.snapshot() == {}


def test_read_missing_is_bare_404(kv: Mount) -> None:
    with pytest.raises(NotFound) as err:
        kv.call(R, "missing")
    assert err.value.messages == []
    with pytest.raises(NotFound):
        kv.call(R, "")


def test_delete(kv: Mount) -> None:
    kv.call(W, "k", {"a": "1"})
    assert kv.call(D, "k") is None
    with pytest.raises(NotFound):
        kv.call(R, "k")
    assert kv.call(D, "k") is None  # deleting a missing key is fine
    assert kv.snapshot() == {}


def test_list_sorted_with_folders(kv: Mount) -> None:
    for key in ("b", "a", "team/x", "team/y/z", "a/inner"):
        kv.call(W, key, {"v": "1"})
    assert kv.ok(L, "")["keys"] == ["a", "a/", "b", "team/"]
    assert kv.ok(L, "team/")["keys"] == ["x", "y/"]
    assert kv.ok(L, "team")["keys"] == ["x", "y/"]


def test_list_missing_prefix_is_404(kv: Mount) -> None:
    with pytest.raises(NotFound):
        kv.call(L, "")
    kv.call(W, "a", {"v": "1"})
    with pytest.raises(NotFound):
        kv.call(L, "nothing/")


def test_existence_check(kv: Mount) -> None:
    assert kv.exists("k") is False
    kv.call(W, "k", {"a": "1"})
    assert kv.exists("k") is True
    assert kv.exists("") is False


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "a//b", "a/", "./a"])
def test_paths_cannot_escape(kv: Mount, key: str) -> None:
    with pytest.raises(BadRequest) as err:
        kv.call(W, key, {"a": "b"})
    assert f'invalid key path "{key}"' in str(err.value)
    assert kv.snapshot() == {}
    with pytest.raises(BadRequest):
        kv.call(R, key)


def test_write_to_the_mount_root_is_rejected(kv: Mount) -> None:
    with pytest.raises(BadRequest, match="invalid key path"):
        kv.call(W, "", {"a": "b"})


def test_patch_is_unsupported(kv: Mount) -> None:
    kv.call(W, "k", {"a": "1"})
    with pytest.raises(UnsupportedOperation):
        kv.call(Operation.PATCH, "k", {"a": "2"})


def test_secret_values_never_in_errors(kv: Mount) -> None:
    with pytest.raises(BadRequest) as err:
        kv.call(W, "a/../b", {"password": "s3cr3t"})
    assert "s3cr3t" not in str(err.value)
