"""`sealkeep run`: run a command with its secrets in its environment, renewed and rotated."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import cast

import click

from reconciler.cli.options import Session, store_command
from reconciler.client.launcher.identity import AUTH_KINDS, AuthKind, Identity
from reconciler.client.launcher.refs import load_env_file, merge, parse_ref
from reconciler.client.launcher.supervisor import RunOptions, run
from reconciler.vocabulary.durations import parse_duration

_file = click.Path(exists=False, dir_okay=False, path_type=Path)


def _signal(name: str) -> int:
    key = name.upper() if name.upper().startswith("SIG") else f"SIG{name.upper()}"
    try:
        return int(signal.Signals[key])
    except KeyError:
        raise click.BadParameter(
            f"unknown signal {name!r}", param_hint="--restart-signal"
        ) from None


def _seconds(value: str, option: str) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
    if seconds <= 0:
        raise click.BadParameter("must be more than 0s", param_hint=option)
    return float(seconds)


def _report(line: str) -> None:
    click.echo(f"sealkeep run: {line}", err=True)


@click.command("run", context_settings={"allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="ENV=mount/path#field",
    help="Put this field of this secret in variable ENV (repeatable).",
)
@click.option(
    "--env-file",
    type=_file,
    default=None,
    help="A YAML file mapping variables to mount/path#field.",
)
@click.option(
    "--auth",
    type=click.Choice(AUTH_KINDS),
    default=None,
    help="Log in as the application (default: the token other commands use).",
)
@click.option("--auth-path", default=None, help="Where the auth method is mounted.")
@click.option("--role", default="", help="The role to log in with (kubernetes, jwt, aws).")
@click.option(
    "--role-id-file", type=_file, default=None, help="AppRole role id file (else SEALKEEP_ROLE_ID)."
)
@click.option(
    "--secret-id-file",
    type=_file,
    default=None,
    help="AppRole secret id file (else SEALKEEP_SECRET_ID).",
)
@click.option(
    "--jwt-file",
    type=_file,
    default=None,
    help="JWT file (else SEALKEEP_JWT; kubernetes: the pod's service-account token).",
)
@click.option("--header-value", default="", help="aws: the X-Vault-AWS-IAM-Server-ID value.")
@click.option("--region", default="", help="aws: the STS region to sign for.")
@click.option(
    "--poll-interval",
    default="60s",
    show_default=True,
    help="How often KV secrets are checked for a new version.",
)
@click.option(
    "--restart-signal",
    default="TERM",
    show_default=True,
    help="The signal that stops the command before it is started with new secrets.",
)
@click.option(
    "--stop-timeout",
    default="10s",
    show_default=True,
    help="How long the command may take to stop before it is killed.",
)
@store_command
def run_command(
    session: Session,
    command: tuple[str, ...],
    secrets: tuple[str, ...],
    env_file: Path | None,
    auth: str | None,
    auth_path: str | None,
    role: str,
    role_id_file: Path | None,
    secret_id_file: Path | None,
    jwt_file: Path | None,
    header_value: str,
    region: str,
    poll_interval: str,
    restart_signal: str,
    stop_timeout: str,
) -> None:
    """Run a command with secrets in its environment.

    For example: `sealkeep run --secret DB_PASSWORD=secret/db#password -- ./server`.

    The secrets are never written to disk, put in argv or printed. The token and leases are
    renewed; when a KV secret gets a new version or a lease ends, the command is stopped
    (--restart-signal) and started again with the new values. SIGINT, SIGTERM and SIGHUP are
    passed to the command; run exits with its exit code, after revoking the leases.
    """
    refs = [parse_ref(text) for text in secrets]
    if env_file is not None:
        refs = load_env_file(env_file) + refs
    identity = Identity(
        auth=cast(AuthKind, auth) if auth else None,
        mount=auth_path or "",
        role=role,
        role_id_file=role_id_file,
        secret_id_file=secret_id_file,
        jwt_file=jwt_file,
        header_value=header_value,
        region=region,
    )
    options = RunOptions(
        command=list(command),
        refs=merge(refs),
        identity=identity,
        poll_interval=_seconds(poll_interval, "--poll-interval"),
        restart_signal=_signal(restart_signal),
        stop_timeout=_seconds(stop_timeout, "--stop-timeout"),
    )
    sys.exit(run(session.client(), options, _report))
