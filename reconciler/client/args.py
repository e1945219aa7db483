"""Parse Vault-CLI style data arguments: `k=v`, `k=@file`, `k=-` (stdin), `-` or `@file` JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from reconciler.client.usererrors import ClientInputError


class _Stdin:
    """Stdin, read at most once (two arguments cannot both take it)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._used_by = ""

    def read(self, who: str) -> str:
        if self._used_by:
            raise ClientInputError(f"{who}: stdin was already read for {self._used_by}")
        self._used_by = who
        return self._stream.read()


def read_file(name: str, who: str) -> str:
    """The text of file `name`; `who` names the argument in the error."""
    try:
        return Path(name).read_text()
    except OSError as exc:
        raise ClientInputError(f"{who}: cannot read {name}: {exc.strerror}") from None


def read_source(name: str, stdin: TextIO) -> str:
    """The text of file `name`, or of stdin when `name` is `-`."""
    return stdin.read() if name == "-" else read_file(name, name)


def _json_object(text: str, who: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClientInputError(f"{who}: not valid JSON (line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise ClientInputError(f"{who}: the JSON must be an object")
    return value


def _value(raw: str, key: str, stdin: _Stdin) -> str:
    if raw == "-":
        return stdin.read(f"{key}=-").rstrip("\n")
    if raw.startswith("@"):
        return read_file(raw[1:], f"{key}=@{raw[1:]}")
    return raw


def parse_kv_args(args: Sequence[str], stdin: TextIO) -> dict[str, Any]:
    """Turn data arguments into one mapping; later arguments win.

    `k=v` sets a string, `k=@file` the file's text, `k=-` stdin's text; a lone `-` or `@file`
    merges a JSON object. An argument without `=` is an error that names it by position.
    """
    reader = _Stdin(stdin)
    data: dict[str, Any] = {}
    for position, arg in enumerate(args, start=1):
        if arg == "-":
            data.update(_json_object(reader.read("-"), "stdin"))
        elif arg.startswith("@") and "=" not in arg:
            data.update(_json_object(read_file(arg[1:], arg), arg))
        elif "=" in arg and not arg.startswith("="):
            key, raw = arg.split("=", 1)
            data[key] = _value(raw, key, reader)
        else:
            # Not echoed: a value typed without its key may well be a secret.
            raise ClientInputError(
                f"data argument {position} has no '=': write key=value, key=@file, key=- or -"
            )
    return data


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    """`k=v` strings (e.g. -metadata) into a mapping; `what` names the option in errors."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ClientInputError(f"{what}: {pair!r} must be key=value")
        result[key] = value
    return result


def parse_versions(text: str | None) -> list[int]:
    """`1,2,3` (or repeated) into version numbers; empty gives []."""
    if not text:
        return []
    versions = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ClientInputError(f"-versions: {part!r} is not a version number")
        versions.append(int(part))
    return versions
