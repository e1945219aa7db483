"""Secret references: `ENV=mount/path#field`, from the command line or a YAML file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from reconciler.client.errors import ClientInputError
from reconciler.vocabulary import yaml12

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class SecretRef:
    """One variable of the child's environment and where its value lives.

    Invariant: `env` is a valid variable name, `path` has no slashes around it, `field` is
    not empty.
    """

    env: str
    path: str
    field: str


def parse_ref(text: str, where: str = "--secret") -> SecretRef:
    """Parse `ENV=mount/path#field`, or raise ClientInputError naming `where`."""
    env, eq, rest = text.partition("=")
    if not eq:
        raise ClientInputError(
            f"{text!r} is not ENV=mount/path#field",
            where=where,
            hint="for example DB_PASSWORD=secret/app/db#password",
        )
    return _ref(env.strip(), rest.strip(), where)


def _ref(env: str, target: str, where: str) -> SecretRef:
    hint = "write ENV=mount/path#field, e.g. DB_PASSWORD=secret/app/db#password"
    if not _ENV_NAME.fullmatch(env):
        raise ClientInputError(
            f"{env!r} is not an environment variable name", where=where, hint=hint
        )
    path, hash_, field = target.partition("#")
    path = path.strip().strip("/")
    if not hash_ or not field or "/" not in path:
        raise ClientInputError(f"{env}: {target!r} is not mount/path#field", where=where, hint=hint)
    return SecretRef(env, path, field)


def load_env_file(path: Path) -> list[SecretRef]:
    """The references of a YAML file mapping variable names to `mount/path#field`."""
    try:
        doc = yaml12.load(path.read_text())
    except OSError as exc:
        raise ClientInputError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except yaml.YAMLError as exc:
        raise ClientInputError(f"not YAML: {exc}", where=str(path)) from None
    if not isinstance(doc, dict):
        raise ClientInputError("expected a mapping of VARIABLE: mount/path#field", where=str(path))
    return [_ref(str(env), str(target), f"{path}: {env}") for env, target in doc.items()]


def merge(refs: list[SecretRef]) -> list[SecretRef]:
    """The references with each variable once (a later one wins), in first-seen order."""
    by_env: dict[str, SecretRef] = {}
    for ref in refs:
        by_env[ref.env] = ref
    return list(by_env.values())
