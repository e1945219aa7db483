"""Terminal conventions: colour only on a terminal, never under NO_COLOR or `--no-color`;
secrets asked for, hidden, only on a terminal (read from stdin otherwise).

`sealkeep --no-color` sets NO_COLOR (https://no-color.org) for the run, so one check serves
both; rich (apply's progress bar) reads NO_COLOR itself.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

import click

from reconciler.cli.errors import UserError


def no_color() -> bool:
    """True when NO_COLOR is set to a non-empty value (the convention's rule)."""
    return bool(os.environ.get("NO_COLOR"))


def color_enabled(stream: TextIO) -> bool:
    """Whether to colour what goes to `stream`: a terminal, and no NO_COLOR."""
    return not no_color() and stream.isatty()


def read_secret(prompt: str) -> str:
    """A secret: asked for, hidden, on a terminal; else the first line of stdin.

    Without a terminal getpass cannot hide the input and prints a GetPassWarning; a script
    that pipes the value in wants neither the warning nor a prompt.
    """
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True))
    line = sys.stdin.readline()
    if not line.strip():
        raise UserError(
            f"{prompt.split(' (')[0]}: nothing on stdin",
            hint="pipe the value in, or run the command in a terminal to be asked for it",
        )
    return line.rstrip("\r\n")
