"""Key ceremony endpoints side by side with OpenBao: the authenticated sys/rotate/root/* and
sys/generate-root-token/* answer in OpenBao's shapes; the unauthenticated legacy endpoints
(hvac's) stay open on Sealkeep as in HashiCorp Vault (an intended difference)."""

from __future__ import annotations

from tests.conformance.harness import Observation, Target, assert_same, observe


def test_authenticated_ceremonies(sealkeep: Target, bao: Target) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        out = {
            "rotate-status": observe(t.http("GET", "sys/rotate/root/init")),
            "rotate-start": observe(
                t.http("PUT", "sys/rotate/root/init", {"secret_shares": 3, "secret_threshold": 2})
            ),
            "rotate-bad-nonce": observe(
                t.http("PUT", "sys/rotate/root/update", {"key": "AAAA" * 11, "nonce": "nope"})
            ),
            "rotate-cancel": observe(t.http("DELETE", "sys/rotate/root/init")),
            "generate-start": observe(t.http("PUT", "sys/generate-root-token/attempt", {})),
            "generate-status": observe(t.http("GET", "sys/generate-root-token/attempt")),
            "generate-cancel": observe(t.http("DELETE", "sys/generate-root-token/attempt")),
            "generate-no-token": observe(
                t.http("GET", "sys/generate-root-token/attempt", token="")
            ),
        }
        return out

    assert_same("ceremonies", scenario, sealkeep, bao)


def test_unauthenticated_legacy_ceremonies(sealkeep: Target, bao: Target) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        return {
            "rekey-status": observe(t.http("GET", "sys/rekey/init", token="")),
            "generate-root-status": observe(t.http("GET", "sys/generate-root/attempt", token="")),
        }

    assert_same("legacy-ceremonies", scenario, sealkeep, bao)
