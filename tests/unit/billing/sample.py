"""A small site, a billing file with prices easy to work out by hand, and helpers to write register readings.

Shared by the unit and integration tests of billing. Times are Asia/Shanghai (UTC+8, no daylight saving):
the October 2026 period is [2026-10-01 00:00+08:00, 2026-11-01 00:00+08:00).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.calculate import StatementCalculator
from billing.config import BillingConfig, BillingSettings, parse_billing_config
from billing.periods import BillingPeriod
from billing.registers import Replacement
from billing.sources import StoreRegisterReader
from billing.statements import Statement, StatementLine
from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import parse_site
from storage.points import to_point
from storage.store import ReadingStore

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = BillingPeriod(2026, 10)
SEPTEMBER = BillingPeriod(2026, 9)
JANUARY = BillingPeriod(2026, 1)

SITE_TOML = """
[site]
id = "test-site"
name = "测试小区"
timezone = "Asia/Shanghai"

[[buildings]]
id = "B1"
floors = 2
units = [{ id = "B1-0101" }, { id = "B1-0102", vacant = true }]

[[meters]]
id = "W-0101"
utility = "water"
unit = "B1-0101"

[[meters]]
id = "E-0101"
utility = "electricity"
unit = "B1-0101"

[[meters]]
id = "G-0101"
utility = "gas"
unit = "B1-0101"
rollover = 9999

[[meters]]
id = "W-0102"
utility = "water"
unit = "B1-0102"
"""

# Water: annual tiers (Hangzhou-like). Electricity: monthly tiers. Gas: flat, 3.00 → 3.30 from 16 October.
BILLING_TOML = """
[billing]
boundary = "last_before"
reading_tolerance_h = 6
estimate_lookback_days = 10

[[tariffs]]
utility = "water"
[[tariffs.entries]]
effective_from = 2026-01-01
[tariffs.entries.tariff]
kind = "tiered"
basis = "annual"
reset = "01-01"
tiers = [{ up_to = 216, unit_price = 2.90 }, { up_to = 300, unit_price = 3.85 }, { unit_price = 6.70 }]

[[tariffs]]
utility = "electricity"
[[tariffs.entries]]
effective_from = 2026-01-01
[tariffs.entries.tariff]
kind = "tiered"
basis = "monthly"
tiers = [{ up_to = 230, unit_price = 0.538 }, { up_to = 400, unit_price = 0.588 }, { unit_price = 0.838 }]

[[tariffs]]
utility = "gas"
[[tariffs.entries]]
effective_from = 2026-01-01
tariff = { kind = "flat", unit_price = 3.00 }
[[tariffs.entries]]
effective_from = 2026-10-16
tariff = { kind = "flat", unit_price = 3.30 }
"""

SITE: Site = parse_site(SITE_TOML)
CONFIG: BillingConfig = parse_billing_config(BILLING_TOML)


def make_site(site_id: str) -> Site:
    """The sample site under another id (tests sharing one database each bill a site of their own)."""
    return parse_site(SITE_TOML.replace('id = "test-site"', f'id = "{site_id}"'))


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def config(**billing: object) -> BillingConfig:
    """CONFIG with some [billing] settings changed (validated, like the file)."""
    settings = BillingSettings.model_validate({**CONFIG.billing.model_dump(), **billing})
    return CONFIG.model_copy(update={"billing": settings})


def write(store: ReadingStore, meter_id: str, readings: Iterable[tuple[datetime, float]], site: Site = SITE) -> None:
    """Store `total` register readings of one meter the way the spool writer does (tags from the registry)."""
    asset = AssetRegistry.from_site(site).get(meter_id)
    store.write([to_point(Reading(meter_id, ts, {"total": value}), asset) for ts, value in readings])


def calculate(
    store: ReadingStore,
    period: BillingPeriod = OCTOBER,
    billing: BillingConfig = CONFIG,
    replacements: Mapping[str, Sequence[Replacement]] | None = None,
    site: Site = SITE,
) -> list[Statement]:
    """Draft statements straight from the calculator (nothing stored)."""
    clock = FakeClock(cst(2026, 11, 2, 3))
    calculator = StatementCalculator(site, billing, store, StoreRegisterReader(store), clock)
    return calculator.calculate(period, replacements or {})


def lines(statements: Sequence[Statement]) -> dict[str, StatementLine]:
    """Every line by meter id."""
    return {line.meter_id: line for statement in statements for line in statement.lines}
