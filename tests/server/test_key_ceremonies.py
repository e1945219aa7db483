"""Key ceremonies through hvac and the `bao` CLI: rekey (with and without verification) gives
new shares that unseal and retires the old ones; generate-root gives a working root token only
to the holder of the OTP; shares that do not form the key change nothing."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from reconciler.vocabulary.otp import decode_token
from tests.support.openbao import bao_binary
from tests.support.servers import ServerProcess, init_and_unseal, start_sqlite_server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[ServerProcess, list[str]]]:
    server = start_sqlite_server(tmp_path)
    keys = init_and_unseal(server, shares=3, threshold=2)
    yield server, keys
    server.stop()


def _reseal_with(server: ServerProcess, keys: list[str]) -> bool:
    """Seal, then try to unseal with exactly `keys` (no shares left from an earlier try)."""
    client = server.client()
    client.sys.seal()
    client.sys.submit_unseal_key(reset=True)
    try:
        status = client.sys.submit_unseal_keys(keys)
    except hvac.exceptions.InvalidRequest:
        client.sys.submit_unseal_key(reset=True)
        return False
    return status["sealed"] is False


def test_rekey_gives_new_shares_and_retires_the_old(store: tuple[ServerProcess, list[str]]) -> None:
    server, old = store
    client = server.client()
    started = client.sys.start_rekey(secret_shares=4, secret_threshold=3)
    assert started["started"] is True and started["n"] == 4 and started["t"] == 3
    result = client.sys.rekey_multi(old[:2], nonce=started["nonce"])
    assert result["complete"] is True and len(result["keys"]) == 4
    new = list(result["keys"])
    assert client.sys.read_seal_status()["n"] == 4
    assert not _reseal_with(server, old[:2])
    assert _reseal_with(server, new[:3])


def test_rekey_with_verification_takes_effect_only_once_verified(
    store: tuple[ServerProcess, list[str]],
) -> None:
    server, old = store
    client = server.client()
    started = client.sys.start_rekey(secret_shares=3, secret_threshold=2, require_verification=True)
    result = client.sys.rekey_multi(old[:2], nonce=started["nonce"])
    assert result["verification_required"] is True and result["verification_nonce"]
    assert client.sys.read_seal_status()["t"] == 2  # still the old shares until verified
    with pytest.raises(hvac.exceptions.InvalidRequest, match="do not form the new key"):
        client.sys.rekey_verify_multi(old[:2], nonce=result["verification_nonce"])
    done = client.sys.rekey_verify_multi(
        list(result["keys"])[:2], nonce=result["verification_nonce"]
    )
    assert done["complete"] is True
    assert _reseal_with(server, list(result["keys"])[1:3])


def test_shares_that_do_not_form_the_key_change_nothing(
    store: tuple[ServerProcess, list[str]],
) -> None:
    server, old = store
    client = server.client()
    started = client.sys.start_rekey(secret_shares=2, secret_threshold=2)
    forged = [secrets.token_bytes(33).hex(), secrets.token_bytes(33).hex()]
    with pytest.raises(hvac.exceptions.InvalidRequest, match="do not form the unseal key"):
        client.sys.rekey_multi(forged, nonce=started["nonce"])
    assert client.sys.read_rekey_progress()["started"] is False
    assert _reseal_with(server, old[:2])


def test_generate_root_through_hvac(store: tuple[ServerProcess, list[str]]) -> None:
    server, keys = store
    client = server.client("")
    otp = "A" * 28
    started = client.sys.start_root_token_generation(otp=otp)
    assert started["started"] is True and started["otp_length"] == 28
    first = client.sys.generate_root(keys[0], started["nonce"])
    assert first["complete"] is False and first["encoded_token"] == ""
    final = client.sys.generate_root(keys[1], started["nonce"])
    assert final["complete"] is True
    token = decode_token(final["encoded_token"], otp)
    assert token != server.root_token
    assert "root" in server.client(token).auth.token.lookup_self()["data"]["policies"]


def test_bao_cli_generate_root_and_rotate_keys(store: tuple[ServerProcess, list[str]]) -> None:
    server, keys = store
    env = {**os.environ, "BAO_ADDR": server.url, "BAO_TOKEN": server.root_token}

    def bao(*args: str) -> dict[str, object]:
        run = subprocess.run([bao_binary(), *args], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout) if run.stdout.strip().startswith("{") else {"out": run.stdout}

    started = bao("operator", "generate-root", "-init", "-format=json")
    nonce, otp = str(started["nonce"]), str(started["otp"])
    bao("operator", "generate-root", "-format=json", f"-nonce={nonce}", keys[0])
    final = bao("operator", "generate-root", "-format=json", f"-nonce={nonce}", keys[1])
    decoded = subprocess.run(
        [
            bao_binary(),
            "operator",
            "generate-root",
            f"-decode={final['encoded_token']}",
            f"-otp={otp}",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert decoded.returncode == 0, decoded.stderr
    assert (
        "root" in server.client(decoded.stdout.strip()).auth.token.lookup_self()["data"]["policies"]
    )

    init = bao(
        "operator", "rotate-keys", "-init", "-key-shares=3", "-key-threshold=2", "-format=json"
    )
    bao("operator", "rotate-keys", "-format=json", f"-nonce={init['nonce']}", keys[0])
    rotated = bao("operator", "rotate-keys", "-format=json", f"-nonce={init['nonce']}", keys[1])
    new_keys = list(rotated["keys_base64"])  # type: ignore[call-overload]
    assert _reseal_with(server, new_keys[:2])


def test_sealkeep_cli_rekey_and_generate_root(store: tuple[ServerProcess, list[str]]) -> None:
    import sys

    from tests.support.servers import REPO_ROOT

    server, keys = store
    env = {**os.environ, "VAULT_ADDR": server.url, "VAULT_TOKEN": server.root_token}

    def sealkeep(*args: str, stdin: str = "") -> dict[str, object]:
        command = [sys.executable, "-m", "reconciler.cli.main", "operator", *args, "-format=json"]
        run = subprocess.run(
            command, env=env, cwd=REPO_ROOT, input=stdin, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    started = sealkeep("rekey", "-init", "-key-shares=2", "-key-threshold=2")
    sealkeep("rekey", f"-nonce={started['nonce']}", keys[0])
    final = sealkeep("rekey", f"-nonce={started['nonce']}", "-", stdin=keys[1] + "\n")
    assert final["complete"] is True
    new_keys = list(final["keys"])  # type: ignore[call-overload]

    otp = "B" * 28
    attempt = sealkeep("generate-root", "-init", f"-otp={otp}")
    sealkeep("generate-root", f"-nonce={attempt['nonce']}", new_keys[0])
    done = sealkeep("generate-root", f"-nonce={attempt['nonce']}", new_keys[1])
    decoded = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler.cli.main",
            "operator",
            "generate-root",
            f"-decode={done['encoded_token']}",
            f"-otp={otp}",
        ],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert decoded.returncode == 0, decoded.stderr
    token = decoded.stdout.strip()
    assert "root" in server.client(token).auth.token.lookup_self()["data"]["policies"]
