"""An MQTT broker inside our own process (amqtt), for a demo on a machine without Mosquitto."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from simulators.servers import free_port


class EmbeddedBroker:
    host = "127.0.0.1"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        from amqtt.broker import Broker  # imported here: only the demo without Mosquitto needs it

        logging.getLogger("amqtt").setLevel(logging.ERROR)  # it logs every connection at INFO and WARNING
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)

            async def begin() -> None:
                self._broker = Broker(config)
                await self._broker.start()

            self._loop.run_until_complete(begin())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="embedded-mqtt-broker", daemon=True)
        self._thread.start()
        if not ready.wait(15):  # Broker.start returns once its listener accepts connections
            raise TimeoutError("the embedded MQTT broker did not start within 15 s")

    def stop(self) -> None:
        if self._loop is None or self._broker is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout=15)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(15)
