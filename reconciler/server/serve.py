"""Run the store under uvicorn: background ticker, SIGHUP, graceful shutdown."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
from dataclasses import dataclass

import uvicorn

from reconciler.server.app import create_app
from reconciler.server.config import ListenerConfig
from reconciler.server.protocol import protocol_for
from reconciler.store.core import Core
from reconciler.vocabulary.errors import SealkeepError

log = logging.getLogger("sealkeep.server")

TICK_SECONDS = 1.0


@dataclass
class RunningServer:
    """Handles to a server started by `serve`."""

    core: Core
    server: uvicorn.Server


def _ticker(core: Core, stop: threading.Event) -> None:
    while not stop.wait(TICK_SECONDS):
        try:
            core.tick()
        except Exception:  # the background loop must survive one bad tick
            log.exception("background tick failed")


def _on_sighup(core: Core) -> None:
    """Reopen the audit files on a short-lived thread, never in the signal handler itself.

    The handler runs on the main thread between two bytecodes, and the main thread serves
    reads on the event loop: it may be holding a device's lock mid-write, and reopening
    there would wait for that lock forever.
    """
    runtime = core.runtime
    if runtime is not None:
        threading.Thread(target=runtime.audit.reopen, name="audit-reopen", daemon=True).start()


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


class ListenError(SealkeepError):
    """The listener's address cannot be bound (in use, or not this machine's)."""


def bind(listener: ListenerConfig) -> socket.socket:
    """A socket bound to the listener's address, so a busy port fails before anything starts.

    `sealkeep server --dev` binds first and prints its root-token banner after, never before
    failing; uvicorn then serves on this very socket (no window for another process).
    """
    host, port = listener.host_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it each answer (headers, then body) waits ~40 ms on a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            hint = "another process (another server?) holds the port: stop it, or choose "
        else:
            hint = "the host is not an address of this machine: choose "
        raise ListenError(
            f"cannot listen: {exc.strerror or exc}",
            where=listener.address,
            hint=hint + "another address (--dev-listen-address, or the config's listener)",
        ) from None
    return sock


def serve(core: Core, listener: ListenerConfig, sock: socket.socket | None = None) -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests finish, then storage closes.

    `sock`, from `bind`, is the socket to serve on (default: bind the listener's address now).
    """
    sock = sock or bind(listener)
    host, port = listener.host_port
    limits = listener.limits
    config = uvicorn.Config(
        create_app(core, limits.max_request_size, redirect_standby=listener.redirect_standby),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=listener.tls_cert_file or None,
        ssl_keyfile=listener.tls_key_file or None,
        timeout_graceful_shutdown=10,
        lifespan="off",
        # Header and body deadlines, the connection cap and JSON 400s (see protocol.py).
        http=protocol_for(limits),
        timeout_keep_alive=limits.http_idle_timeout,
    )
    server = uvicorn.Server(config)
    stop = threading.Event()
    ticker = threading.Thread(target=_ticker, args=(core, stop), name="sealkeep-tick", daemon=True)
    ticker.start()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda *_: _on_sighup(core))
        # uvicorn shuts down gracefully, restores this handler and re-raises the signal:
        # turning it into SystemExit lets the `finally` below close storage cleanly.
        signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        ticker.join(timeout=5)
        core.close()
