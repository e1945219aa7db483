"""sys/metrics: Prometheus text that prometheus_client's own parser reads, with Vault's metric
names; Vault's JSON shape; a token is needed unless the config's telemetry block says not."""

from __future__ import annotations

from pathlib import Path

import hvac
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import ServerProcess, free_port, init_and_unseal, start_server


def _families(server: ServerProcess, token: str | None) -> dict[str, list[object]]:
    headers = {"X-Vault-Token": token} if token else {}
    response = requests.get(f"{server.url}/v1/sys/metrics?format=prometheus", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {f.name: list(f.samples) for f in text_string_to_metric_families(response.text)}


def test_prometheus_text_parses_with_vaults_names(
    dev_server: ServerProcess, vault: hvac.Client
) -> None:
    vault.sys.list_mounted_secrets_engines()
    families = _families(dev_server, dev_server.root_token)
    for name in (
        "vault_core_handle_request",
        "vault_core_unsealed",
        "vault_core_active",
        "vault_route",
        "vault_core_response_status_code",
        "vault_expire_num_leases",
        "vault_token_count",
        "vault_barrier",
    ):
        assert name in families, sorted(families)
    (unsealed,) = families["vault_core_unsealed"]
    assert unsealed.value == 1  # type: ignore[attr-defined]
    routes = {s.labels.get("mount") for s in families["vault_route"]}  # type: ignore[attr-defined]
    assert "sys-" in routes
    storage_ops = {
        s.labels["op"]  # type: ignore[attr-defined]
        for s in families["vault_barrier"]
        if s.name == "vault_barrier_count" and s.value > 0  # type: ignore[attr-defined]
    }
    assert {"get", "list"} <= storage_ops


def test_json_has_vaults_shape(dev_server: ServerProcess, vault: hvac.Client) -> None:
    body = vault.adapter.get("/v1/sys/metrics")
    assert set(body) == {"Timestamp", "Gauges", "Points", "Counters", "Samples"}
    names = {g["Name"] for g in body["Gauges"]}
    assert "vault.core.unsealed" in names
    assert any(s["Name"] == "vault.core.handle_request" and s["Count"] > 0 for s in body["Samples"])


def test_a_token_is_needed_by_default(dev_server: ServerProcess) -> None:
    response = requests.get(f"{dev_server.url}/v1/sys/metrics?format=prometheus")
    assert response.status_code == 403
    assert response.json()["errors"]


def test_unauthenticated_access_when_the_config_allows_it(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "server.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "s.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        "telemetry {\n  unauthenticated_metrics_access = true\n}\n"
    )
    server = start_server(["--config", str(config)], tmp_path / "s.log", port)
    init_and_unseal(server)
    families = _families(server, None)
    (unsealed,) = families["vault_core_unsealed"]
    assert unsealed.value == 1  # type: ignore[attr-defined]
    server.stop()
