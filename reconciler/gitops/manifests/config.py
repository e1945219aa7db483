"""The repo config, `sealkeep.yaml` at the repository root.

Every command that reads a repo finds its root by walking up from the working directory to
the first folder holding `sealkeep.yaml`, as git finds `.git`; the walk stops at the Git
top level (or the filesystem root), so a subfolder of another repo is never mistaken for
a Sealkeep repo. No config found is an error, never an implicit target.

`VAULT_ADDR` overrides the chosen target's address, as it does for the vault CLI; the token
itself (`VAULT_TOKEN`) is the client's business and never part of the config.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.manifests.schema import load_schemas
from reconciler.gitops.manifests.source import Document, Span, parse_yaml
from reconciler.gitops.manifests.validate import schema_problems
from reconciler.vocabulary.durations import parse_duration
from reconciler.vocabulary.errors import SealkeepError

CONFIG_FILE = "sealkeep.yaml"
DEFAULT_LOCK_TIMEOUT = 300
# Apply refuses a plan deleting more than this share of the managed objects unless the
# plan was made with --allow-destroy.
DEFAULT_MAX_DESTROY_SHARE = 0.25

TargetAuthMethod = Literal["token", "approle", "jwt"]
LintSeverity = Literal["error", "warning"]


class ConfigError(SealkeepError):
    """A target was asked for that the config cannot provide."""


class RepoNotFound(ConfigError):
    """No `sealkeep.yaml` in the start folder or any parent up to the Git top level."""


def _searched(start: Path) -> Iterator[Path]:
    """`start` and its parents, up to and including the first one holding `.git`."""
    for folder in (start, *start.parents):
        yield folder
        if (folder / ".git").exists():
            return


def find_repo_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `sealkeep.yaml` (RepoNotFound if none).

    The walk stops at the Git top level, so running from a subfolder of another repository
    (or from anywhere outside one) fails instead of reading a stray folder as a repo.
    """
    start = start.resolve()
    searched = list(_searched(start))
    for folder in searched:
        if (folder / CONFIG_FILE).is_file():
            return folder
    top = searched[-1]
    raise RepoNotFound(
        f"no {CONFIG_FILE} found in {start} or any parent up to {top}",
        hint=f"run from the repo's folder (or pass its path), or create {CONFIG_FILE} "
        "with `sealkeep init`",
    )


@dataclass(frozen=True, kw_only=True)
class TargetAuth:
    """How the reconciler logs in to a target; secrets come from the named env variables."""

    method: TargetAuthMethod = "token"
    role: str | None = None
    mount: str | None = None
    role_id_env: str | None = None
    secret_id_env: str | None = None
    jwt_env: str | None = None


@dataclass(frozen=True, kw_only=True)
class Target:
    """A store to reconcile; `mount_prefix` is prepended to every mount path when set."""

    name: str
    address: str
    auth: TargetAuth = field(default_factory=TargetAuth)
    mount_prefix: str | None = None

    def with_environment(self, environ: Mapping[str, str]) -> Target:
        """This target with `VAULT_ADDR` (when set) as its address."""
        address = environ.get("VAULT_ADDR")
        return replace(self, address=address) if address else self


@dataclass(frozen=True, kw_only=True)
class LintConfig:
    """Lint rules turned off, and per-rule severity overrides."""

    disable: tuple[str, ...] = ()
    severity: Mapping[str, LintSeverity] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ApplyConfig:
    """Apply settings; `lock_timeout` in seconds; `max_destroy_share` in [0, 1] is the share
    of managed objects a plan may delete without `--allow-destroy`."""

    lock_timeout: int = DEFAULT_LOCK_TIMEOUT
    max_destroy_share: float = DEFAULT_MAX_DESTROY_SHARE


@dataclass(frozen=True, kw_only=True)
class RepoConfig:
    """`sealkeep.yaml`: targets, manifest folders (relative to the root) and settings.

    Invariant: target names are unique and `default_target`, when set, names one of them.
    """

    targets: tuple[Target, ...] = ()
    default_target: str | None = None
    manifests: tuple[str, ...] = (".",)
    policies_dir: str = "policies"
    branch: str = "main"
    lint: LintConfig = field(default_factory=LintConfig)
    apply: ApplyConfig = field(default_factory=ApplyConfig)

    def target(self, name: str | None = None, environ: Mapping[str, str] | None = None) -> Target:
        """The target `name` (else the default, else the only one), with env overrides.

        With no targets configured, `VAULT_ADDR` alone defines a token-auth target `env`.
        Raises ConfigError naming the choices when none fits.
        """
        env = environ or {}
        wanted = name or self.default_target
        if wanted is None and len(self.targets) == 1:
            wanted = self.targets[0].name
        for target in self.targets:
            if target.name == wanted:
                return target.with_environment(env)
        if wanted is None and not self.targets and env.get("VAULT_ADDR"):
            return Target(name="env", address=env["VAULT_ADDR"])
        choices = ", ".join(t.name for t in self.targets) or "none configured"
        what = f"unknown target '{wanted}'" if wanted else "no target chosen"
        raise ConfigError(f"{what} (targets: {choices}; see {CONFIG_FILE})")


def _target(raw: Mapping[str, Any]) -> Target:
    auth = raw["auth"]
    return Target(
        name=str(raw["name"]),
        address=str(raw["address"]),
        mount_prefix=raw.get("mount_prefix"),
        auth=TargetAuth(
            method=cast(TargetAuthMethod, auth["method"]),
            role=auth.get("role"),
            mount=auth.get("mount"),
            role_id_env=auth.get("role_id_env"),
            secret_id_env=auth.get("secret_id_env"),
            jwt_env=auth.get("jwt_env"),
        ),
    )


def _share(raw: object) -> float:
    """`max_destroy_share`: a number in [0, 1] or a percentage string such as `25%`."""
    if raw is None:
        return DEFAULT_MAX_DESTROY_SHARE
    if isinstance(raw, str):
        return float(raw.rstrip("%")) / 100
    return float(cast(float, raw))


def config_from_dict(raw: Mapping[str, Any]) -> RepoConfig:
    """A RepoConfig from a schema-valid `sealkeep.yaml` document (missing keys: defaults)."""
    lint = raw.get("lint") or {}
    apply = raw.get("apply") or {}
    timeout = apply.get("lock_timeout")
    return RepoConfig(
        targets=tuple(_target(t) for t in raw.get("targets") or ()),
        default_target=raw.get("default_target"),
        manifests=tuple(raw.get("manifests") or (".",)),
        policies_dir=str(raw.get("policies_dir") or "policies").rstrip("/"),
        branch=str(raw.get("branch") or "main"),
        lint=LintConfig(
            disable=tuple(lint.get("disable") or ()), severity=dict(lint.get("severity") or {})
        ),
        apply=ApplyConfig(
            lock_timeout=DEFAULT_LOCK_TIMEOUT if timeout is None else parse_duration(timeout),
            max_destroy_share=_share(apply.get("max_destroy_share")),
        ),
    )


def _semantic_problems(doc: Document, raw: Mapping[str, Any]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[str] = set()
    for index, target in enumerate(raw.get("targets") or ()):
        if target["name"] in seen:
            path = ("targets", index, "name")
            message = f"target '{target['name']}' is defined twice"
            found.append(Diagnostic.at(doc.value_span(path), message, json_path=path))
        seen.add(target["name"])
    default = raw.get("default_target")
    if default is not None and default not in seen:
        message = f"default_target '{default}' is not one of the targets"
        span = doc.value_span(("default_target",))
        found.append(Diagnostic.at(span, message, json_path=("default_target",)))
    return found


def load_config(root: Path) -> tuple[RepoConfig, list[Diagnostic]]:
    """Read `<root>/sealkeep.yaml`; on any problem, the defaults and the diagnostics."""
    file = root / CONFIG_FILE
    if not file.is_file():
        return RepoConfig(), []
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return RepoConfig(), [Diagnostic.at(Span(CONFIG_FILE, 1, 1), f"cannot read: {reason}")]
    parsed = parse_yaml(text, CONFIG_FILE)
    if parsed.error is not None:
        return RepoConfig(), [Diagnostic.at(parsed.error.span, parsed.error.message)]
    if not parsed.documents or parsed.documents[0].value is None:
        return RepoConfig(), []
    doc = parsed.documents[0]
    found = [Diagnostic.at(p.span, p.message, json_path=p.json_path) for p in doc.problems]
    schemas = load_schemas()
    for problem in schema_problems(schemas.config, schemas.registry, doc.value):
        span = doc.locate(problem.json_path, at_key=problem.at_key)
        found.append(Diagnostic.at(span, problem.message, json_path=problem.json_path))
    if found:
        return RepoConfig(), found
    raw = cast(Mapping[str, Any], doc.value)
    found = _semantic_problems(doc, raw)
    return (RepoConfig(), found) if found else (config_from_dict(raw), [])
