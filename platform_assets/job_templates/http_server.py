"""How the front door is served: uvicorn's HTTP/1.1 protocol with a deadline on request headers.

uvicorn closes idle keep-alive connections, but a client that sends half a request line and then
nothing holds its connection (and a file descriptor) for as long as it likes: 900 of them made
valid requests fail. Here a connection must deliver a request's headers within
``header_timeout_s`` of connecting or of starting the request, else it is closed; the number of
connections is bounded (``limit_concurrency``: more get a 503 at once), and the app bounds the body
(size and read time, ``service.py``). The deadline exists for both of uvicorn's HTTP parsers; the
service uses httptools (C) on uvloop (both are dependencies), ``parser="h11"`` the pure-Python
one."""

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256


class _HeaderDeadline:
    """A timer armed when a connection opens or a request begins, disarmed once the request's
    headers are complete; when it fires on a connection still waiting for headers, it closes it."""

    header_timeout_s = HEADER_TIMEOUT_S
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expired(self) -> None:
        self._header_deadline = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            self.transport.close()

    def _waiting_for_headers(self) -> bool:
        raise NotImplementedError


class HeaderDeadlineProtocol(_HeaderDeadline, H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol (h11) with the header deadline."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # a request begun, its headers not complete yet
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE


class HttpToolsHeaderDeadlineProtocol(_HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools (C parser) protocol with the header deadline: the same behaviour as
    the h11 one at a fraction of its parsing cost (what keeps POST p99 low under a burst)."""

    _headers_done = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_done = False
        self._arm()

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_headers(self) -> bool:
        return not self._headers_done


def protocol(header_timeout_s: float, parser: str = "httptools") -> type[asyncio.Protocol]:
    """The protocol class uvicorn builds per connection: ``httptools`` (default) or ``h11``."""
    base: type[asyncio.Protocol] = (
        HttpToolsHeaderDeadlineProtocol if parser == "httptools" else HeaderDeadlineProtocol
    )
    return type("FrontDoorProtocol", (base,), {"header_timeout_s": header_timeout_s})


def server_config(
    app: Any,
    host: str,
    port: int,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    max_connections: int = MAX_CONNECTIONS,
    parser: str = "httptools",
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=protocol(header_timeout_s, parser),
        loop="uvloop",
        limit_concurrency=max_connections,
        timeout_keep_alive=5,
    )
