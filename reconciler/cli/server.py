"""`sealkeep server`: run the store (in memory with --dev, or from a config file)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.errors import UserError
from reconciler.server.config import ConfigError, ListenerConfig, load_config
from reconciler.server.serve import serve
from reconciler.store.core import Core, CoreConfig
from reconciler.store.storage.factory import open_storage


@click.command()
@click.option("--dev", is_flag=True, help="In memory, initialised and unsealed; for development.")
@click.option("--dev-root-token-id", default="", help="Use this root token in --dev mode.")
@click.option("--dev-listen-address", default="127.0.0.1:8200", show_default=True)
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="HCL or YAML config."
)
def server(
    dev: bool, dev_root_token_id: str, dev_listen_address: str, config_path: Path | None
) -> None:
    """Run the Sealkeep store (speaks the Vault HTTP API)."""
    if dev == bool(config_path):
        raise UserError("give exactly one of --dev or --config FILE")
    if dev:
        core = Core(open_storage("memory", {}), CoreConfig(storage_type="inmem"))
        root_token = core.dev_setup(dev_root_token_id)
        listener = ListenerConfig(address=dev_listen_address)
        click.echo("==> Sealkeep server started in DEV mode (in memory, unsealed).")
        click.echo(f"    Api Address: http://{dev_listen_address}")
        click.echo(f"    Root Token: {root_token}")
        click.echo(f"    export VAULT_ADDR='http://{dev_listen_address}'")
        serve_now(core, listener)
        return
    assert config_path is not None
    try:
        config = load_config(config_path)
        storage = open_storage(config.storage_type, config.storage_options)
    except (ConfigError, ValueError) as exc:
        raise UserError(str(exc)) from None
    core = Core(
        storage,
        CoreConfig(
            default_lease_ttl=config.default_lease_ttl,
            max_lease_ttl=config.max_lease_ttl,
            storage_type=config.storage_type,
        ),
    )
    scheme = "https" if config.listener.tls_cert_file else "http"
    click.echo(f"==> Sealkeep server listening on {scheme}://{config.listener.address} (sealed)")
    serve_now(core, config.listener)


def serve_now(core: Core, listener: ListenerConfig) -> None:
    """Serve with stdout flushed first, so wrappers see the banner immediately."""
    click.get_text_stream("stdout").flush()
    serve(core, listener)
