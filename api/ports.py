"""What the API needs from the rest of the system, handed in by the composition root.

Only ports and plain values: the API never builds a store, a spool or an engine itself, so tests
pass fakes or temporary real ones and `facilities/bootstrap.py` passes the production adapters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session

from access.orders import Actor, TeamsFor
from billing.config import BillingConfig
from collectors.mqtt.discovered import DiscoveryBook
from core.clock import Clock, SystemClock
from core.health import ComponentHealth
from core.inventory import Adoption, LastSeen
from core.portfolio import Portfolio
from core.registry import AssetRegistry
from core.site import Site
from storage.spool import DeadLetter
from storage.store import ReadingStore
from workorders.events import WorkOrderEvent
from workorders.unit_of_work import UnitOfWork

# Makes database sessions: `storage.database.session_factory(engine)`.
SessionFactory = Callable[[], Session]
# The sites a person (an API key, a console account) may see in company-wide views; None: every site.
VisibleSites = Callable[[Actor], Set[str] | None]
# A health check answers a ComponentHealth (state, detail, figures), or the plain form (ok, detail):
# detail says what was checked or what is wrong.
HealthCheck = Callable[[], "ComponentHealth | tuple[bool, str]"]


class DeadLetterSource(Protocol):
    """Rejected input, newest first (`storage.spool.Spool` is one)."""

    def dead_letters(self, limit: int) -> Sequence[DeadLetter]: ...

    def dead_letter_count(self) -> int: ...


class OpenAlarm(Protocol):
    """A firing alarm as the rules engine keeps it (`rules.state_store.StoredState` is one)."""

    @property
    def alarm_id(self) -> str | None: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def asset_id(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def since(self) -> datetime | None:
        """When the condition began."""

    @property
    def raised_at(self) -> datetime | None: ...
    @property
    def message_key(self) -> str: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...


class AlarmSource(Protocol):
    """The site's firing alarms, oldest first (`rules.state_store.SqlRuleStateStore` is one)."""

    def open_alarms(self) -> Sequence[OpenAlarm]: ...


@dataclass(frozen=True)
class ApiDependencies:
    """Everything `create_app` wires into the routers."""

    site: Site
    registry: AssetRegistry
    store: ReadingStore
    dead_letters: DeadLetterSource
    session_factory: SessionFactory
    # Named checks for /health, e.g. {"broker": …, "store": …, "database": …}.
    health_checks: Mapping[str, HealthCheck]
    metrics: CollectorRegistry
    clock: Clock = field(default_factory=SystemClock)
    # Seconds /health waits for all checks together before it counts the slow ones as failed.
    health_timeout_s: float = 5.0
    # Open alarms; None reads the rule state the engine keeps in this same database (`session_factory`).
    alarms: AlarmSource | None = None
    # Receives the events of work-order commands made through the API, e.g. a `SlaBreached` that a late
    # acknowledge records; None drops them (the breach itself is stored either way).
    work_order_events: Callable[[WorkOrderEvent], None] | None = None
    # The hub's unit of work (it also writes the alerts outbox); None: a plain one over session_factory.
    uow_factory: Callable[[], UnitOfWork] | None = None
    # Forgets a (rule id, asset id)'s learnt baseline (`RuleEngine.reset_baseline`): True if reset, False if the
    # rule learns none, KeyError if it does not watch the asset. None: the rules engine runs elsewhere.
    baseline_resetter: Callable[[str, str], bool] | None = None
    # The reason the process is exiting (a supervised thread died), for /health/live; None: it is not.
    exiting: Callable[[], str | None] | None = None
    # The teams an undispatched order of a category and priority belongs to (the alerts routing), for deciding
    # which orders a crew key may work (`access.orders`); None (no alerts file): an undispatched order is nobody's.
    order_teams: TeamsFor | None = None
    # Reads the site file again into the running hub (`Hub.reload`): returns what changed, raises `ConfigError` when
    # the file is refused (nothing changed). None: no hub in this process.
    site_reloader: Callable[[], object] | None = None
    # The last-seen times the hub's reading validator keeps (`core.inventory.LastSeen`), for the device inventory;
    # None: only what the store holds.
    last_seen: LastSeen | None = None
    # Home Assistant discovery configs the hub's MQTT collector received; None: no collector in this process.
    discovery: DiscoveryBook | None = None
    # Adds a device to the site file and reloads (`Hub.adopt`): raises ConfigError (file unchanged) or KeyError
    # (no such discovered entity). None: no hub in this process.
    device_adopter: Callable[[Adoption, str | None], object] | None = None
    # The billing file: the default CSV headers (zh/en) of the billing export; None: Chinese headers.
    billing_config: BillingConfig | None = None
    # The company's sites when the deployment runs a portfolio (`core.portfolio`), for the company-wide view;
    # None: the one `site` above. `site` keeps meaning this hub's own site either way.
    portfolio: Portfolio | None = None
    # Each site's reading store for the company view's consumption; None: `store` for every site (one InfluxDB).
    portfolio_stores: Callable[[str], ReadingStore | None] | None = None
    # Which sites a caller may see in the company view; None: every site.
    visible_sites: VisibleSites | None = None

    def company_sites(self, who: Actor | None) -> tuple[str, dict[str, Site]]:
        """The company's name and the sites `who` may see, in the portfolio's order (no portfolio: this site)."""
        if self.portfolio is None:
            company, sites = self.site.info.name, {self.site.id: self.site}
        else:
            company, sites = self.portfolio.company, {i: f.site for i, f in self.portfolio.sites.items()}
        allowed: Set[str] | None = None
        if self.visible_sites is not None:
            allowed = self.visible_sites(who) if who is not None else set()  # nobody identified: no site
        return company, sites if allowed is None else {i: s for i, s in sites.items() if i in allowed}

    def store_of(self, site_id: str) -> ReadingStore | None:
        return self.portfolio_stores(site_id) if self.portfolio_stores is not None else self.store
