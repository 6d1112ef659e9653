"""Live reload of the site file (SIGHUP, `POST /admin/reload`, `facilities devices adopt`): no restart to add a device.

The new file is read and checked in full first (`file: key: what to change`, as at start); a file that fails
is refused and the running configuration stays. A good file is then swapped in, in this order:

1. the asset registry (the spool's validator, the writer and the work-order policy all read it): new assets
   are accepted from now on; readings of removed ones already spooled are still stored with their tags;
2. the rules (between two steps of the rules worker): unchanged (rule, asset) monitors keep their state, so no
   alarm is raised twice; changed ones come back from their saved state; the open alarms of removed pairs are
   cleared (reason `rule_removed`) and their work orders told;
3. MQTT: the decoder (mappings, topics) and the subscriptions: new filters subscribed, old ones dropped, on the
   same persistent session (no message the broker holds is lost);
4. Modbus and DL/T 645: a poller whose device list changed is stopped (its last readings go to the spool) and
   started afresh with the new list.

One reload runs at a time. The site id cannot change by reload: that is another site (restart the hub).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from collectors.dlt645.collector import Dlt645Poller
from collectors.dlt645.collector import devices_from_site as dlt645_meters_from_site
from collectors.modbus.collector import DeviceStateChanged, ModbusPoller, devices_from_site
from collectors.mqtt.collector import Decoder
from core.config_files import ConfigError, ConfigProblem
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import load_site
from core.threads import Spawn
from facilities.ingest import Ingest
from rules.library import effective_rules
from rules.worker import RulesWorker
from workorders.alarm_policy import AlarmDispatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    """What a reload changed, for the log, the API and the CLI."""

    source: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    subscribed: list[str] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)
    pollers_restarted: list[str] = field(default_factory=list)
    alarms_cleared: int = 0

    def summary(self) -> str:
        parts = [f"{name} {', '.join(ids)}" for name, ids in (
            ("added", self.added), ("removed", self.removed), ("changed", self.changed),
        ) if ids]  # fmt: skip
        return f"{self.source} reloaded: " + ("; ".join(parts) if parts else "no device changed")


class SiteReloader:
    """Swaps a new site file into a running hub (or ingest); see the module docstring for the order."""

    def __init__(
        self,
        path: Path,
        ingest: Ingest,
        *,
        decoder_for: Callable[[Site], Decoder],
        subscriptions_for: Callable[[Site], Sequence[str]],
        rules: RulesWorker | None = None,
        dispatcher: AlarmDispatcher | None = None,
        on_device_state: Callable[[DeviceStateChanged], None] | None = None,
        spawn: Spawn,
        on_site: Callable[[Site], None] | None = None,
    ) -> None:
        self.path = path
        self.ingest = ingest
        self.decoder_for = decoder_for  # bootstrap's build_decoder: the one place that picks the decoder
        self.subscriptions_for = subscriptions_for
        self.rules = rules
        self.dispatcher = dispatcher
        self.on_device_state = on_device_state
        self.spawn = spawn
        self.on_site = on_site  # the hub's other holders of the site (API, alerts places)
        self._lock = threading.Lock()
        self.reloads = 0
        self.refused = 0

    def reload(self) -> ReloadResult:
        """Read, check and apply the site file; raises `ConfigError` (nothing changed) when it is refused."""
        with self._lock:
            try:
                site = self._check(load_site(self.path))
                devices, meters = devices_from_site(site), dlt645_meters_from_site(site)
            except ConfigError as exc:
                self.refused += 1
                log.error("site file refused, the running configuration stays:\n%s", exc)
                raise
            result = self._apply(site, devices, meters)
            self.reloads += 1
            log.warning("%s", result.summary())
            return result

    def _check(self, site: Site) -> Site:
        current = self.ingest.site
        if site.id != current.id:
            problem = ConfigProblem("site.id", f"is {site.id!r}, the running hub's is {current.id!r}: restart the hub")
            raise ConfigError(str(self.path), [problem])
        return site

    def _apply(self, site: Site, devices: list, meters: list) -> ReloadResult:  # type: ignore[type-arg]
        ingest, old = self.ingest, self.ingest.registry
        new = AssetRegistry.from_site(site)
        before = {info.asset_id: info for info in old.all()}
        after = {info.asset_id: info for info in new.all()}
        changed = sorted(a for a in before.keys() & after.keys() if before[a] != after[a] or _binding(
            self.ingest.site, a) != _binding(site, a))  # fmt: skip
        old.replace(new)
        ingest.seen.forget(after)
        cleared = 0
        if self.rules is not None:
            rules = effective_rules(site.rules, use_builtin=site.use_builtin_rules)
            if self.dispatcher is not None:
                self.dispatcher.rules = {rule.id: rule for rule in rules}
            cleared = self.rules.reload(rules, site)
        added_topics, removed_topics = ingest.collector.reconfigure(
            self.decoder_for(site), self.subscriptions_for(site)
        )
        restarted = self._pollers(devices, meters)
        ingest.site = site
        if self.on_site is not None:
            self.on_site(site)
        return ReloadResult(
            source=str(self.path),
            added=sorted(after.keys() - before.keys()),
            removed=sorted(before.keys() - after.keys()),
            changed=changed,
            subscribed=added_topics,
            unsubscribed=removed_topics,
            pollers_restarted=restarted,
            alarms_cleared=cleared,
        )

    def _pollers(self, devices: list, meters: list) -> list[str]:  # type: ignore[type-arg]
        ingest, restarted = self.ingest, []
        old_modbus = ingest.poller
        if (old_modbus.devices if old_modbus else []) != devices:
            if old_modbus is not None:
                old_modbus.stop()  # its last readings go to the spool first
            ingest.poller = (
                ModbusPoller(devices, ingest.spool, ingest.collector.clock, on_state=self.on_device_state,
                             spawn=self.spawn) if devices else None
            )  # fmt: skip
            if ingest.poller is not None:
                ingest.poller.start()
            restarted.append("modbus")
        old_dlt = ingest.dlt645_poller
        if (old_dlt.meters if old_dlt else []) != meters:
            if old_dlt is not None:
                old_dlt.stop()
            ingest.dlt645_poller = (
                Dlt645Poller(meters, ingest.spool, ingest.collector.clock, on_state=self.on_device_state,
                             spawn=self.spawn) if meters else None
            )  # fmt: skip
            if ingest.dlt645_poller is not None:
                ingest.dlt645_poller.start()
            restarted.append("dlt645")
        return restarted


def _binding(site: Site, asset_id: str) -> object:
    for group in (site.meters, site.elevators, site.circuits):
        asset = group.get(asset_id)
        if asset is not None:
            return getattr(asset, "binding", None)
    return None
