"""hvac clients for the reconciler: one per thread, all sharing one set of headers.

Every request of a run carries `X-Sealkeep-Correlation-Id` when a run id is set, so the
store's audit log ties each request to the apply that made it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping

import hvac

from reconciler.vocabulary.errors import SealkeepError

CORRELATION_HEADER = "X-Sealkeep-Correlation-Id"
CONNECTIONS_ENV = "SEALKEEP_CONNECTIONS"
DEFAULT_CONNECTIONS = 8


def connections(environ: Mapping[str, str] | None = None) -> int:
    """How many connections a run reads and applies with at once: `SEALKEEP_CONNECTIONS`
    (1 is sequential), default 8; an unusable value is a user error naming the variable."""
    raw = (os.environ if environ is None else environ).get(CONNECTIONS_ENV, "")
    if not raw.strip():
        return DEFAULT_CONNECTIONS
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SealkeepError(f"{CONNECTIONS_ENV}={raw!r}: expected a whole number of at least 1")
    return int(raw)


def set_correlation_id(client: hvac.Client, run_id: str) -> None:
    """Send `run_id` in the correlation header on every later request of `client`."""
    client.adapter.session.headers[CORRELATION_HEADER] = run_id


def clone(client: hvac.Client) -> hvac.Client:
    """A new client (own HTTP session) with the same address, token, TLS, headers and transport
    (the client's translating adapter, so errors name the address and path on every thread)."""
    kwargs = client.adapter._kwargs
    copy = hvac.Client(
        url=client.url,
        token=client.token,
        verify=kwargs.get("verify", True),
        cert=kwargs.get("cert"),
        timeout=kwargs.get("timeout", 30),
        adapter=type(client.adapter),
    )
    copy.adapter.session.headers.update(client.adapter.session.headers)
    for name, value in vars(client.adapter).items():
        if name.endswith("_source"):  # where the address and token came from, for hints
            setattr(copy.adapter, name, value)
    copy.adapter.session.proxies = dict(client.adapter.session.proxies or {})
    copy.adapter.session.trust_env = client.adapter.session.trust_env
    return copy


def resolve_environment(client: hvac.Client) -> None:
    """Look up requests' environment settings (proxies, CA bundle) once for `client`'s address
    instead of on every request: the lookup is about a quarter of a small read's cost, and a
    run's thousands of requests all go to one address."""
    session = client.adapter.session
    if not session.trust_env:
        return
    kwargs = client.adapter._kwargs
    verify = kwargs.get("verify", True)
    settings = session.merge_environment_settings(client.url, {}, None, verify, None)
    session.proxies = {**(session.proxies or {}), **settings["proxies"]}
    kwargs["verify"] = settings["verify"]
    session.trust_env = False


def per_thread(client: hvac.Client) -> Callable[[], hvac.Client]:
    """A factory giving each thread its own clone of `client` (the caller's thread: itself),
    each with its environment settings resolved once."""
    resolve_environment(client)
    local = threading.local()
    owner = threading.get_ident()

    def get() -> hvac.Client:
        if threading.get_ident() == owner:
            return client
        found = getattr(local, "client", None)
        if found is None:
            found = local.client = clone(client)
        return found  # type: ignore[no-any-return]

    return get
