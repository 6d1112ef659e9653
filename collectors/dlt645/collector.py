"""DL/T 645-2007 poller: reads the site's DL/T 645 electricity meters and hands readings to the spool.

The shell (device states, the thread, the sink buffer) is `collectors.polling.Poller`, shared with the
Modbus poller; this module builds one `collectors.dlt645_line` task per serial line or gateway. A meter
that gives nothing is marked offline with the shared `DeviceStateChanged`, so one subscriber serves both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from collectors.dlt645.config import Dlt645Line
from collectors.dlt645.devices import Dlt645ConfigError, Dlt645Meter, devices_from_site, group_lines
from collectors.dlt645.line import Dlt645Stats, LinePoller, LinkFactory, PollResult
from collectors.dlt645.link import Link, make_link
from collectors.polling import DeviceStateChanged, DeviceStatus, LineTask, Poller
from core.clock import Clock
from core.ports import ReadingSink
from core.threads import Spawn, start_thread

__all__ = [
    "DeviceStateChanged",
    "DeviceStatus",
    "Dlt645ConfigError",
    "Dlt645Meter",
    "Dlt645Poller",
    "Dlt645Stats",
    "devices_from_site",
]

log = logging.getLogger("collectors.dlt645")


def default_link(line: Dlt645Line, meters: Sequence[Dlt645Meter]) -> Link:
    return make_link(line, meters[0].binding)


class Dlt645Poller(Poller):
    """Polls `meters` (from `devices_from_site`) and commits one reading per successful poll to `sink`."""

    name = "dlt645"
    nothing_read = "no data items read"

    def __init__(
        self,
        meters: Sequence[Dlt645Meter],
        sink: ReadingSink,
        clock: Clock,
        *,
        on_state: Callable[[DeviceStateChanged], None] | None = None,
        link_factory: LinkFactory = default_link,
        max_pending: int = 10_000,
        full_retry_s: float = 0.5,
        group_max: int = 500,
        spawn: Spawn = start_thread,
    ) -> None:
        self.meters = list(meters)
        self.link_factory = link_factory
        super().__init__(
            [m.asset_id for m in self.meters], sink, clock, Dlt645Stats(), on_state=on_state,
            max_pending=max_pending, full_retry_s=full_retry_s, group_max=group_max, spawn=spawn,
        )  # fmt: skip
        self.stats: Dlt645Stats

    def line_tasks(self) -> list[LineTask]:
        lines: list[LineTask] = []
        for line, members in group_lines(self.meters).items():
            try:
                lines.append(LinePoller(line, members, self.clock, self.report, self.stats, self.link_factory))
            except Exception as exc:  # that line is down, the others still poll
                log.exception("dlt645: cannot set up %s", line)
                for meter in members:
                    self.report(PollResult(meter, self.clock.now(), problems=[f"cannot set up {line}: {exc}"]))
        return lines
