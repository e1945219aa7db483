"""sealkeep.yaml: defaults, parsing, target choice and VAULT_ADDR."""

from __future__ import annotations

import pytest

from reconciler.gitops.manifests import ConfigError, RepoConfig, Target, load_config
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
