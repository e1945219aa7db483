"""`sealkeep secret`: create and edit SOPS-encrypted Secret manifests.

Each command parses its options, calls one function of `reconciler.gitops.sops`, renders the result
and exits with a code: 0 success, 1 user error (message names the file). Secret values are
never taken from argv: `set` reads stdin or a hidden prompt.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_USER, show_error
from reconciler.gitops.sops import SopsError, manifest, rotate
from reconciler.gitops.sops.keysources.age import load_identities

_FILE = click.Path(path_type=Path, dir_okay=False)
_EXISTING = click.Path(path_type=Path, dir_okay=False, exists=True)


def _run(action: Callable[[], int]) -> None:
    """Run a command body and exit with its code; user errors exit 1 with their message."""
    try:
        code = action()
    except SopsError as exc:
        show_error(exc)
        code = EXIT_USER
    click.get_current_context().exit(code)


@click.group("secret")
def secret() -> None:
    """Create and edit encrypted Secret manifests (SOPS files with age recipients)."""


@secret.command("new")
@click.argument("file", type=_FILE)
@click.option("--path", "kv_path", required=True, help="Store path, MOUNT/PATH (kv/team/app).")
@click.option("--mount", default=None, help="Mount, when --path holds only the path.")
@click.option("--name", default=None, help="metadata.name (default: the file name).")
@click.option("--recipient", "recipients", multiple=True, help="age recipient (repeatable).")
def new(
    file: Path, kv_path: str, mount: str | None, name: str | None, recipients: tuple[str, ...]
) -> None:
    """Create a Secret manifest skeleton with an empty, encrypted spec.data."""

    def body() -> int:
        manifest.new_secret(file, kv_path, mount, name, recipients)
        click.echo(f"{file}: created")
        return 0

    _run(body)


@secret.command("set")
@click.argument("file", type=_EXISTING)
@click.argument("key")
def set_(file: Path, key: str) -> None:
    """Set spec.data.KEY from stdin (or a hidden prompt on a terminal)."""

    def body() -> int:
        if sys.stdin.isatty():
            value = click.prompt(f"value for {key}", hide_input=True, confirmation_prompt=True)
        else:
            value = sys.stdin.read().removesuffix("\n")
        manifest.set_value(file, key, value)
        click.echo(f"{file}: set spec.data.{key}")
        return 0

    _run(body)


@secret.command("unset")
@click.argument("file", type=_EXISTING)
@click.argument("key")
def unset(file: Path, key: str) -> None:
    """Remove spec.data.KEY."""

    def body() -> int:
        manifest.unset_value(file, key)
        click.echo(f"{file}: removed spec.data.{key}")
        return 0

    _run(body)


@secret.command("decrypt")
@click.argument("file", type=_EXISTING)
def decrypt(file: Path) -> None:
    """Print the decrypted file to stdout."""

    def body() -> int:
        if sys.stdout.isatty():
            click.echo("Warning: printing secret values to a terminal", err=True)
        click.echo(manifest.decrypted_text(file), nl=False)
        return 0

    _run(body)


@secret.command("edit")
@click.argument("file", type=_EXISTING)
def edit(file: Path) -> None:
    """Edit the decrypted file in $EDITOR; unchanged values keep their ciphertext."""

    def body() -> int:
        plaintext, doc = manifest.open_for_edit(file)
        edited = _run_editor(file, plaintext)
        if edited == plaintext:
            click.echo(f"{file}: no changes")
            return 0
        changed = manifest.save_edited(file, edited, doc)
        click.echo(f"{file}: {'saved' if changed else 'no changes'}")
        return 0

    _run(body)


def _run_editor(file: Path, plaintext: str) -> str:
    """Open the plaintext in $EDITOR in a private temp folder, which is removed afterwards."""
    editor = shlex.split(os.environ.get("EDITOR") or "vi")
    with tempfile.TemporaryDirectory(prefix="sealkeep-edit-") as folder:
        os.chmod(folder, 0o700)
        temp = Path(folder) / file.name
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(plaintext)
        try:
            done = subprocess.run([*editor, str(temp)], check=False)
        except OSError as exc:
            raise SopsError(
                f"{file}: cannot start the editor {editor[0]!r}: {exc.strerror}"
            ) from None
        if done.returncode != 0:
            raise SopsError(
                f"{file}: the editor exited with status {done.returncode}; file left unchanged"
            )
        return temp.read_text(encoding="utf-8")


@secret.command("updatekeys")
@click.argument("files", nargs=-1, type=_EXISTING)
@click.option(
    "--all", "all_files", is_flag=True, help="Every SOPS file under the .sops.yaml folder."
)
def updatekeys(files: tuple[Path, ...], all_files: bool) -> None:
    """Re-wrap data keys for the recipients .sops.yaml now lists (values unchanged)."""

    def body() -> int:
        if bool(files) == all_files:
            raise SopsError("give FILE arguments or --all (not both)")
        targets = list(files) or list(manifest.sops_files(manifest.repo_root(Path.cwd())))
        outcomes = manifest.updatekeys_many(targets, load_identities())
        for outcome in outcomes:
            status = outcome.error or ("updated" if outcome.changed else "up to date")
            click.echo(f"{outcome.file}: {status}", err=outcome.error is not None)
        return 1 if any(o.error for o in outcomes) else 0

    _run(body)


@secret.command("rotate")
@click.argument("file", type=_EXISTING)
def rotate_(file: Path) -> None:
    """Give the file a new data key and re-encrypt every value."""

    def body() -> int:
        rotate(file)
        click.echo(f"{file}: rotated")
        return 0

    _run(body)


__all__ = ["secret"]
