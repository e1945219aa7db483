"""`sealkeep server`: run the store (in memory with --dev, or from a config file)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.errors import UserError, user_errors
from reconciler.server.bootstrap import core_from_config, dev_core
from reconciler.server.config import ListenerConfig
from reconciler.server.serve import ListenError, bind, serve


@click.command()
@click.option("--dev", is_flag=True, help="In memory, initialised and unsealed; for development.")
@click.option("--dev-root-token-id", default="", help="Use this root token in --dev mode.")
@click.option(
    "--dev-listen-address",
    default="127.0.0.1:8200",
    show_default=True,
    help="host:port the --dev server listens on.",
)
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="HCL or YAML config."
)
@user_errors
def server(
    dev: bool, dev_root_token_id: str, dev_listen_address: str, config_path: Path | None
) -> None:
    """Run the Sealkeep store (speaks the Vault HTTP API)."""
    if dev == bool(config_path):
        raise UserError("give exactly one of --dev or --config FILE")
    if config_path is None:
        listener = ListenerConfig(address=dev_listen_address)
        sock = bind(listener)  # a busy port fails here, before any banner or root token
        core, root_token = dev_core(dev_root_token_id)
        click.echo("==> Sealkeep server started in DEV mode (in memory, unsealed).")
        click.echo(f"    Api Address: http://{dev_listen_address}")
        click.echo(f"    Root Token: {root_token}")
        click.echo(f"    export VAULT_ADDR='http://{dev_listen_address}'")
    else:
        core, listener = core_from_config(config_path)
        try:
            sock = bind(listener)
        except ListenError:
            core.close()
            raise
        scheme = "https" if listener.tls_cert_file else "http"
        click.echo(f"==> Sealkeep server listening on {scheme}://{listener.address} (sealed)")
    sys.stdout.flush()
    serve(core, listener, sock)
