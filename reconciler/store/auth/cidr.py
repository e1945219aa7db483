"""CIDR lists for auth bindings: parse them once, check a caller's address against them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from reconciler.store.errors import BadRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(value: str) -> Network:
    # A bare address means "this host only", as Vault's parseutil treats it.
    return ipaddress.ip_network(value.strip(), strict=False)


def parse_cidrs(values: Iterable[str], field_name: str) -> list[str]:
    """Validate CIDR blocks (or bare addresses) and return them in canonical form.

    Raises BadRequest naming the field and the offending value.
    """
    out: list[str] = []
    for value in values:
        try:
            out.append(str(_network(value)))
        except ValueError:
            raise BadRequest(f'invalid CIDR block {value!r} in "{field_name}"') from None
    return out


def addr_allowed(remote_addr: str, cidrs: Iterable[str]) -> bool:
    """True when no CIDR is bound, or `remote_addr` falls inside one of `cidrs`.

    An empty or unparsable remote address never satisfies a non-empty binding.
    """
    blocks = list(cidrs)
    if not blocks:
        return True
    try:
        addr = ipaddress.ip_address(remote_addr.strip())
    except ValueError:
        return False
    return any(addr in _network(block) for block in blocks)


def cidrs_within(inner: Iterable[str], outer: Iterable[str]) -> bool:
    """True when every block of `inner` lies inside some block of `outer` (or `outer` is empty)."""
    outer_nets = [_network(block) for block in outer]
    if not outer_nets:
        return True
    for block in inner:
        net = _network(block)
        if not any(net.version == o.version and net.subnet_of(o) for o in outer_nets):  # type: ignore[arg-type]
            return False
    return True
