"""HCL policies, in policies/*.hcl and inline `hcl: |`, checked by the store's own parser."""

from __future__ import annotations

import pytest

from reconciler.gitops.manifests import Policy, load_repo
from tests.gitops.manifests.conftest import HEADER, WriteFiles, policy_parser_present

pytestmark = pytest.mark.skipif(not policy_parser_present(), reason="policy parser not yet present")

GOOD = 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n'


def test_hcl_file_becomes_a_policy_named_by_its_stem(write_repo: WriteFiles) -> None:
    root = write_repo({"policies/app-read.hcl": GOOD})
    desired = load_repo(root).desired
    assert desired is not None
    policy = desired.get("Policy", "app-read")
    assert isinstance(policy, Policy) and policy.hcl == GOOD


def test_hcl_files_outside_the_policies_dir_are_ignored(write_repo: WriteFiles) -> None:
    root = write_repo({"policies/nested/x.hcl": "broken {", "other/y.hcl": "broken {"})
    result = load_repo(root)
    assert result.diagnostics == [] and result.desired is not None and len(result.desired) == 0


def test_configured_policies_dir(write_repo: WriteFiles) -> None:
    root = write_repo({"sealkeep.yaml": "policies_dir: acl\n", "acl/ops.hcl": "pth {\n}\n"})
    lines = [str(d) for d in load_repo(root).diagnostics]
    assert len(lines) == 1
    assert lines[0].startswith("acl/ops.hcl:1:1: Policy/ops: failed to parse policy:")


def test_inline_hcl_error_points_into_the_yaml_file(write_repo: WriteFiles) -> None:
    inline = (
        f"{HEADER}kind: Policy\nmetadata:\n  name: inline\nspec:\n  hcl: |\n"
        '    path "a" {\n      capabilities = ["read"]\n      colour = "x"\n    }\n'
    )
    lines = [str(d) for d in load_repo(write_repo({"p.yaml": inline})).diagnostics]
    assert len(lines) == 1
    assert lines[0].startswith("p.yaml:9:7: Policy/inline: spec.hcl: failed to parse policy:")
