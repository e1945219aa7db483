"""The one place that turns exceptions into messages and exit codes.

Every user-facing error of the package is a `SealkeepError` and is shown the same way:
`Error: <where>: <message>`, then `Hint: <what to do>` when there is one; exit 1 (3 when
the error is marked `internal`, such as a server's 5xx). Anything else is an internal fault
(exit 3, logged with its traceback); Ctrl-C exits 130.

hvac and requests are not imported here: they are slow to import and `sealkeep --version`
must not pay for them. An hvac or requests exception can only be in flight when those
modules were loaded, so the translation (`reconciler.client.errors`) is imported then.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.vocabulary.errors import SealkeepError

EXIT_OK, EXIT_USER, EXIT_CHANGES, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
F = TypeVar("F", bound=Callable[..., Any])


def show_error(error: SealkeepError) -> None:
    """Print `error` as every command shows one: `Error: where: message`, then `Hint: ...`."""
    click.echo(f"Error: {error.describe()}", err=True)


def exit_code_of(error: SealkeepError) -> int:
    """1 for a user error, 3 for a fault of a server or of ours."""
    return EXIT_INTERNAL if error.internal else EXIT_USER


class UserError(SealkeepError, click.ClickException):
    """A problem the user can fix; shown as written (with `where` and `hint`), exit 1.

    Also a click exception, so a command run on its own (tests, `python -m`) shows it too.
    """

    exit_code = EXIT_USER

    def show(self, file: object = None) -> None:
        """Print the error the one way errors are printed."""
        show_error(self)


class _Shown(UserError):
    """A library error on its way through click (keeps its exit code and rendering)."""

    def __init__(self, error: SealkeepError) -> None:
        super().__init__(str(error), where=error.where)
        self.error = error
        self.exit_code = exit_code_of(error)

    def show(self, file: object = None) -> None:
        """Print the original error (its own `describe`, its hint)."""
        show_error(self.error)


def as_click_error(error: SealkeepError) -> click.ClickException:
    """`error` as a click exception that prints and exits as `run_with_exit_codes` would."""
    return error if isinstance(error, UserError) else _Shown(error)


def translate_transport(exc: BaseException) -> SealkeepError | None:
    """An hvac or requests exception (raised by a client not built by `connect`) translated."""
    if "hvac" not in sys.modules and "requests" not in sys.modules:
        return None
    from reconciler.client.errors import address_of, translate

    url = str(getattr(exc, "url", "") or getattr(getattr(exc, "request", None), "url", "") or "")
    return translate(exc, address_of(url) or "the server")


def user_errors(func: F) -> F:
    """Let a command's library errors out as click exceptions, shown by `show_error`.

    Needed only where a command may run outside `run_with_exit_codes` (its own CliRunner
    group, `python -m`); the mapping itself is `show_error` / `exit_code_of`.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except SealkeepError as exc:
            raise as_click_error(exc) from None
        except Exception as exc:
            translated = translate_transport(exc)
            if translated is None:
                raise
            raise as_click_error(translated) from None

    return wrapper  # type: ignore[return-value]


def run_with_exit_codes(group: click.Command) -> int:
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
    except SealkeepError as exc:
        show_error(exc)
        return exit_code_of(exc)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (at a prompt too) into Abort; the interrupt is its cause/context.
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        click.echo("Aborted.", err=True)
        return EXIT_USER
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        translated = translate_transport(exc)
        if translated is not None:
            show_error(translated)
            return exit_code_of(translated)
        import logging  # only now: logging costs start-up time every run would pay

        logging.getLogger("sealkeep.cli").exception("internal error")
        click.echo("Error: internal error (details above)", err=True)
        return EXIT_INTERNAL
    finally:
        sys.stdout.flush()
