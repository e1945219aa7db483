"""The AwsAuthRole kind end to end: plan shows it, apply writes it, a second plan is empty, an
edit updates it in place, and an IAM user the role binds logs in (moto's STS on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import hvac
import pytest

from reconciler.gitops.plan.model import Action
from reconciler.gitops.plan.render_text import render_text
from tests.conftest import services_required
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import manifest
from tests.support.servers import ServerProcess
from tests.support.sts import StsServer, start_sts


@pytest.fixture(scope="module")
def sts() -> Iterator[StsServer]:
    """One moto server for the module."""
    yield from start_sts(services_required())


def _repo_docs(mount: str, arns: list[str], ttl: str) -> list[dict[str, object]]:
    return [
        manifest("AuthMethod", mount, {"path": mount, "type": "aws"}),
        manifest(
            "AwsAuthRole",
            "batch",
            {
                "mount": mount,
                "bound_iam_principal_arn": arns,
                "resolve_aws_unique_ids": False,
                "token_policies": ["default"],
                "token_ttl": ttl,
            },
        ),
    ]


def test_plan_apply_and_log_in(
    reconcile: Reconcile,
    vault: hvac.Client,
    dev_server: ServerProcess,
    sts: StsServer,
    unique: str,
) -> None:
    mount = f"{unique}-aws"
    arn, key, secret = sts.new_user(f"{unique}-batch-1")
    wildcard = arn.rsplit("/", 1)[0] + f"/{unique}-batch-*"
    reconcile.repo.write("aws.yaml", *_repo_docs(mount, [wildcard], "30m"))
    try:
        plan = reconcile.plan()
        created = [str(c.ref) for c in plan.changes if c.action is Action.CREATE]
        assert "AwsAuthRole/batch" in created
        assert "AwsAuthRole/batch" in render_text(plan)
        assert reconcile.apply(plan).ok
        live = vault.read(f"auth/{mount}/role/batch")["data"]
        assert (live["bound_iam_principal_arn"], live["token_ttl"]) == ([wildcard], 1800)
        assert not reconcile.plan().has_changes, "a second plan is empty"

        reconcile.repo.write("aws.yaml", *_repo_docs(mount, [wildcard, arn], "10m"))
        plan = reconcile.plan()
        [change] = [c for c in plan.changes if str(c.ref) == "AwsAuthRole/batch"]
        assert change.action is Action.UPDATE
        assert {f.path for f in change.fields} == {"bound_iam_principal_arn", "token_ttl"}
        assert reconcile.apply(plan).ok

        vault.write(
            f"auth/{mount}/config/client",
            sts_endpoint=sts.url,
            iam_endpoint=sts.url,
            access_key=sts.admin_key,
            secret_key=sts.admin_secret,
        )
        client = dev_server.client(token="")
        answer = client.auth.aws.iam_login(key, secret, role="batch", mount_point=mount)
        assert answer["auth"]["lease_duration"] == 600
    finally:
        vault.sys.disable_auth_method(mount)
