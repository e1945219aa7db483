"""The differential harness: run one scenario against Sealkeep and OpenBao, compare what matters.

A scenario is a function of a `Target` that returns named `Observation`s. An observation
keeps what a client depends on (status code or CLI exit code, the JSON *shape* of the body:
keys and value types, and the values the scenario names as comparable) and drops what
legitimately differs (ids, tokens, accessors, timestamps: they differ by value only, and
only shapes are compared). `differences()` lists every mismatch as `step.where: what`;
`assert_same()` fails on each one that `intended_differences.INTENDED` does not list.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hvac
import requests

from tests.conformance.intended_differences import INTENDED
from tests.gitops.cli.store_cli import run as run_sealkeep


@dataclass(frozen=True)
class Target:
    """One server under test: its name, address, root token and `bao` binary."""

    name: str
    url: str
    root_token: str
    bao: str

    def client(self, token: str | None = None) -> hvac.Client:
        """A real hvac client (root unless told otherwise)."""
        return hvac.Client(url=self.url, token=self.root_token if token is None else token)

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
    ) -> requests.Response:
        """One raw HTTP request to `/v1/<path>` (redirects are not followed)."""
        sent = {"X-Vault-Token": self.root_token if token is None else token}
        sent.update(headers or {})
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        return requests.request(
            method, f"{self.url}/v1/{path}", data=data, headers=sent, allow_redirects=False,
            timeout=30,
        )  # fmt: skip

    def raw(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        """One request sent byte for byte (`requests` would clean `.` segments itself)."""
        host, port = self.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.putrequest(method, f"/v1/{path}", skip_accept_encoding=True)
            conn.putheader("X-Vault-Token", self.root_token)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            conn.close()

    def cli(self, *args: str, token: str | None = None, stdin: str = "") -> CLIResult:
        """Run the real `bao` CLI against this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env.update(BAO_ADDR=self.url, BAO_TOKEN=self.root_token if token is None else token)
        done = subprocess.run(
            [self.bao, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
        )
        return CLIResult(done.returncode, done.stdout, done.stderr)

    def sealkeep(self, *args: str, token: str | None = None) -> CLIResult:
        """Run the `sealkeep` CLI (its store commands) against this server, in this process
        through the console entry's exit-code handler (a process each would cost a second)."""
        env = {"VAULT_ADDR": self.url, "VAULT_TOKEN": self.root_token if token is None else token}
        done = run_sealkeep(list(args), env=env)
        return CLIResult(done.code, done.stdout, done.stderr)


@dataclass(frozen=True)
class CLIResult:
    """A finished CLI run. Its output is never printed by the harness (it may hold secrets)."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON (for `-format=json`)."""
        return json.loads(self.stdout)


@dataclass
class Observation:
    """What one step showed a client: a code, a body shape, and chosen values."""

    code: int
    shape: Any = None
    values: dict[str, Any] = field(default_factory=dict)


def shape_of(value: Any) -> Any:
    """Keys and value types, recursively; a list is the merged shape of its items."""
    if isinstance(value, dict):
        return {k: shape_of(v) for k, v in value.items()}
    if isinstance(value, list):
        if not value:
            return "list[]"
        shapes = [shape_of(v) for v in value]
        if all(isinstance(s, str) for s in shapes):
            return "list[" + "|".join(sorted(set(shapes))) + "]"
        merged: dict[str, Any] = {}
        for item in shapes:
            if isinstance(item, dict):
                merged.update(item)
        return [merged]
    if value is None:
        return "null"
    return type(value).__name__


def observe(resp: requests.Response, **values: Any) -> Observation:
    """A response's status and body shape, plus the named values."""
    kind = resp.headers.get("content-type", "").split(";")[0]
    if not resp.content:
        return Observation(resp.status_code, "<empty>", values)
    if kind != "application/json":
        return Observation(resp.status_code, f"<{kind or 'no content type'}>", values)
    return Observation(resp.status_code, shape_of(resp.json()), values)


def observe_cli(result: CLIResult, *, json_out: bool = False, **values: Any) -> Observation:
    """A CLI run's exit code (and the shape of its JSON output when asked)."""
    shape = shape_of(result.json()) if json_out and result.exit_code == 0 else None
    return Observation(result.exit_code, shape, values)


Scenario = Callable[[Target], dict[str, Observation]]


def _walk(where: str, ours: Any, theirs: Any, out: list[str]) -> None:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            here = f"{where}.{key}"
            if key not in theirs:
                out.append(f"{here}: only on sealkeep")
            elif key not in ours:
                out.append(f"{here}: only on openbao")
            else:
                _walk(here, ours[key], theirs[key], out)
    elif isinstance(ours, list) and isinstance(theirs, list) and ours and theirs:
        _walk(f"{where}[]", ours[0], theirs[0], out)
    elif ours != theirs:
        out.append(f"{where}: sealkeep {_short(ours)} != openbao {_short(theirs)}")


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def differences(
    scenario: str, ours: dict[str, Observation], theirs: dict[str, Observation]
) -> list[str]:
    """Every mismatch between the two servers' observations, as `scenario/step.where: what`."""
    out: list[str] = []
    for step in sorted(set(ours) | set(theirs)):
        here = f"{scenario}/{step}"
        if step not in ours or step not in theirs:
            out.append(f"{here}: step missing on {'sealkeep' if step not in ours else 'openbao'}")
            continue
        a, b = ours[step], theirs[step]
        if a.code != b.code:
            out.append(f"{here}.code: sealkeep {a.code} != openbao {b.code}")
        _walk(f"{here}.body", a.shape, b.shape, out)
        _walk(f"{here}.values", a.values, b.values, out)
    return out


# Patterns of INTENDED that explained at least one difference in this session (a listed
# difference nothing shows any more is stale: conftest.py fails the full suite on it).
EXPLAINED: set[str] = set()


def unintended(found: list[str]) -> list[str]:
    """The differences no entry of the intended-differences list explains."""
    left = []
    for difference in found:
        matched = [i.pattern for i in INTENDED if fnmatch.fnmatchcase(difference, i.pattern)]
        EXPLAINED.update(matched)
        if not matched:
            left.append(difference)
    return left


def assert_same(name: str, scenario: Scenario, sealkeep: Target, openbao: Target) -> None:
    """Run `scenario` on both servers; fail on every difference not listed as intended."""
    ours = scenario(sealkeep)
    theirs = scenario(openbao)
    left = unintended(differences(name, ours, theirs))
    assert not left, "Sealkeep differs from OpenBao:\n" + "\n".join(left)
