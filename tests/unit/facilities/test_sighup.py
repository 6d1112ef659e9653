"""SIGHUP reloads the site file in a worker thread of the running hub (`facilities run`)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from typing import cast

from facilities.hub import Hub, reload_on_sighup


class FakeHub:
    def __init__(self) -> None:
        self.reloaded = threading.Event()
        self.thread: str | None = None

    def reload_logged(self) -> None:
        self.thread = threading.current_thread().name
        self.reloaded.set()


def test_sighup_reloads_off_the_event_loop() -> None:
    hub = FakeHub()

    async def main() -> bool:
        assert reload_on_sighup(cast(Hub, hub))
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            return await asyncio.to_thread(hub.reloaded.wait, 10)
        finally:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    assert asyncio.run(main())
    assert hub.thread != threading.main_thread().name


def test_outside_the_main_thread_no_handler_is_installed() -> None:
    answers: list[bool] = []
    worker = threading.Thread(target=lambda: answers.append(asyncio.run(_install(FakeHub()))))
    worker.start()
    worker.join(10)
    assert answers == [False]


async def _install(hub: FakeHub) -> bool:
    return reload_on_sighup(cast(Hub, hub))
