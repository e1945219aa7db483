"""Property: for small random desired states, apply then plan again finds no change."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ServerProcess
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import Repo, manifest

CAPS = ["create", "read", "update", "delete", "list"]
names = st.text("abcdefgh", min_size=1, max_size=6)
values = st.one_of(st.text(min_size=1, max_size=12), st.integers(-1000, 1000), st.booleans())
rule_sets = st.dictionaries(
    names,
    st.lists(st.sampled_from(CAPS), min_size=1, max_size=3, unique=True),
    min_size=1,
    max_size=3,
)
secrets = st.dictionaries(names, st.dictionaries(names, values, min_size=1, max_size=3), max_size=3)
roles = st.dictionaries(
    names,
    st.fixed_dictionaries(
        {
            "token_ttl": st.integers(0, 7200),
            "secret_id_num_uses": st.integers(0, 5),
            "bind_secret_id": st.just(True),
        }
    ),
    max_size=2,
)


def _write(repo: Repo, p: str, policies: dict, role_specs: dict, secret_data: dict) -> None:
    docs = [
        manifest("SecretsEngine", f"{p}-kv", {"path": f"{p}-kv", "type": "kv-v2"}),
        manifest("AuthMethod", f"{p}-ar", {"path": f"{p}-ar", "type": "approle"}),
    ]
    for name, rules in policies.items():
        spec = {
            "rules": [
                {"path": f"{p}-kv/data/{path}/*", "capabilities": caps}
                for path, caps in rules.items()
            ]
        }
        docs.append(manifest("Policy", f"{p}-{name}", spec))
    for name, spec in role_specs.items():
        docs.append(manifest("AppRole", f"{p}-{name}", {"mount": f"{p}-ar", **spec}))
    repo.write("objects.yaml", *docs)
    for name, data in secret_data.items():
        repo.secret(f"{p}-{name}", f"{p}-kv", f"app/{name}", data)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    policies=st.dictionaries(names, rule_sets, max_size=3), role_specs=roles, secret_data=secrets
)
def test_apply_then_plan_finds_no_change(
    dev_server: ServerProcess, policies: dict, role_specs: dict, secret_data: dict
) -> None:
    prefix = "h" + uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo(Path(tmp))
        _write(repo, prefix, policies, role_specs, secret_data)
        reconcile = Reconcile(repo, dev_server.client(), f"{prefix}-state")
        reconcile.converge()
        again = reconcile.plan()
        assert again.changes == (), [c.ref for c in again.changes]
        assert not again.has_changes
