"""Utility tariffs and the pure pricing core of metered billing: usage in, priced lines out.

Three tariff kinds, told apart by `kind` so a site file can write them in TOML:

* `flat` – one unit price for all usage.
* `tiered` – 阶梯 tariffs, the norm for Chinese residential water, electricity and gas. Basis `monthly`
  applies the tiers to one billing period's usage; basis `annual` applies them to usage accumulated
  since a yearly reset date (`reset = "01-01"`), so usage earlier in the year decides which tier this
  period's usage falls in.
* `time_of_use` – 峰谷 electricity: named periods (peak, flat, valley, …) with daily time windows that
  must cover the day exactly once.
* `tiered_time_of_use` – 阶梯 + 峰谷, how most provinces price residential electricity: time bands with base
  prices, and tiers on the total usage that add an increment to every band's price.

A `TariffSchedule` holds one utility's tariffs with the date each came into force, and `price_period`
prices a billing period across any price change inside it.

Everything is `Decimal` (see `billing.money`). In TOML, load with `tomllib.loads(text,
parse_float=Decimal)` or quote prices, for example::

    utility = "water"
    [[entries]]
    effective_from = 2024-01-01
    [entries.tariff]
    kind = "tiered"
    basis = "annual"
    reset = "01-01"
    tiers = [
        { up_to = 216, unit_price = 2.90 },
        { up_to = 300, unit_price = 3.85 },
        { unit_price = 6.70 },
    ]
"""

from billing.tariffs.base import (
    DEFAULT_ROUNDING,
    DEFAULT_SPLIT_ROUNDING,
    PriceBreakdown,
    PriceLine,
    Usage,
)
from billing.tariffs.flat import FlatTariff
from billing.tariffs.schedule import AnyTariff, ScheduleEntry, Tariff, TariffSchedule
from billing.tariffs.segments import price_period
from billing.tariffs.tiered import Tier, TierBasis, TieredTariff
from billing.tariffs.tiered_time_of_use import TieredTimeOfUseTariff, TierIncrement
from billing.tariffs.time_of_use import TimeOfUseTariff, TimeWindow, TouPeriod

__all__ = [
    "DEFAULT_ROUNDING",
    "DEFAULT_SPLIT_ROUNDING",
    "AnyTariff",
    "FlatTariff",
    "PriceBreakdown",
    "PriceLine",
    "ScheduleEntry",
    "Tariff",
    "TariffSchedule",
    "Tier",
    "TierBasis",
    "TierIncrement",
    "TieredTariff",
    "TieredTimeOfUseTariff",
    "TimeOfUseTariff",
    "TimeWindow",
    "TouPeriod",
    "Usage",
    "price_period",
]
