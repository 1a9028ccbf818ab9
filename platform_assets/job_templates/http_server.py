"""How the front door is served: uvicorn's HTTP/1.1 protocol with a deadline on request headers.

uvicorn closes idle keep-alive connections, but a client that sends half a request line and then
nothing holds its connection (and a file descriptor) for as long as it likes: 900 of them made
valid requests fail. Here a connection must deliver a request's headers within
``header_timeout_s`` of connecting or of starting the request, else it is closed; the number of
connections is bounded (``limit_concurrency``: more get a 503 at once), and the app bounds the body
(size and read time, ``service.py``)."""

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256


class HeaderDeadlineProtocol(H11Protocol):
    header_timeout_s = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

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

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expired(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def protocol(header_timeout_s: float) -> type[HeaderDeadlineProtocol]:
    return type(
        "FrontDoorProtocol", (HeaderDeadlineProtocol,), {"header_timeout_s": header_timeout_s}
    )


def server_config(
    app: Any,
    host: str,
    port: int,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    max_connections: int = MAX_CONNECTIONS,
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=protocol(header_timeout_s),
        limit_concurrency=max_connections,
        timeout_keep_alive=5,
    )
