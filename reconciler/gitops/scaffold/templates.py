"""The files `sealkeep init` writes: a small repo shaped like examples/platform.

`{recipient}` is the new age public key; nothing here ever holds a private key.
"""

from __future__ import annotations

from collections.abc import Mapping

SEALKEEP_YAML = """\
# Sealkeep repo config: where manifests live and which stores to reconcile.
targets:
  - name: local
    address: http://127.0.0.1:8200
    auth:
      method: token            # VAULT_TOKEN
default_target: local
manifests: [platform, teams]
policies_dir: policies
branch: main
store:
  nodes: 1
  snapshot_schedule: "0 */6 * * *"
"""

SOPS_YAML = """\
# SOPS creation rules: Secret manifests (*.sops.yaml) are encrypted for these age recipients.
# Add each team member's and the CI's public key, then run `sealkeep secret updatekeys --all`.
creation_rules:
  - path_regex: \\.sops\\.yaml$
    encrypted_regex: ^(data|password)$
    age: {recipient}
"""

MOUNTS_YAML = """\
# Mounts, auth methods and the audit device the teams build on.
apiVersion: sealkeep.io/v1
kind: SecretsEngine
metadata:
  name: secret
spec:
  path: secret
  type: kv-v2
  description: application secrets, one folder per team
---
apiVersion: sealkeep.io/v1
kind: AuthMethod
metadata:
  name: approle
spec:
  path: approle
  type: approle
---
# Audit entries go to the server's standard output, so a first apply writes no file outside
# this repo. In production point file_path at a file the server may write, e.g.
# /var/log/sealkeep/audit.log with mode "0600".
apiVersion: sealkeep.io/v1
kind: AuditDevice
metadata:
  name: stdout
spec:
  path: stdout
  type: file
  options:
    file_path: stdout
"""

POLICY_HCL = """\
# The example app reads its own secrets and nothing else. File name = policy name.
path "secret/data/example/app/*" {
  capabilities = ["read"]
}

path "secret/data/example/app" {
  capabilities = ["read"]
}
"""

ROLES_YAML = """\
# How the example app logs in: short-lived tokens, expiring secret IDs, bound to its network.
apiVersion: sealkeep.io/v1
kind: AppRole
metadata:
  name: example-app
  owner: team-example
spec:
  token_policies: [example-app]
  token_ttl: 1h
  token_max_ttl: 4h
  secret_id_ttl: 24h
  secret_id_num_uses: 1
  secret_id_bound_cidrs: [10.0.0.0/8]
  token_bound_cidrs: [10.0.0.0/8]
"""

GITATTRIBUTES = """\
# Merge two edits of one encrypted file value by value (`sealkeep merge-driver install`).
*.sops.yaml merge=sealkeep
"""

GITIGNORE = """\
# Saved plans (`sealkeep plan --out plan.json`) hold fingerprints of live objects; keep
# them out of Git, and out of the clean-tree check of `sealkeep apply`.
plan.json
*.plan.json
# Never commit an age identity.
keys.txt
"""

PRE_COMMIT = """\
# pre-commit hooks (https://pre-commit.com): `pre-commit install` once per clone.
repos:
  - repo: https://github.com/sealkeep/sealkeep
    rev: v0.1.0
    hooks:
      - id: sealkeep-validate
      - id: sealkeep-no-cleartext-secrets
"""

FILES: Mapping[str, str] = {
    "sealkeep.yaml": SEALKEEP_YAML,
    ".sops.yaml": SOPS_YAML,
    "platform/mounts.yaml": MOUNTS_YAML,
    "policies/example-app.hcl": POLICY_HCL,
    "teams/example/roles.yaml": ROLES_YAML,
    ".gitattributes": GITATTRIBUTES,
    ".gitignore": GITIGNORE,
    ".pre-commit-config.yaml": PRE_COMMIT,
}

SECRET_FILE = "teams/example/secrets/app.sops.yaml"
SECRET_KV_PATH = "example/app"
# A placeholder, encrypted like a real value so the repo validates; replace it with
# `sealkeep secret set teams/example/secrets/app.sops.yaml api_key`.
SECRET_PLACEHOLDER = {"api_key": "replace-me"}
