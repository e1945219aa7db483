"""age as a sops key source: find identities as sops does, wrap and unwrap the data key.

Identities are gathered from every configured place, in sops' order: `SOPS_AGE_KEY`,
`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, then `$XDG_CONFIG_HOME/sops/age/keys.txt` (or
`~/.config/sops/age/keys.txt`). Lines starting with `#` are ignored. Nothing is cached: a
process that rotates keys sees the new ones at the next call.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pyrage
from pyrage import x25519

from reconciler.gitops.sops.errors import NoIdentityError, SopsError
from reconciler.gitops.sops.metadata import AgeEntry

DATA_KEY_SIZE = 32
_KEY_PREFIX = "AGE-SECRET-KEY-"


def _key_lines(text: str) -> list[str]:
    return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]


def default_keys_file(env: Mapping[str, str]) -> Path:
    """The keys file sops reads when no variable names one."""
    config_home = env.get("XDG_CONFIG_HOME") or str(
        Path(env.get("HOME", "~")).expanduser() / ".config"
    )
    return Path(config_home) / "sops" / "age" / "keys.txt"


def load_identities(env: Mapping[str, str] | None = None) -> list[str]:
    """All age identities (`AGE-SECRET-KEY-...` strings) configured for this process."""
    env = os.environ if env is None else env
    found: list[str] = []
    if env.get("SOPS_AGE_KEY"):
        found += _key_lines(env["SOPS_AGE_KEY"])
    if env.get("SOPS_AGE_KEY_FILE"):
        found += _read_keys_file(Path(env["SOPS_AGE_KEY_FILE"]), "SOPS_AGE_KEY_FILE")
    if env.get("SOPS_AGE_KEY_CMD"):
        found += _run_key_cmd(env["SOPS_AGE_KEY_CMD"])
    default = default_keys_file(env)
    if default.is_file():
        found += _read_keys_file(default, str(default))
    return found


def _read_keys_file(path: Path, origin: str) -> list[str]:
    try:
        return _key_lines(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NoIdentityError(
            f"cannot read the age keys file {path} ({origin}): {exc.strerror}"
        ) from None


def _run_key_cmd(command: str) -> list[str]:
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise NoIdentityError(f"SOPS_AGE_KEY_CMD failed to start: {exc.strerror}") from None
    if done.returncode != 0:
        raise NoIdentityError(f"SOPS_AGE_KEY_CMD exited with status {done.returncode}")
    return _key_lines(done.stdout)


def parse_identities(identities: Iterable[str]) -> list[x25519.Identity]:
    """Parse identity strings (each may hold several lines, as a keys file does)."""
    parsed = []
    for number, line in enumerate((k for text in identities for k in _key_lines(text)), 1):
        if not line.startswith(_KEY_PREFIX):
            raise NoIdentityError(f"age identity #{number} is not an AGE-SECRET-KEY-... string")
        try:
            parsed.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            # `from None`: the error would otherwise chain text about the private key.
            raise NoIdentityError(f"age identity #{number} is malformed") from None
    return parsed


def recipient_of(identity: str) -> str:
    """The public `age1...` recipient of one identity string."""
    parsed = parse_identities([identity])
    if len(parsed) != 1:
        raise NoIdentityError("expected exactly one age identity")
    return str(parsed[0].to_public())


def wrap(data_key: bytes, recipient: str) -> AgeEntry:
    """Encrypt the data key for one recipient as an armored age message."""
    try:
        parsed = x25519.Recipient.from_str(recipient.strip())
    except pyrage.RecipientError:
        raise SopsError(f"invalid age recipient {recipient!r}") from None
    armored = pyrage.encrypt(data_key, [parsed], armored=True).decode("ascii")
    return AgeEntry(recipient.strip(), armored if armored.endswith("\n") else armored + "\n")


def unwrap(entries: Sequence[AgeEntry], identities: Sequence[x25519.Identity], where: str) -> bytes:
    """Open the data key from the first entry any identity decrypts."""
    if not identities:
        raise NoIdentityError(
            f"{where}: no age identity configured (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)"
        )
    for entry in entries:
        try:
            key = pyrage.decrypt(entry.enc.encode("ascii"), list(identities))
        except (pyrage.DecryptError, ValueError):
            continue
        if len(key) != DATA_KEY_SIZE:
            raise SopsError(f"{where}: the data key for {entry.recipient} is not 32 bytes")
        return bytes(key)
    names = ", ".join(e.recipient for e in entries) or "none"
    raise NoIdentityError(
        f"{where}: none of the age identities opens the data key (recipients: {names})"
    )
