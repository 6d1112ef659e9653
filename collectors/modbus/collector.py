"""Modbus poller: reads the site's Modbus devices on their schedules and hands readings to the spool.

The shell (device states, a thread with its own event loop, the sink buffer that keeps readings a full
spool refused) is `collectors.polling.Poller`; this module builds one `collectors.modbus_line` task per
line. Modbus cannot redeliver, so the buffer is the only one; past `max_pending` the oldest readings are
dropped and counted in `stats.dropped` (a cumulative `total` loses time resolution, not consumption).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from collectors.modbus.client import ClientFactory, make_client
from collectors.modbus.devices import ModbusConfigError, ModbusDevice, devices_from_site, group_lines
from collectors.modbus.line import LinePoller, ModbusStats, PollResult
from collectors.polling import DeviceStateChanged, DeviceStatus, LineTask, Poller
from core.clock import Clock
from core.ports import ReadingSink
from core.threads import Spawn, start_thread

__all__ = [
    "DeviceStateChanged",
    "DeviceStatus",
    "ModbusConfigError",
    "ModbusDevice",
    "ModbusPoller",
    "ModbusStats",
    "devices_from_site",
]

log = logging.getLogger("collectors.modbus")


class ModbusPoller(Poller):
    """Polls `devices` (from `devices_from_site`) and commits one reading per successful poll to `sink`."""

    name = "modbus"

    def __init__(
        self,
        devices: Sequence[ModbusDevice],
        sink: ReadingSink,
        clock: Clock,
        *,
        on_state: Callable[[DeviceStateChanged], None] | None = None,
        client_factory: ClientFactory = make_client,
        max_pending: int = 10_000,
        full_retry_s: float = 0.5,
        group_max: int = 500,
        spawn: Spawn = start_thread,
    ) -> None:
        self.devices = list(devices)
        self.client_factory = client_factory
        super().__init__(
            [d.asset_id for d in self.devices], sink, clock, ModbusStats(), on_state=on_state,
            max_pending=max_pending, full_retry_s=full_retry_s, group_max=group_max, spawn=spawn,
        )  # fmt: skip
        self.stats: ModbusStats

    def line_tasks(self) -> list[LineTask]:
        lines: list[LineTask] = []
        for line, members in group_lines(self.devices).items():
            try:
                lines.append(LinePoller(line, members, self.clock, self.report, self.stats, self.client_factory))
            except Exception as exc:  # e.g. RTU without pyserial: that line is down, the others still poll
                log.exception("modbus: cannot set up %s", line)
                for device in members:
                    self.report(PollResult(device, self.clock.now(), problems=[f"cannot set up {line}: {exc}"]))
        return lines
