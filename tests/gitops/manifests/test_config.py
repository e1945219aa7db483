"""sealkeep.yaml: defaults, parsing, target choice and VAULT_ADDR."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gitops.manifests import (
    ConfigError,
    RepoConfig,
    RepoNotFound,
    Target,
    find_repo_root,
    load_config,
)
from tests.gitops.manifests.conftest import WriteFiles

CONFIG = """\
targets:
  - name: prod
    address: https://vault.example.com
    auth: {method: jwt, role: deployer, jwt_env: CI_JOB_JWT, mount: gitlab}
    mount_prefix: prod
  - name: dev
    address: http://127.0.0.1:8200
    auth: {method: token}
default_target: dev
apply: {lock_timeout: 90}
"""


def test_defaults_without_a_config_file(write_repo: WriteFiles) -> None:
    config, problems = load_config(write_repo({}))
    assert problems == []
    assert config == RepoConfig()
    assert (config.manifests, config.policies_dir, config.branch) == ((".",), "policies", "main")
    assert config.apply.lock_timeout == 300


def test_parsed_config_and_target_choice(write_repo: WriteFiles) -> None:
    config, problems = load_config(write_repo({"sealkeep.yaml": CONFIG}))
    assert problems == []
    assert config.target().name == "dev"
    prod = config.target("prod")
    assert prod.auth.method == "jwt" and prod.auth.jwt_env == "CI_JOB_JWT"
    assert prod.mount_prefix == "prod"
    assert config.apply.lock_timeout == 90


def test_vault_addr_overrides_the_address(write_repo: WriteFiles) -> None:
    config, _ = load_config(write_repo({"sealkeep.yaml": CONFIG}))
    env = {"VAULT_ADDR": "https://override:8200"}
    assert config.target("prod", env).address == "https://override:8200"
    assert RepoConfig().target(None, env) == Target(name="env", address="https://override:8200")


def test_unknown_target_names_the_choices() -> None:
    config = RepoConfig(targets=(Target(name="a", address="http://a"),))
    with pytest.raises(ConfigError, match=r"unknown target 'b' \(targets: a;"):
        config.target("b")
    with pytest.raises(ConfigError, match="no target chosen"):
        RepoConfig().target()


def test_semantic_problems(write_repo: WriteFiles) -> None:
    text = CONFIG.replace("name: dev", "name: prod").replace(
        "default_target: dev", "default_target: qa"
    )
    config, problems = load_config(write_repo({"sealkeep.yaml": text}))
    assert config == RepoConfig()
    assert [str(p) for p in problems] == [
        "sealkeep.yaml:6:11: targets[1].name: target 'prod' is defined twice",
        "sealkeep.yaml:9:17: default_target: default_target 'qa' is not one of the targets",
    ]


def test_the_repo_root_is_found_walking_up_but_never_past_the_git_top(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    (outer / "a" / "b").mkdir(parents=True)
    (outer / "sealkeep.yaml").write_text("manifests: [.]\n")
    assert find_repo_root(outer / "a" / "b") == outer.resolve()
    # A Git repository inside it without its own sealkeep.yaml is another project.
    inner = outer / "vendor" / "tool"
    (inner / ".git").mkdir(parents=True)
    (inner / "deploy").mkdir()
    with pytest.raises(RepoNotFound) as caught:
        find_repo_root(inner / "deploy")
    assert str(caught.value) == (
        f"no sealkeep.yaml found in {(inner / 'deploy').resolve()} or any parent up to "
        f"{inner.resolve()}"
    )
    assert caught.value.hint and "sealkeep init" in caught.value.hint


@pytest.mark.parametrize(
    ("written", "share"), [(None, 0.25), ("50%", 0.5), (0.1, 0.1), ("100%", 1.0)]
)
def test_max_destroy_share_as_a_fraction_or_a_percentage(
    tmp_path: Path, written: object, share: float
) -> None:
    text = "manifests: [.]\n"
    if written is not None:
        text += f"apply:\n  max_destroy_share: {written!r}\n".replace("'", '"')
    (tmp_path / "sealkeep.yaml").write_text(text)
    config, problems = load_config(tmp_path)
    assert problems == [] and config.apply.max_destroy_share == share


def test_max_destroy_share_out_of_range_is_named(tmp_path: Path) -> None:
    (tmp_path / "sealkeep.yaml").write_text("apply:\n  max_destroy_share: 1.5\n")
    _, problems = load_config(tmp_path)
    assert [(p.line, p.json_path) for p in problems] == [(2, "apply.max_destroy_share")]
