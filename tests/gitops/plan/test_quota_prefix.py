"""A target's mount_prefix moves RateLimitQuota paths with the mounts they name."""

from __future__ import annotations

from pathlib import Path

from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests import load_repo
from reconciler.gitops.plan.prefix import with_mount_prefix
from tests.gitops.plan.repo import Repo, manifest


def test_quota_paths_follow_their_mounts_and_a_global_quota_stays_global(
    tmp_path: Path,
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.write(
        "all.yaml",
        manifest("SecretsEngine", "kv", {"path": "kv", "type": "kv-v2"}),
        manifest("AuthMethod", "approle", {"path": "approle", "type": "approle"}),
        manifest("RateLimitQuota", "global", {"rate": 100}),
        manifest("RateLimitQuota", "reads", {"rate": 10, "path": "kv/data/*"}),
        manifest("RateLimitQuota", "ci", {"rate": 1, "path": "auth/approle", "role": "ci"}),
        manifest("RateLimitQuota", "health", {"rate": 5, "path": "sys/mounts"}),
    )
    loaded = load_repo(repo.root)
    assert loaded.desired is not None, [str(d) for d in loaded.diagnostics]
    desired = with_mount_prefix(loaded.desired, "team-a/")

    def path_of(name: str) -> str:
        quota = desired.get("RateLimitQuota", name)
        assert isinstance(quota, k.RateLimitQuota)
        return quota.path

    assert path_of("global") == ""
    assert path_of("reads") == "team-a/kv/data/*"
    assert path_of("ci") == "auth/team-a/approle"
    assert path_of("health") == "sys/mounts", "sys paths are under no prefix"
