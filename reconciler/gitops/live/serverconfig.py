"""Objects a server refuses to manage through its API by policy, and the record of it.

OpenBao 2.x refuses API-created audit devices ("use declarative, config-based audit device
management"): they are declared in the server's config file. When apply meets that refusal it
records the kind in the state mount, and later plans show such objects read-only, with the
hint, instead of offering a change that can never be applied.
"""

from __future__ import annotations

import hvac.exceptions

from reconciler.gitops.live.statestore import StateStore

SERVER_MANAGED = "config/server-managed"
REFUSALS = (
    "config-based audit device management",
    "configuration-managed audit device",
)
HINT = (
    "managed in server config: the server refuses {kind} changes through its API; declare it "
    'in the server\'s config file (e.g. OpenBao\'s `audit "<type>" "<path>" {{ ... }}` block)'
)


def refused_by_config(exc: Exception) -> bool:
    """Whether `exc` is a server's refusal to manage an object through its API."""
    return isinstance(exc, hvac.exceptions.VaultError) and any(r in str(exc) for r in REFUSALS)


def hint(kind: str) -> str:
    """What to tell the user about an object of `kind` the server manages in its config."""
    return HINT.format(kind=kind)


def load_server_managed(state: StateStore) -> frozenset[str]:
    """The kinds the target was seen to manage in its config (empty when none or unreadable)."""
    try:
        found = state.read(SERVER_MANAGED) if state.exists() else None
    except hvac.exceptions.Forbidden:
        return frozenset()
    if found is None:
        return frozenset()
    return frozenset(str(k) for k in found[0].get("kinds") or ())


def remember_server_managed(state: StateStore, kinds: frozenset[str]) -> None:
    """Add `kinds` to the record (a no-op when they are all there already)."""
    known = load_server_managed(state)
    if kinds and not kinds <= known:
        state.write(SERVER_MANAGED, {"kinds": sorted(known | kinds)})
