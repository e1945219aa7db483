"""Adopt an existing server into Git: `sealkeep export --to DIR` writes the manifests that
describe a live Vault, OpenBao or Sealkeep, so that a plan right after finds nothing to change.

`discover` reads the live objects, `specs` turns each back into a manifest, `secrets`
encrypts KV secrets in memory for the repo's `.sops.yaml` recipients, `writer` lays the
files out.
"""

from reconciler.gitops.export.writer import ExportOptions, ExportResult, export_server

__all__ = ["ExportOptions", "ExportResult", "export_server"]
