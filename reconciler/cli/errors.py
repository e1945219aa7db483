"""One place that turns exceptions into messages and exit codes."""

from __future__ import annotations

import logging
import re
import sys

import click
import hvac.exceptions
import requests

EXIT_OK, EXIT_USER, EXIT_CHANGES, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

log = logging.getLogger("sealkeep.cli")


class UserError(click.ClickException):
    """A problem the user can fix; shown as written, exit 1."""

    exit_code = EXIT_USER

    def show(self, file: object = None) -> None:
        click.echo(f"Error: {self.message}", err=True)


def _describe_vault_error(exc: hvac.exceptions.VaultError) -> str:
    """One line: the server's messages without go-multierror framing, then the API path."""
    errors = getattr(exc, "errors", None) or [str(exc).split(", on ")[0]]
    messages: list[str] = []
    for error in errors:
        bullets = re.findall(r"\t\* (.+)", str(error))
        messages.extend(bullets or [str(error).strip()])
    text = "; ".join(m for m in messages if m) or exc.__class__.__name__
    method = (getattr(exc, "method", None) or "").upper()
    url = getattr(exc, "url", None) or ""
    path = url.split("/v1/", 1)[1] if "/v1/" in url else url
    return f"{text} ({method} {path})" if path else text


def run_with_exit_codes(group: click.Group) -> int:
    """Run the click group and return the process exit code."""
    try:
        # With standalone_mode=False click returns the code a command passed to ctx.exit().
        code = group.main(standalone_mode=False)
        return code if isinstance(code, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USER
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (hvac.exceptions.InternalServerError, hvac.exceptions.BadGateway) as exc:
        click.echo(f"Error: the server failed: {_describe_vault_error(exc)}", err=True)
        return EXIT_INTERNAL
    except hvac.exceptions.VaultError as exc:
        click.echo(f"Error: {_describe_vault_error(exc)}", err=True)
        return EXIT_USER
    except requests.exceptions.ConnectionError as exc:
        click.echo(f"Error: cannot reach the server: {exc.__class__.__name__}", err=True)
        return EXIT_USER
    except Exception:
        log.exception("internal error")
        click.echo("Error: internal error (details above)", err=True)
        return EXIT_INTERNAL
    finally:
        sys.stdout.flush()
