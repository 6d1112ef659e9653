"""Byte links for DL/T 645: a TCP connection to a gateway, or a local serial port; both yield whole frames.

Both feed received bytes into a `FrameSplitter`, so a request can drop whatever a late answer left
behind before it goes out. The serial link registers the port's descriptor with the event loop
(POSIX only) rather than blocking a thread on reads.
"""

from __future__ import annotations

import asyncio
from typing import Any

from collectors.dlt645.config import Dlt645Binding, Dlt645Line, Dlt645Transport
from collectors.dlt645.frames import FrameSplitter


class Link:
    """One open channel to a line; `exchange` sends a request and returns the next whole frame's bytes."""

    def __init__(self) -> None:
        self.incoming = FrameSplitter()
        self._arrived = asyncio.Event()
        self._lost = False

    @property
    def connected(self) -> bool:
        raise NotImplementedError

    async def open(self) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def feed(self, data: bytes) -> None:
        self.incoming.feed(data)
        self._arrived.set()

    def lose(self) -> None:
        self._lost = True
        self._arrived.set()

    async def next_frame(self) -> bytes:
        """The next whole frame; `ConnectionError` if the link closes first. Callers bound it with a timeout."""
        while (raw := self.incoming.next_frame()) is None:
            if self._lost:
                raise ConnectionError("the connection was closed")
            self._arrived.clear()
            await self._arrived.wait()
        return raw

    async def exchange(self, request: bytes) -> bytes:
        if not self.connected:
            await self.open()
        self.incoming.clear()  # a late answer to an earlier request must not pass for this one
        self.write(request)
        return await self.next_frame()


class _Feed(asyncio.Protocol):
    def __init__(self, link: TcpLink) -> None:
        self.link = link

    def data_received(self, data: bytes) -> None:
        self.link.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.lose()


class TcpLink(Link):
    """A TCP connection to a serial-to-Ethernet gateway (transparent mode: frames pass through unchanged)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.host, self.port = host, port
        self._transport: asyncio.Transport | None = None

    @property
    def connected(self) -> bool:
        return self._transport is not None and not self._transport.is_closing() and not self._lost

    async def open(self) -> None:
        self.close()
        self._lost = False
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_connection(lambda: _Feed(self), self.host, self.port)

    def write(self, data: bytes) -> None:
        if self._transport is None:
            raise ConnectionError("not connected")
        self._transport.write(data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


class SerialLink(Link):
    """A local serial port, non-blocking, read when the event loop sees data waiting."""

    def __init__(self, port: str, baudrate: int, parity: str, stopbits: int, bytesize: int) -> None:
        super().__init__()
        self.port = port
        self.settings = {"baudrate": baudrate, "parity": parity, "stopbits": stopbits, "bytesize": bytesize}
        self._serial: Any = None  # serial.Serial; pyserial ships no type hints
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def connected(self) -> bool:
        return self._serial is not None and not self._lost

    async def open(self) -> None:
        import serial  # type: ignore[import-untyped]  # only serial lines need pyserial

        self.close()
        self._lost = False
        self._serial = serial.Serial(self.port, timeout=0, write_timeout=2, exclusive=True, **self.settings)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._serial.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            data = self._serial.read(max(1, self._serial.in_waiting))
        except OSError:  # the adapter was unplugged
            self._drop()
            self.lose()
            return
        if data:
            self.feed(data)

    def write(self, data: bytes) -> None:
        if self._serial is None:
            raise ConnectionError("not open")
        self._serial.write(data)

    def _drop(self) -> None:
        if self._serial is not None and self._loop is not None:
            self._loop.remove_reader(self._serial.fileno())
        self._loop = None

    def close(self) -> None:
        self._drop()
        if self._serial is not None:
            self._serial.close()
            self._serial = None


def make_link(line: Dlt645Line, binding: Dlt645Binding, *, serial_port: str | None = None) -> Link:
    """The link for `line`; `serial_port` overrides the binding's port (the simulator's end of a cable)."""
    if line.transport is Dlt645Transport.RTU:
        b = binding
        return SerialLink(serial_port or str(b.serial_port), b.baudrate, b.parity, b.stopbits, b.bytesize)
    return TcpLink(str(binding.host), int(binding.port or 0))
