"""KV v2 driven directly: real memory storage, real storage views, real requests."""

from __future__ import annotations

import re

import pytest

from reconciler.store.engines.kv import KVv1Backend, KVv2Backend, create_kv_backend
from reconciler.store.engines.kv.v2_store import version_key
from reconciler.store.errors import BadRequest, NotFound, UnsupportedOperation
from reconciler.store.logical import Operation
from reconciler.store.storage.view import StorageView
from tests.store.engines.kv_support import CountingStorage, ManualClock, Mount, make_context

R, W, P, D, L = Operation.READ, Operation.UPDATE, Operation.PATCH, Operation.DELETE, Operation.LIST
RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
INVALID = (
    "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate "
    "API endpoints to use. If using the Vault CLI, use 'vault kv {}' for this operation."
)
ROOT = "Non-listing operations on the root of a K/V v2 mount are not supported."


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kv(clock: ManualClock) -> Mount:
    ctx, physical = make_context({"version": "2"})
    return Mount(KVv2Backend(ctx, clock=clock), physical, ctx.storage)


def put(kv: Mount, key: str, data: dict[str, object], **options: object) -> dict[str, object]:
    body: dict[str, object] = {"data": data}
    if options:
        body["options"] = options
    return kv.ok(W, f"data/{key}", body)


# -- factory -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "kind"),
    [({"version": "2"}, KVv2Backend), ({"version": "1"}, KVv1Backend), ({}, KVv1Backend)],
)
def test_factory_picks_the_version_from_mount_options(options: dict[str, str], kind: type) -> None:
    ctx, _ = make_context(options)
    backend = create_kv_backend(ctx)
    assert type(backend) is kind
    assert backend.type_name == "kv"


# -- data: write and read ------------------------------------------------------------------


def test_write_then_read_latest(kv: Mount) -> None:
    written = put(kv, "app/db", {"password": "hunter2"})
    assert written["version"] == 1
    assert written["deletion_time"] == "" and written["destroyed"] is False
    assert written["custom_metadata"] is None
    assert RFC3339NANO.match(str(written["created_time"]))
    read = kv.ok(R, "data/app/db")
    assert read["data"] == {"password": "hunter2"}
    assert read["metadata"] == written


def test_created_time_is_rfc3339nano_utc(kv: Mount) -> None:
    assert put(kv, "k", {"a": 1})["created_time"] == "2024-05-01T12:00:00.5Z"


@pytest.mark.parametrize("version", ["1", 1])
def test_read_a_given_version(kv: Mount, version: object) -> None:
    put(kv, "k", {"n": "one"})
    put(kv, "k", {"n": "two"})
    assert kv.ok(R, "data/k", {"version": version})["data"] == {"n": "one"}
    assert kv.ok(R, "data/k", {"version": 0})["data"] == {"n": "two"}


def test_versions_increase_by_one(kv: Mount) -> None:
    assert [put(kv, "k", {"i": i})["version"] for i in range(3)] == [1, 2, 3]


@pytest.mark.parametrize(("rel", "data"), [("data/nope", {}), ("data/k", {"version": 9})])
def test_read_missing_key_or_version_is_bare_404(
    kv: Mount, rel: str, data: dict[str, object]
) -> None:
    put(kv, "k", {"a": "b"})
    with pytest.raises(NotFound) as err:
        kv.call(R, rel, data)
    assert err.value.messages == []


def test_read_latest_costs_two_storage_gets(clock: ManualClock) -> None:
    counting = CountingStorage()
    ctx, _ = make_context({"version": "2"}, storage=counting)
    kv = Mount(KVv2Backend(ctx, clock=clock), counting, ctx.storage)
    put(kv, "k", {"a": "b"})
    counting.gets = 0
    kv.ok(R, "data/k")
    assert counting.gets == 2


def test_write_without_data_is_rejected(kv: Mount) -> None:
    with pytest.raises(BadRequest, match=r"^no data provided$"):
        kv.call(W, "data/k", {"options": {"cas": 0}})
    with pytest.raises(BadRequest, match=r"^no data provided$"):
        kv.call(W, "data/k", {"data": None})
    assert kv.snapshot() == {}


def test_write_data_must_be_an_object(kv: Mount) -> None:
    with pytest.raises(BadRequest, match='field "data"'):
        kv.call(W, "data/k", {"data": ["a", "b"]})


def test_unknown_fields_are_warned_about(kv: Mount) -> None:
    resp = kv.call(W, "data/k", {"data": {"a": "b"}, "colour": "red", "bogus": 1})
    assert resp is not None
    assert resp.warnings == ["Endpoint ignored these unrecognized parameters: [bogus colour]"]


# -- check-and-set -------------------------------------------------------------------------


def test_cas_zero_creates_only_when_missing(kv: Mount) -> None:
    assert put(kv, "k", {"a": "1"}, cas=0)["version"] == 1
    before = kv.snapshot()
    with pytest.raises(BadRequest, match=r"^check-and-set parameter did not match"):
        put(kv, "k", {"a": "2"}, cas=0)
    assert kv.snapshot() == before
    assert kv.ok(R, "data/k")["data"] == {"a": "1"}


@pytest.mark.parametrize("cas", [1, "1"])
def test_cas_matching_current_version_writes(kv: Mount, cas: object) -> None:
    put(kv, "k", {"a": "1"})
    assert put(kv, "k", {"a": "2"}, cas=cas)["version"] == 2


def test_cas_mismatch_changes_nothing(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    put(kv, "k", {"a": "2"})
    before = kv.snapshot()
    with pytest.raises(BadRequest) as err:
        put(kv, "k", {"a": "3"}, cas=1)
    assert err.value.messages == ["check-and-set parameter did not match the current version"]
    assert kv.snapshot() == before


def test_cas_not_a_number_is_rejected(kv: Mount) -> None:
    with pytest.raises(BadRequest, match='field "cas"'):
        put(kv, "k", {"a": "1"}, cas="latest")


def test_cas_required_by_mount_config(kv: Mount) -> None:
    assert kv.call(W, "config", {"cas_required": True}) is None
    with pytest.raises(BadRequest) as err:
        put(kv, "k", {"a": "1"})
    assert err.value.messages == ["check-and-set parameter required for this call"]
    assert kv.snapshot().keys() == {"config"}
    assert put(kv, "k", {"a": "1"}, cas=0)["version"] == 1


def test_cas_required_by_key_metadata(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    kv.call(W, "metadata/k", {"cas_required": "true"})
    with pytest.raises(BadRequest, match=r"^check-and-set parameter required for this call$"):
        put(kv, "k", {"a": "2"})
    assert put(kv, "k", {"a": "2"}, cas=1)["version"] == 2
    put(kv, "other", {"a": "1"})  # other keys are unaffected


# -- max_versions --------------------------------------------------------------------------


def test_key_max_versions_prunes_oldest(kv: Mount) -> None:
    kv.call(W, "metadata/k", {"max_versions": 3})
    for i in range(5):
        put(kv, "k", {"i": str(i)})
    meta = kv.ok(R, "metadata/k")
    assert sorted(meta["versions"]) == ["3", "4", "5"]
    assert meta["oldest_version"] == 3 and meta["current_version"] == 5
    with pytest.raises(NotFound):
        kv.call(R, "data/k", {"version": 1})
    assert kv.view.get(version_key("k", 1)) is None
    assert kv.view.get(version_key("k", 2)) is None
    assert kv.ok(R, "data/k", {"version": 3})["data"] == {"i": "2"}


def test_mount_max_versions_applies_when_key_has_none(kv: Mount) -> None:
    kv.call(W, "config", {"max_versions": 2})
    for i in range(4):
        put(kv, "k", {"i": str(i)})
    meta = kv.ok(R, "metadata/k")
    assert sorted(meta["versions"]) == ["3", "4"] and meta["oldest_version"] == 3


def test_key_max_versions_beats_mount(kv: Mount) -> None:
    kv.call(W, "config", {"max_versions": 2})
    kv.call(W, "metadata/k", {"max_versions": 4})
    for i in range(5):
        put(kv, "k", {"i": str(i)})
    assert sorted(kv.ok(R, "metadata/k")["versions"]) == ["2", "3", "4", "5"]


def test_default_limit_is_ten(kv: Mount) -> None:
    for i in range(11):
        put(kv, "k", {"i": str(i)})
    meta = kv.ok(R, "metadata/k")
    assert len(meta["versions"]) == 10 and meta["oldest_version"] == 2


def test_oldest_version_is_zero_until_pruned(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    put(kv, "k", {"a": "2"})
    assert kv.ok(R, "metadata/k")["oldest_version"] == 0


def test_negative_max_versions_is_rejected(kv: Mount) -> None:
    with pytest.raises(BadRequest, match="max_versions"):
        kv.call(W, "metadata/k", {"max_versions": -1})
    assert kv.snapshot() == {}


# -- delete_version_after ------------------------------------------------------------------


def test_mount_delete_version_after_sets_deletion_time(kv: Mount, clock: ManualClock) -> None:
    kv.call(W, "config", {"delete_version_after": "1h"})
    written = put(kv, "k", {"a": "b"})
    assert written["deletion_time"] == "2024-05-01T13:00:00.5Z"
    assert kv.ok(R, "data/k")["data"] == {"a": "b"}  # not yet due
    clock.advance(3601)
    resp = kv.call(R, "data/k")
    assert resp is not None and resp.status == 404
    assert resp.data == {"data": None, "metadata": written}


def test_key_delete_version_after_smaller_wins(kv: Mount) -> None:
    kv.call(W, "config", {"delete_version_after": "2h"})
    kv.call(W, "metadata/k", {"delete_version_after": "30m"})
    assert put(kv, "k", {"a": "b"})["deletion_time"] == "2024-05-01T12:30:00.5Z"
    assert kv.ok(R, "metadata/k")["delete_version_after"] == "30m0s"
    kv.call(W, "metadata/j", {"delete_version_after": "3h"})
    assert put(kv, "j", {"a": "b"})["deletion_time"] == "2024-05-01T14:00:00.5Z"


def test_negative_mount_delete_version_after_disables_it(kv: Mount) -> None:
    kv.call(W, "config", {"delete_version_after": -1})
    kv.call(W, "metadata/k", {"delete_version_after": "1h"})
    assert put(kv, "k", {"a": "b"})["deletion_time"] == ""


def test_config_renders_go_durations(kv: Mount) -> None:
    assert kv.ok(R, "config") == {
        "max_versions": 0,
        "cas_required": False,
        "delete_version_after": "0s",
    }
    kv.call(W, "config", {"delete_version_after": 5400, "max_versions": "7"})
    kv.call(W, "config", {"cas_required": True})  # a partial write keeps the rest
    assert kv.ok(R, "config") == {
        "max_versions": 7,
        "cas_required": True,
        "delete_version_after": "1h30m0s",
    }


def test_config_rejects_bad_duration(kv: Mount) -> None:
    with pytest.raises(BadRequest, match='field "delete_version_after"'):
        kv.call(W, "config", {"delete_version_after": "soon"})


# -- soft delete, undelete, destroy --------------------------------------------------------


def test_delete_latest_then_read_gives_404_envelope(kv: Mount, clock: ManualClock) -> None:
    put(kv, "k", {"a": "1"})
    put(kv, "k", {"a": "2"})
    clock.advance(5)
    assert kv.call(D, "data/k") is None
    resp = kv.call(R, "data/k")
    assert resp is not None and resp.status == 404 and resp.data is not None
    assert resp.data["data"] is None
    assert resp.data["metadata"]["deletion_time"] == "2024-05-01T12:00:05.5Z"
    assert resp.data["metadata"]["version"] == 2 and resp.data["metadata"]["destroyed"] is False
    assert kv.ok(R, "data/k", {"version": 1})["data"] == {"a": "1"}


def test_delete_latest_twice_keeps_first_time(kv: Mount, clock: ManualClock) -> None:
    put(kv, "k", {"a": "1"})
    kv.call(D, "data/k")
    first = kv.ok(R, "metadata/k")["versions"]["1"]["deletion_time"]
    clock.advance(10)
    kv.call(D, "data/k")
    assert kv.ok(R, "metadata/k")["versions"]["1"]["deletion_time"] == first


def test_delete_versions_then_undelete(kv: Mount) -> None:
    for i in range(3):
        put(kv, "k", {"i": str(i)})
    assert kv.call(W, "delete/k", {"versions": [1, 2]}) is None
    for version in (1, 2):
        resp = kv.call(R, "data/k", {"version": version})
        assert resp is not None and resp.status == 404
    assert kv.call(W, "undelete/k", {"versions": "1,2"}) is None
    assert kv.ok(R, "data/k", {"version": 1})["data"] == {"i": "0"}
    assert kv.ok(R, "metadata/k")["versions"]["2"]["deletion_time"] == ""


def test_destroy_removes_data_but_keeps_metadata(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    put(kv, "k", {"a": "2"})
    assert kv.call(W, "destroy/k", {"versions": [1]}) is None
    assert kv.view.get(version_key("k", 1)) is None
    meta = kv.ok(R, "metadata/k")
    assert meta["versions"]["1"]["destroyed"] is True
    assert meta["versions"]["2"]["destroyed"] is False
    resp = kv.call(R, "data/k", {"version": 1})
    assert resp is not None and resp.status == 404 and resp.data is not None
    assert resp.data["data"] is None and resp.data["metadata"]["destroyed"] is True
    kv.call(W, "undelete/k", {"versions": [1]})  # a destroyed version stays destroyed
    assert kv.ok(R, "metadata/k")["versions"]["1"]["destroyed"] is True


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ("delete", "No version number provided"),
        ("undelete", "No version number provided"),
        ("destroy", "no version number provided"),
    ],
)
def test_version_list_is_required(kv: Mount, op: str, message: str) -> None:
    put(kv, "k", {"a": "1"})
    for body in ({}, {"versions": []}, {"versions": None}):
        with pytest.raises(BadRequest) as err:
            kv.call(W, f"{op}/k", body)
        assert err.value.messages == [message]


@pytest.mark.parametrize("op", ["delete", "undelete", "destroy"])
def test_lifecycle_on_missing_key_is_204(kv: Mount, op: str) -> None:
    assert kv.call(W, f"{op}/missing", {"versions": [1]}) is None
    assert kv.snapshot() == {}


def test_delete_of_missing_key_is_204(kv: Mount) -> None:
    assert kv.call(D, "data/missing") is None


# -- patch ---------------------------------------------------------------------------------


def test_patch_is_a_json_merge_patch(kv: Mount) -> None:
    put(kv, "k", {"keep": "x", "drop": "y", "nested": {"a": "1", "b": "2"}})
    written = kv.ok(P, "data/k", {"data": {"drop": None, "new": "z", "nested": {"b": None}}})
    assert written["version"] == 2
    assert kv.ok(R, "data/k")["data"] == {"keep": "x", "new": "z", "nested": {"a": "1"}}
    assert kv.ok(R, "data/k", {"version": 1})["data"]["drop"] == "y"


def test_patch_missing_key_is_bare_404(kv: Mount) -> None:
    with pytest.raises(NotFound) as err:
        kv.call(P, "data/k", {"data": {"a": "1"}})
    assert err.value.messages == []


def test_patch_of_deleted_latest_is_404_envelope(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    kv.call(D, "data/k")
    before = kv.snapshot()
    resp = kv.call(P, "data/k", {"data": {"a": "2"}})
    assert resp is not None and resp.status == 404 and resp.data is not None
    assert resp.data["data"] is None
    assert kv.snapshot() == before


def test_patch_honours_cas(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    before = kv.snapshot()
    with pytest.raises(BadRequest, match="did not match"):
        kv.call(P, "data/k", {"data": {"a": "2"}, "options": {"cas": 5}})
    assert kv.snapshot() == before
    assert kv.ok(P, "data/k", {"data": {"a": "2"}, "options": {"cas": 1}})["version"] == 2


def test_patch_without_data_is_rejected(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    with pytest.raises(BadRequest, match=r"^no data provided$"):
        kv.call(P, "data/k", {})


# -- metadata ------------------------------------------------------------------------------


def test_metadata_read_shape(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    meta = kv.ok(R, "metadata/k")
    assert set(meta) == {
        "cas_required",
        "created_time",
        "current_version",
        "custom_metadata",
        "delete_version_after",
        "max_versions",
        "oldest_version",
        "updated_time",
        "versions",
    }
    assert meta["current_version"] == 1 and meta["max_versions"] == 0
    assert meta["delete_version_after"] == "0s" and meta["custom_metadata"] is None
    assert meta["versions"]["1"] == {
        "created_time": "2024-05-01T12:00:00.5Z",
        "deletion_time": "",
        "destroyed": False,
    }


def test_metadata_read_missing_is_404(kv: Mount) -> None:
    with pytest.raises(NotFound):
        kv.call(R, "metadata/missing")


def test_metadata_write_creates_key_without_versions(kv: Mount) -> None:
    assert kv.call(W, "metadata/k", {"custom_metadata": {"owner": "payments", "tier": 1}}) is None
    meta = kv.ok(R, "metadata/k")
    assert meta["current_version"] == 0 and meta["versions"] == {}
    assert meta["custom_metadata"] == {"owner": "payments", "tier": "1"}
    with pytest.raises(NotFound):
        kv.call(R, "data/k")
    assert put(kv, "k", {"a": "b"})["custom_metadata"] == {"owner": "payments", "tier": "1"}


def test_metadata_write_with_no_settings_creates_nothing(kv: Mount) -> None:
    assert kv.call(W, "metadata/k", {}) is None
    assert kv.snapshot() == {}


def test_metadata_write_replaces_custom_metadata(kv: Mount) -> None:
    kv.call(W, "metadata/k", {"custom_metadata": {"a": "1", "b": "2"}})
    kv.call(W, "metadata/k", {"custom_metadata": {"c": "3"}})
    assert kv.ok(R, "metadata/k")["custom_metadata"] == {"c": "3"}


def test_metadata_cas_false_under_mount_requirement_warns(kv: Mount) -> None:
    kv.call(W, "config", {"cas_required": True})
    resp = kv.call(W, "metadata/k", {"cas_required": False})
    assert resp is not None and resp.status is None
    assert resp.warnings == [
        '"cas_required" set to false, but is mandated by backend config. '
        "This value will be ignored."
    ]


def test_metadata_patch_merges(kv: Mount) -> None:
    kv.call(W, "metadata/k", {"custom_metadata": {"a": "1", "b": "2"}, "max_versions": 5})
    assert kv.call(P, "metadata/k", {"custom_metadata": {"a": None, "c": "3"}}) is None
    meta = kv.ok(R, "metadata/k")
    assert meta["custom_metadata"] == {"b": "2", "c": "3"} and meta["max_versions"] == 5
    kv.call(P, "metadata/k", {"delete_version_after": "10s", "cas_required": True})
    meta = kv.ok(R, "metadata/k")
    assert meta["delete_version_after"] == "10s" and meta["cas_required"] is True
    assert meta["max_versions"] == 5


def test_metadata_patch_missing_key_is_404(kv: Mount) -> None:
    with pytest.raises(NotFound) as err:
        kv.call(P, "metadata/k", {"max_versions": 3})
    assert err.value.messages == []
    assert kv.snapshot() == {}


def test_metadata_delete_removes_every_version(kv: Mount) -> None:
    put(kv, "k", {"a": "1"})
    put(kv, "k", {"a": "2"})
    put(kv, "k/child", {"a": "3"})
    assert kv.call(D, "metadata/k") is None
    with pytest.raises(NotFound):
        kv.call(R, "metadata/k")
    with pytest.raises(NotFound):
        kv.call(R, "data/k", {"version": 1})
    assert kv.ok(R, "data/k/child")["data"] == {"a": "3"}  # a key below is a different key
    assert sorted(kv.snapshot()) == sorted(["metadata/k/child", version_key("k/child", 1)])
    assert kv.call(D, "metadata/k") is None  # deleting again is fine


# -- custom_metadata limits ----------------------------------------------------------------


def test_custom_metadata_at_the_limits_is_accepted(kv: Mount) -> None:
    custom = {f"k{i:02d}": "v" for i in range(63)}
    custom["x" * 128] = "y" * 512
    assert kv.call(W, "metadata/k", {"custom_metadata": custom}) is None
    assert len(kv.ok(R, "metadata/k")["custom_metadata"]) == 64


def test_custom_metadata_too_many_keys(kv: Mount) -> None:
    custom = {f"k{i}": "v" for i in range(65)}
    with pytest.raises(BadRequest) as err:
        kv.call(W, "metadata/k", {"custom_metadata": custom})
    assert "payload must contain at most 64 keys, provided 65" in str(err.value)
    assert kv.snapshot() == {}


@pytest.mark.parametrize(
    ("custom", "fragment"),
    [
        ({"k" * 129: "v"}, "is 129 but must be 0 < len(key) <= 128"),
        ({"é" * 65: "v"}, "is 130 but must be 0 < len(key) <= 128"),  # bytes, not characters
        ({"k": "s3cr3t" * 86}, 'length of value for key "k" is 516'),
        ({"k": ""}, 'length of value for key "k" is 0'),
        ({"k\x07": "v"}, "contains unprintable characters"),
        ({"k": "s3cr3t\n"}, 'value for key "k" contains unprintable characters'),
    ],
)
def test_custom_metadata_violations(kv: Mount, custom: dict[str, str], fragment: str) -> None:
    with pytest.raises(BadRequest) as err:
        kv.call(W, "metadata/k", {"custom_metadata": custom})
    message = str(err.value)
    assert message.startswith("1 error occurred:\n\t* custom_metadata validation failed: ")
    assert fragment in message
    assert "s3cr3t" not in message  # values are never echoed
    assert kv.snapshot() == {}


def test_custom_metadata_patch_is_validated_after_merging(kv: Mount) -> None:
    kv.call(W, "metadata/k", {"custom_metadata": {f"k{i}": "v" for i in range(64)}})
    with pytest.raises(BadRequest, match="at most 64 keys, provided 65"):
        kv.call(P, "metadata/k", {"custom_metadata": {"one-more": "v"}})
    assert kv.call(P, "metadata/k", {"custom_metadata": {"k0": None, "one-more": "v"}}) is None


def test_custom_metadata_must_be_a_map(kv: Mount) -> None:
    with pytest.raises(BadRequest, match='field "custom_metadata"'):
        kv.call(W, "metadata/k", {"custom_metadata": ["a"]})


# -- list ----------------------------------------------------------------------------------


def test_list_keys_sorted_with_folders(kv: Mount) -> None:
    for key in ("b", "a", "team/x", "team/y/z", "a/inner"):
        put(kv, key, {"v": "1"})
    assert kv.ok(L, "metadata/")["keys"] == ["a", "a/", "b", "team/"]
    assert kv.ok(L, "metadata")["keys"] == ["a", "a/", "b", "team/"]
    assert kv.ok(L, "metadata/team/")["keys"] == ["x", "y/"]
    assert kv.ok(L, "metadata/team")["keys"] == ["x", "y/"]


def test_list_missing_prefix_is_404(kv: Mount) -> None:
    with pytest.raises(NotFound) as err:
        kv.call(L, "metadata/")
    assert err.value.messages == []
    put(kv, "a", {"v": "1"})
    with pytest.raises(NotFound):
        kv.call(L, "metadata/nothing/")


def test_list_keeps_deleted_keys_unless_excluded(kv: Mount) -> None:
    put(kv, "gone", {"v": "1"})
    put(kv, "live", {"v": "1"})
    put(kv, "dir/x", {"v": "1"})
    kv.call(W, "metadata/empty", {"max_versions": 2})
    kv.call(D, "data/gone")
    assert kv.ok(L, "metadata/")["keys"] == ["dir/", "empty", "gone", "live"]
    assert kv.ok(L, "metadata/", {"exclude_deleted": "true"})["keys"] == ["dir/", "live"]
    kv.call(W, "destroy/live", {"versions": [1]})
    assert kv.ok(L, "metadata/", {"exclude_deleted": True})["keys"] == ["dir/"]


# -- subkeys -------------------------------------------------------------------------------


def test_subkeys(kv: Mount) -> None:
    put(kv, "k", {"a": "1", "b": {"c": "2", "d": {"e": "3"}}})
    got = kv.ok(R, "subkeys/k")
    assert got["subkeys"] == {"a": None, "b": {"c": None, "d": {"e": None}}}
    assert got["metadata"]["version"] == 1
    assert kv.ok(R, "subkeys/k", {"depth": 1})["subkeys"] == {"a": None, "b": None}
    assert kv.ok(R, "subkeys/k", {"depth": "2"})["subkeys"] == {
        "a": None,
        "b": {"c": None, "d": None},
    }


def test_subkeys_errors(kv: Mount) -> None:
    with pytest.raises(NotFound):
        kv.call(R, "subkeys/missing")
    put(kv, "k", {"a": "1"})
    with pytest.raises(BadRequest, match="depth"):
        kv.call(R, "subkeys/k", {"depth": -1})
    kv.call(D, "data/k")
    resp = kv.call(R, "subkeys/k")
    assert resp is not None and resp.status == 404 and resp.data is not None
    assert resp.data["subkeys"] is None


# -- invalid paths, existence checks, path safety ------------------------------------------


@pytest.mark.parametrize(
    ("op", "rel", "sub"),
    [
        (R, "foo", "get"),
        (W, "foo/bar", "put"),
        (Operation.CREATE, "foo", "put"),
        (D, "foo", "delete"),
        (P, "foo", "patch"),
        (L, "foo/", "list"),
        (R, "data/", "get"),
        (W, "data/", "put"),
        (R, "metadata/", "get"),
        (W, "destroy/", "put"),
        (L, "", "list"),
    ],
)
def test_invalid_paths_warn_with_404(kv: Mount, op: Operation, rel: str, sub: str) -> None:
    resp = kv.call(op, rel, {"data": {"a": "b"}})
    assert resp is not None and resp.status == 404 and resp.data is None
    assert resp.warnings[0] == INVALID.format(sub)
    assert kv.snapshot() == {}


@pytest.mark.parametrize(
    ("op", "rel"), [(R, ""), (R, "data"), (W, "metadata"), (D, "destroy"), (R, "subkeys")]
)
def test_bare_prefixes_warn_root(kv: Mount, op: Operation, rel: str) -> None:
    resp = kv.call(op, rel)
    assert resp is not None and resp.status == 404 and resp.warnings == [ROOT]


def test_list_on_data_is_unsupported(kv: Mount) -> None:
    with pytest.raises(UnsupportedOperation):
        kv.call(L, "data/foo/")


def test_existence_checks(kv: Mount) -> None:
    assert kv.exists("data/k") is False
    assert kv.exists("metadata/k") is False
    put(kv, "k", {"a": "1"})
    assert kv.exists("data/k") is True
    assert kv.exists("metadata/k") is True
    kv.call(W, "metadata/m", {"max_versions": 1})
    assert kv.exists("data/m") is True  # metadata alone makes a key exist
    assert kv.exists("delete/k") is None  # always "update"
    assert kv.exists("config") is None


@pytest.mark.parametrize(
    "rel", ["data/../escape", "data/a/../../b", "data/a//b", "data/a/", "metadata/./a"]
)
def test_paths_cannot_escape(kv: Mount, rel: str) -> None:
    key = rel.split("/", 1)[1]
    with pytest.raises(BadRequest) as err:
        kv.call(W, rel, {"data": {"a": "b"}, "max_versions": 1})
    assert f'invalid key path "{key}"' in str(err.value)
    assert kv.snapshot() == {}


def test_list_prefix_cannot_escape(kv: Mount) -> None:
    with pytest.raises(BadRequest, match="invalid key path"):
        kv.call(L, "metadata/../")


def test_mounts_do_not_see_each_other(clock: ManualClock) -> None:
    ctx, physical = make_context({"version": "2"})
    first = Mount(KVv2Backend(ctx, clock=clock), physical, ctx.storage)
    other_view = StorageView(physical, "logical/other-mount/")
    ctx.storage = other_view
    second = Mount(KVv2Backend(ctx, clock=clock), physical, other_view)
    put(first, "k", {"a": "1"})
    with pytest.raises(NotFound):
        second.call(R, "data/k")
