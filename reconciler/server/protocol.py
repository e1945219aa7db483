"""uvicorn's HTTP/1.1 protocol with the listener's limits enforced per connection.

uvicorn closes idle keep-alive connections but never one that sends nothing, or its headers
a byte at a time (slowloris), or a body that never ends: each would hold a socket for ever.
Here every connection has one deadline at a time, fixed when its phase starts and not moved
by data arriving: complete headers within `http_read_header_timeout` of the connection (or
of a keep-alive request's first byte), the complete body within `http_read_timeout` of the
headers. Connections past `max_connections` are closed as they are accepted. Malformed HTTP
is answered with Vault's JSON error envelope rather than uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from reconciler.server.limits import ListenerLimits
from reconciler.server.translate import JSON, encode

log = logging.getLogger("sealkeep.server")


class GuardedH11Protocol(H11Protocol):
    """H11Protocol plus header/body read deadlines and a connection cap."""

    limits: ClassVar[ListenerLimits] = ListenerLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Refuse connections past the cap; otherwise start the header deadline."""
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            log.warning("closing a connection: %d open", self.limits.max_connections)
            transport.close()
            return
        self._arm("headers")

    def handle_events(self) -> None:
        """uvicorn's, plus: a new request's cycle writes its head with the first body bytes."""
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not cycle:
            self.cycle.transport = _HeadWithBody(self.transport)  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        """Feed uvicorn, then follow the request's phase with the matching deadline."""
        super().data_received(data)
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            self._arm("headers")
        elif state is h11.SEND_BODY:
            self._arm("body")
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        """Between requests uvicorn's keep-alive timeout (http_idle_timeout) applies."""
        self._disarm()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """Malformed HTTP: Vault's JSON envelope, then close (as uvicorn does)."""
        body = encode({"errors": [msg]})
        headers = [(b"content-type", JSON.encode()), (b"connection", b"close")]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _arm(self, phase: str) -> None:
        if self._phase == phase:
            return  # the deadline is fixed when the phase starts: trickling data never moves it
        self._disarm()
        seconds = (
            self.limits.http_read_header_timeout
            if phase == "headers"
            else self.limits.http_read_timeout
        )
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, ""

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.info("closing a connection: %s took too long", self._phase)
            self.transport.close()


class _HeadWithBody:
    """One request's view of the connection's transport: the status line and headers are
    held back and written together with the body that follows them, so a small answer is one
    `send` (one packet, one wake-up of the client) instead of two. Bytes and order on the
    wire are unchanged; a close writes anything held first. Everything else is the
    transport's own.
    """

    __slots__ = ("_head_seen", "_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held = b""
        self._head_seen = False

    def write(self, data: bytes) -> None:
        """Hold the response head (the first write other than an informational 1xx, such
        as `100 Continue`); write the rest, after what is held."""
        if not self._head_seen and data[9:10] != b"1":  # b"HTTP/1.1 1xx ..."
            self._head_seen = True
            self._held = data
            return
        if self._held:
            data, self._held = self._held + data, b""
        self._transport.write(data)

    def close(self) -> None:
        """Write what is held, then close."""
        if self._held:
            self._transport.write(self._held)
            self._held = b""
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def protocol_for(limits: ListenerLimits) -> type[GuardedH11Protocol]:
    """The protocol class uvicorn instantiates per connection, bound to these limits."""
    return type("ListenerProtocol", (GuardedH11Protocol,), {"limits": limits})
