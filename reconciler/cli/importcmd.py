"""`sealkeep import KIND/NAME...`: adopt existing store objects that Git declares."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from reconciler.cli.plan import reconcile_errors, state_mount_option, target_option
from reconciler.gitops.apply.adopt import ImportRequest, import_objects
from reconciler.gitops.plan.build import PlanContext, load_checked, open_target


@click.command("import")
@click.argument("objects", nargs=-1, required=True)
@click.option(
    "--repo", "-C", "repo", type=click.Path(file_okay=False, path_type=Path), default=".",
    help="The repo (sealkeep.yaml is looked for here and above).",
)  # fmt: skip
@target_option
@state_mount_option
@reconcile_errors
def import_(objects: tuple[str, ...], repo: Path, target: str | None, state_mount: str) -> None:
    """Record live objects (KIND/NAME, as declared in Git) as managed by the reconciler."""
    ctx = PlanContext(root=repo.resolve(), target=target, environ=os.environ)
    result = load_checked(ctx.root)
    assert result.desired is not None
    client, _ = open_target(ctx, result.config)
    owner = os.environ.get("SEALKEEP_ACTOR") or getpass.getuser()
    request = ImportRequest(
        keys=objects, state_mount=state_mount, owner=owner,
        lock_timeout=result.config.apply.lock_timeout,
    )  # fmt: skip
    entries = import_objects(client, result.desired, request, ctx.root)
    for entry in entries:
        click.echo(f"  adopted {entry.ref} ({entry.ref.address})")
    click.echo(f"Imported {len(entries)} object(s); run `sealkeep plan` to see how they differ.")
