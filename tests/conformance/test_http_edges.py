"""Unclean paths, unknown methods, `write -f`'s null body, tune, and auth config checks."""

from __future__ import annotations

from tests.conformance.harness import Observation, Target, assert_same, observe

PLACEHOLDER_CA = "-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----"


def test_unclean_paths_redirect_to_the_clean_path(sealkeep: Target, bao: Target) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        out: dict[str, Observation] = {}
        for name, (method, path) in {
            "dotdot": ("GET", "secret/data/a/../b?x=1"),
            "dot": ("GET", "secret/./data/b"),
            "double-slash": ("GET", "secret//data/b"),
            "trailing-dot": ("GET", "secret/data/b/."),
            "encoded-dotdot": ("GET", "secret/data/%2e%2e/b"),
            "post-double-slash": ("POST", "secret//data/b"),
            "head-dotdot": ("HEAD", "sys/../sys/health"),
        }.items():
            status, headers, body = t.raw(method, path)
            kind = headers.get("content-type", "").split(";")[0] if body else "<empty>"
            out[name] = Observation(status, kind, {"location": headers.get("location", "")})
        return out

    assert_same("unclean-paths", scenario, sealkeep, bao)


def test_unknown_method_and_null_body(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"sys/auth/{unique}", {"type": "approle"})
        t.http("POST", f"auth/{unique}/role/r", {"token_policies": "default"})
        return {
            "FOO": observe(t.http("FOO", "secret/data/x")),
            "null-body": observe(
                t.http("POST", f"auth/{unique}/role/r/secret-id", raw_body=b"null")
            ),
            "array-body": observe(t.http("POST", "sys/rotate", raw_body=b"[1]")),
        }

    assert_same("methods-and-bodies", scenario, sealkeep, bao)


def test_tune_with_empty_ttl_keeps_it(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.http(
            "POST", f"sys/mounts/{unique}", {"type": "kv", "config": {"default_lease_ttl": "1h"}}
        )
        cli = t.cli("secrets", "tune", "-max-lease-ttl=2h", f"{unique}/")
        raw = t.http("POST", f"sys/mounts/{unique}/tune", {"default_lease_ttl": ""})
        after = t.http("GET", f"sys/mounts/{unique}/tune")
        reset = t.http("POST", f"sys/mounts/{unique}/tune", {"max_lease_ttl": "system"})
        back = t.http("GET", f"sys/mounts/{unique}/tune")
        return {
            "cli-tune": Observation(cli.exit_code),
            "raw-tune": observe(raw),
            "read": observe(
                after,
                default=after.json()["data"]["default_lease_ttl"],
                max=after.json()["data"]["max_lease_ttl"],
            ),
            "reset": observe(reset),
            "read-reset": observe(back, max=back.json()["data"]["max_lease_ttl"]),
        }

    assert_same("tune", scenario, sealkeep, bao)


def test_kubernetes_config_and_role_checks(sealkeep: Target, bao: Target, unique: str) -> None:
    host = "https://kubernetes.invalid:443"

    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"sys/auth/{unique}", {"type": "kubernetes"})
        config = f"auth/{unique}/config"
        role = f"auth/{unique}/role"
        return {
            "no-host": observe(t.http("POST", config, {})),
            "no-ca": observe(t.http("POST", config, {"kubernetes_host": host})),
            "no-ca-local-disabled": observe(
                t.http("POST", config, {"kubernetes_host": host, "disable_local_ca_jwt": True})
            ),
            "bad-pem-keys": observe(
                t.http(
                    "POST",
                    config,
                    {
                        "kubernetes_host": host,
                        "kubernetes_ca_cert": PLACEHOLDER_CA,
                        "pem_keys": ["nope"],
                    },
                )
            ),
            "placeholder-ca": observe(
                t.http("POST", config, {"kubernetes_host": host, "kubernetes_ca_cert": "x"})
            ),
            "star-bounds": observe(
                t.http(
                    "POST",
                    f"{role}/star",
                    {"bound_service_account_names": "*", "bound_service_account_namespaces": "*"},
                )
            ),
            "star-names": observe(
                t.http(
                    "POST",
                    f"{role}/names",
                    {"bound_service_account_names": "*", "bound_service_account_namespaces": "ns"},
                )
            ),
        }

    assert_same("kubernetes-config", scenario, sealkeep, bao)


def test_jwt_config_checks(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"sys/auth/{unique}", {"type": "jwt"})
        config = f"auth/{unique}/config"
        return {
            "no-source": observe(t.http("POST", config, {"bound_issuer": "x"})),
            "two-sources": observe(
                t.http(
                    "POST",
                    config,
                    {"jwks_url": "http://127.0.0.1:9/jwks", "jwt_validation_pubkeys": ["x"]},
                )
            ),
            "bad-pubkey": observe(t.http("POST", config, {"jwt_validation_pubkeys": ["nope"]})),
            "unreachable-jwks": observe(
                t.http("POST", config, {"jwks_url": "http://127.0.0.1:9/jwks"})
            ),
        }

    assert_same("jwt-config", scenario, sealkeep, bao)
