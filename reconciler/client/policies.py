"""ACL policies: list, read, write (checked locally first), delete, and canonical formatting."""

from __future__ import annotations

from pathlib import Path

import hvac
import hvac.exceptions

from reconciler.client.args import read_file
from reconciler.client.errors import ClientInputError, ClientNotFound
from reconciler.client.results import Listing, Result, as_json, listing_of
from reconciler.vocabulary.policy import PolicyParseError, format_policy, parse_policy


def list_policies(client: hvac.Client) -> Listing:
    """Names of the ACL policies (`sys/policies/acl`)."""
    return listing_of(client.sys.list_acl_policies())


def read_policy(client: hvac.Client, name: str) -> Result:
    """One policy: its name and its text."""
    try:
        raw = as_json(client.sys.read_acl_policy(name))
    except hvac.exceptions.InvalidPath:
        raise ClientNotFound(f"no policy named {name!r}") from None
    return Result(raw=raw, data=raw.get("data") or {})


def write_policy(client: hvac.Client, name: str, text: str, source: str) -> None:
    """Create or replace policy `name`; a syntax error names `source` and its line first."""
    if not name.strip():
        raise ClientInputError("the policy name is empty")
    try:
        parse_policy(name, text)
    except PolicyParseError as exc:
        raise ClientInputError(f"{source}: {exc}") from None
    client.sys.create_or_update_acl_policy(name, text)


def delete_policy(client: hvac.Client, name: str) -> None:
    """Delete policy `name` (deleting one that does not exist succeeds, as in Vault)."""
    client.sys.delete_acl_policy(name)


def format_policy_file(path: Path) -> bool:
    """Rewrite the policy file at `path` as canonical HCL; True when it changed."""
    text = read_file(str(path), str(path))
    try:
        canonical = format_policy(text)
    except PolicyParseError as exc:
        raise ClientInputError(f"{path}: {exc}") from None
    if canonical == text:
        return False
    path.write_text(canonical)
    return True
