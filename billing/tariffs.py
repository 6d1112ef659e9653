"""Utility tariffs and the pure pricing core of metered billing: usage in, priced lines out.

Three tariff kinds, told apart by `kind` so a site file can write them in TOML:

* `flat` – one unit price for all usage.
* `tiered` – 阶梯 tariffs, the norm for Chinese residential water, electricity and gas. Basis `monthly`
  applies the tiers to one billing period's usage; basis `annual` applies them to usage accumulated
  since a yearly reset date (`reset = "01-01"`), so usage earlier in the year decides which tier this
  period's usage falls in.
* `time_of_use` – 峰谷 electricity: named periods (peak, flat, valley, …) with daily time windows that
  must cover the day exactly once.

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

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from billing.money import (
    BILLING_CONTEXT,
    Money,
    Quantity,
    RoundingMode,
    RoundingRule,
    exact_decimal,
    round_money,
)
from core.site import Utility

__all__ = [
    "DEFAULT_ROUNDING",
    "DEFAULT_SPLIT_ROUNDING",
    "FlatTariff",
    "PriceBreakdown",
    "PriceLine",
    "ScheduleEntry",
    "Tariff",
    "TariffSchedule",
    "Tier",
    "TierBasis",
    "TieredTariff",
    "TimeOfUseTariff",
    "TimeWindow",
    "TouPeriod",
    "Usage",
    "price_period",
]

# 0.01 CNY, half up (四舍五入 to the fen): how Chinese utility bills round each line.
DEFAULT_ROUNDING = RoundingRule()
# Pro-rata quantities are split to 0.001 (a litre, a watt-hour), half-even so no sub-period is favoured.
DEFAULT_SPLIT_ROUNDING = RoundingRule(quantum=Decimal("0.001"), mode=RoundingMode.HALF_EVEN)

_ZERO = Decimal(0)
_MINUTES_PER_DAY = 24 * 60

# Usage for one billing period: a quantity, or quantity per time-of-use period name.
Usage = Decimal | Mapping[str, Decimal]


class _Strict(BaseModel):
    # Unknown keys are errors so a misspelt TOML key cannot silently fall back to a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------- output


class PriceLine(_Strict):
    """One line of a bill: `quantity` of usage at `unit_price`, costing `amount` (already rounded).

    `start`/`end` (end exclusive) are set by `price_period` to the sub-period the line belongs to.
    """

    name: str
    quantity: Quantity
    unit_price: Money
    amount: Money
    start: date | None = None
    end: date | None = None


class PriceBreakdown(_Strict):
    """Priced lines and their total.

    Each line's amount is rounded on its own with the `RoundingRule`; `total` is the sum of those rounded
    amounts, so the customer can add up the printed lines and get the printed total. (Rounding the
    unrounded sum instead could differ by a fen or more.)
    """

    lines: tuple[PriceLine, ...] = ()
    total: Money

    @model_validator(mode="after")
    def _total_is_sum_of_lines(self) -> PriceBreakdown:
        line_sum = sum((line.amount for line in self.lines), _ZERO)
        if self.total != line_sum:
            raise ValueError(f"total {self.total} is not the sum of the line amounts {line_sum}")
        return self

    @property
    def quantity(self) -> Decimal:
        """Total usage over all lines."""
        return sum((line.quantity for line in self.lines), _ZERO)


def _make_lines(
    items: Iterable[tuple[str, Decimal, Decimal]],
    rounding: RoundingRule,
    start: date | None = None,
    end: date | None = None,
) -> list[PriceLine]:
    """Turn (name, quantity, unit price) items into rounded lines; zero-quantity items are left out."""
    with localcontext(BILLING_CONTEXT):
        return [
            PriceLine(
                name=name,
                quantity=quantity,
                unit_price=unit_price,
                amount=round_money(quantity * unit_price, rounding),
                start=start,
                end=end,
            )
            for name, quantity, unit_price in items
            if quantity != 0
        ]


def _breakdown(lines: Sequence[PriceLine], rounding: RoundingRule) -> PriceBreakdown:
    """Total = sum of the already-rounded line amounts, written with the quantum's exponent."""
    with localcontext(BILLING_CONTEXT):
        total = round_money(sum((line.amount for line in lines), _ZERO), rounding)
    return PriceBreakdown(lines=tuple(lines), total=total)


def _usage(value: Decimal | int, what: str) -> Decimal:
    """A usage quantity: exact (no float) and not negative."""
    quantity = exact_decimal(value, what)
    if quantity < 0:
        # Negative usage means a meter replacement or rollover that must be fixed before billing.
        raise ValueError(f"{what} must not be negative, got {quantity}")
    return quantity


# --------------------------------------------------------------------------------------------- flat


class FlatTariff(_Strict):
    """One unit price for all usage."""

    kind: Literal["flat"] = "flat"
    unit_price: Money = Field(ge=0)

    def _items(self, quantity: Decimal) -> list[tuple[str, Decimal, Decimal]]:
        return [("flat rate", quantity, self.unit_price)]

    def price(self, quantity: Decimal | int, *, rounding: RoundingRule = DEFAULT_ROUNDING) -> PriceBreakdown:
        """Price `quantity` at the unit price. Raises TypeError for a float quantity."""
        lines = _make_lines(self._items(_usage(quantity, "quantity")), rounding)
        return _breakdown(lines, rounding)


# --------------------------------------------------------------------------------------------- tiered


class TierBasis(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


class Tier(_Strict):
    """One step of a tiered tariff: usage up to `up_to` (cumulative; None = no limit) costs `unit_price`."""

    up_to: Quantity | None = None
    unit_price: Money
    name: str | None = Field(default=None, min_length=1, max_length=64)


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class TieredTariff(_Strict):
    """阶梯 tariff: usage is charged at the price of the tier its cumulative position falls in.

    Tier bounds are upper bounds of cumulative usage; a tier covers (previous bound, its bound], so usage
    exactly at a bound is still in the lower tier. The last tier has no bound.
    """

    kind: Literal["tiered"] = "tiered"
    basis: TierBasis
    # Month-day the annual count restarts ("01-01"); annual basis only, defaults to 01-01.
    reset: str | None = None
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @field_validator("reset")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = _MONTH_DAY.match(value)
        if match is None:
            raise ValueError(f"reset {value!r} must be a month-day such as '01-01'")
        month, day = int(match[1]), int(match[2])
        try:
            # A non-leap year: a reset on 02-29 would be skipped three years in four.
            date(2001, month, day)
        except ValueError:
            raise ValueError(f"reset {value!r} is not a day that occurs every year") from None
        return value

    @model_validator(mode="after")
    def _check_tiers(self) -> TieredTariff:
        problems: list[str] = []
        if self.basis is TierBasis.MONTHLY and self.reset is not None:
            problems.append("reset only applies to basis = 'annual'; remove it or change the basis")
        last = len(self.tiers) - 1
        previous: Decimal | None = None
        for index, tier in enumerate(self.tiers):
            label = f"tiers[{index}] (tier {index + 1})"
            if tier.unit_price < 0:
                problems.append(f"{label}: unit_price {tier.unit_price} is negative")
            if tier.up_to is None:
                if index != last:
                    problems.append(f"{label}: only the last tier may leave up_to unset")
                continue
            if index == last:
                problems.append(f"{label}: the last tier must leave up_to unset so all usage has a price")
            if previous is None and tier.up_to <= 0:
                problems.append(f"{label}: up_to {tier.up_to} must be greater than 0")
            elif previous is not None and tier.up_to <= previous:
                problems.append(f"{label}: up_to {tier.up_to} must be greater than tiers[{index - 1}].up_to {previous}")
            previous = tier.up_to
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def reset_month_day(self) -> tuple[int, int]:
        """(month, day) the annual count restarts on; (1, 1) unless `reset` says otherwise."""
        if self.reset is None:
            return (1, 1)
        month, day = self.reset.split("-")
        return (int(month), int(day))

    def is_reset_day(self, day: date) -> bool:
        """True if `day` is the annual reset day (always False for a monthly basis)."""
        return self.basis is TierBasis.ANNUAL and (day.month, day.day) == self.reset_month_day

    def split(self, quantity: Decimal, prior: Decimal = _ZERO) -> list[tuple[int, Decimal]]:
        """Split `quantity`, counted on top of `prior`, into (tier index, quantity) parts; zeros left out."""
        parts: list[tuple[int, Decimal]] = []
        with localcontext(BILLING_CONTEXT):
            begin, finish = prior, prior + quantity
            lower = _ZERO
            for index, tier in enumerate(self.tiers):
                upper = finish if tier.up_to is None else min(tier.up_to, finish)
                portion = upper - max(lower, begin)
                if portion > 0:
                    parts.append((index, portion))
                if tier.up_to is None or tier.up_to >= finish:
                    break
                lower = tier.up_to
        return parts

    def _items(self, quantity: Decimal, prior: Decimal) -> list[tuple[str, Decimal, Decimal]]:
        return [
            (self.tiers[index].name or f"tier {index + 1}", portion, self.tiers[index].unit_price)
            for index, portion in self.split(quantity, prior)
        ]

    def price(
        self,
        quantity: Decimal | int,
        *,
        prior_usage_in_year: Decimal | int = _ZERO,
        rounding: RoundingRule = DEFAULT_ROUNDING,
    ) -> PriceBreakdown:
        """Price this period's `quantity`, split across tier boundaries, one line per tier touched.

        Annual basis: `prior_usage_in_year` is the usage since the last reset date before this period;
        only the increment is priced, starting at that cumulative position (prior 250 m³ and 70 m³ this
        month prices 50 m³ in tier 2 and 20 m³ in tier 3). Monthly basis: tiers apply to `quantity`
        alone and `prior_usage_in_year` is ignored, so callers may pass year-to-date usage regardless of
        basis. Raises TypeError for floats, ValueError for negative usage.
        """
        current = _usage(quantity, "quantity")
        prior = _usage(prior_usage_in_year, "prior_usage_in_year")
        if self.basis is TierBasis.MONTHLY:
            prior = _ZERO
        return _breakdown(_make_lines(self._items(current, prior), rounding), rounding)


# --------------------------------------------------------------------------------------------- time of use

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_WINDOW = re.compile(r"^\s*(\S+)\s*[-–]\s*(\S+)\s*$")


def _minute_of_day(value: str, *, allow_end_of_day: bool) -> int:
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError(f"time {value!r} must be HH:MM, e.g. '08:00'")
    hour, minute = int(match[1]), int(match[2])
    if allow_end_of_day and (hour, minute) == (24, 0):
        return _MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        highest = "24:00" if allow_end_of_day else "23:59"
        raise ValueError(f"time {value!r} is not a time of day (00:00 to {highest})")
    return hour * 60 + minute


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class TimeWindow(_Strict):
    """A daily window [start, end) in local time, written "HH:MM-HH:MM"; wraps midnight if end < start.

    "22:00-08:00" is 22:00 to midnight plus midnight to 08:00. End may be "24:00"; a whole day is
    "00:00-24:00".
    """

    start: str
    end: str

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        # TOML-friendly shorthand: windows = ["08:00-22:00"].
        if isinstance(value, str):
            match = _WINDOW.match(value)
            if match is None:
                raise ValueError(f"window {value!r} must look like 'HH:MM-HH:MM', e.g. '22:00-08:00'")
            return {"start": match[1], "end": match[2]}
        return value

    @field_validator("start")
    @classmethod
    def _start_clock(cls, value: str) -> str:
        _minute_of_day(value, allow_end_of_day=False)
        return value

    @field_validator("end")
    @classmethod
    def _end_clock(cls, value: str) -> str:
        _minute_of_day(value, allow_end_of_day=True)
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start_minute == self.end_minute:
            raise ValueError(f"window {self} is empty or ambiguous; write a whole day as '00:00-24:00'")
        return self

    @property
    def start_minute(self) -> int:
        """Minutes after midnight the window opens."""
        return _minute_of_day(self.start, allow_end_of_day=False)

    @property
    def end_minute(self) -> int:
        """Minutes after midnight the window closes (1440 for 24:00)."""
        return _minute_of_day(self.end, allow_end_of_day=True)

    def minutes(self) -> list[int]:
        """Every minute of the day (0–1439) inside the window."""
        start, end = self.start_minute, self.end_minute
        if start < end:
            return list(range(start, end))
        return list(range(start, _MINUTES_PER_DAY)) + list(range(end))

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class TouPeriod(_Strict):
    """A named time-of-use period (peak 峰, flat 平, valley 谷, …), its price and its daily windows."""

    name: str = Field(min_length=1, max_length=32)
    unit_price: Money
    windows: tuple[TimeWindow, ...] = Field(min_length=1)


def _runs(minutes: Iterable[int]) -> list[tuple[int, int]]:
    """Group sorted minutes into [start, end) runs."""
    runs: list[tuple[int, int]] = []
    for minute in minutes:
        if runs and runs[-1][1] == minute:
            runs[-1] = (runs[-1][0], minute + 1)
        else:
            runs.append((minute, minute + 1))
    return runs


class TimeOfUseTariff(_Strict):
    """峰谷 electricity tariff: usage is metered per named period and each period has its own price.

    The periods' windows must cover every minute of the day exactly once.
    """

    kind: Literal["time_of_use"] = "time_of_use"
    periods: tuple[TouPeriod, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_periods(self) -> TimeOfUseTariff:
        problems: list[str] = []
        seen: set[str] = set()
        for index, period in enumerate(self.periods):
            if period.name in seen:
                problems.append(f"periods[{index}]: name {period.name!r} is used by an earlier period")
            seen.add(period.name)
            if period.unit_price < 0:
                problems.append(f"periods[{index}] ({period.name}): unit_price {period.unit_price} is negative")
        owners: list[list[str]] = [[] for _ in range(_MINUTES_PER_DAY)]
        for period in self.periods:
            for window in period.windows:
                for minute in window.minutes():
                    owners[minute].append(period.name)
        gaps = [minute for minute in range(_MINUTES_PER_DAY) if not owners[minute]]
        for start, end in _runs(gaps):
            problems.append(f"no period covers {_clock(start)}-{_clock(end)}")
        # Group overlaps by who overlaps, so the message names the clashing periods.
        overlaps: dict[tuple[str, ...], list[int]] = {}
        for minute in range(_MINUTES_PER_DAY):
            if len(owners[minute]) > 1:
                overlaps.setdefault(tuple(owners[minute]), []).append(minute)
        for names, minutes in overlaps.items():
            for start, end in _runs(minutes):
                problems.append(f"{' and '.join(names)} overlap at {_clock(start)}-{_clock(end)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def period_names(self) -> tuple[str, ...]:
        """Period names in the order they are written."""
        return tuple(period.name for period in self.periods)

    def period_at(self, moment: time) -> str:
        """Name of the period in force at time of day `moment` (seconds are ignored)."""
        minute = moment.hour * 60 + moment.minute
        for period in self.periods:
            if any(minute in window.minutes() for window in period.windows):
                return period.name
        raise AssertionError("unreachable: windows are validated to cover the whole day")  # pragma: no cover

    def _items(self, usage_by_period: Mapping[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
        unknown = sorted(set(usage_by_period) - set(self.period_names))
        if unknown:
            raise ValueError(
                f"usage for unknown time-of-use period(s) {', '.join(unknown)}; "
                f"this tariff has {', '.join(self.period_names)}"
            )
        return [
            (
                period.name,
                _usage(usage_by_period.get(period.name, _ZERO), f"usage[{period.name!r}]"),
                period.unit_price,
            )
            for period in self.periods
        ]

    def price(
        self, usage_by_period: Mapping[str, Decimal], *, rounding: RoundingRule = DEFAULT_ROUNDING
    ) -> PriceBreakdown:
        """Price usage given per period name (e.g. {"peak": Decimal("100"), "valley": Decimal("50")}).

        Periods missing from the mapping count as zero; unknown names raise ValueError. Lines follow the
        tariff's period order.
        """
        return _breakdown(_make_lines(self._items(usage_by_period), rounding), rounding)


# --------------------------------------------------------------------------------------------- schedule

Tariff = Annotated[FlatTariff | TieredTariff | TimeOfUseTariff, Field(discriminator="kind")]


class ScheduleEntry(_Strict):
    """A tariff and the first day it is in force."""

    effective_from: date
    tariff: Tariff


class TariffSchedule(_Strict):
    """One utility's tariffs over time, ordered by `effective_from`; each is in force until the next."""

    utility: Utility
    entries: tuple[ScheduleEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_increase(self) -> TariffSchedule:
        problems = [
            f"entries[{index}]: effective_from {entry.effective_from} must be after "
            f"entries[{index - 1}].effective_from {self.entries[index - 1].effective_from}"
            for index, entry in enumerate(self.entries)
            if index > 0 and entry.effective_from <= self.entries[index - 1].effective_from
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def entry_on(self, day: date) -> ScheduleEntry:
        """The schedule entry in force on `day`; LookupError if `day` is before the first entry."""
        if isinstance(day, datetime):
            # date and datetime do not compare; a datetime here is a caller bug, not a time of day.
            raise TypeError("pass a date, not a datetime")
        index = bisect.bisect_right([entry.effective_from for entry in self.entries], day) - 1
        if index < 0:
            raise LookupError(
                f"no {self.utility.value} tariff in force on {day}; "
                f"the first takes effect on {self.entries[0].effective_from}"
            )
        return self.entries[index]

    def tariff_on(self, day: date) -> FlatTariff | TieredTariff | TimeOfUseTariff:
        """The tariff in force on `day` (the latest entry with effective_from <= day)."""
        return self.entry_on(day).tariff


# --------------------------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class _Segment:
    start: date
    end: date  # exclusive
    tariff: FlatTariff | TieredTariff | TimeOfUseTariff

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _segments(schedule: TariffSchedule, start: date, end: date) -> list[_Segment]:
    """Cut [start, end) wherever the tariff changes or an annual tariff's count resets."""
    cuts = {start, end}
    cuts.update(e.effective_from for e in schedule.entries if start < e.effective_from < end)
    by_tariff = sorted(cuts)
    for left, right in pairwise(by_tariff):
        tariff = schedule.tariff_on(left)
        if isinstance(tariff, TieredTariff) and tariff.basis is TierBasis.ANNUAL:
            month, day = tariff.reset_month_day
            for year in range(left.year, right.year + 1):
                reset = date(year, month, day)
                if left < reset < right:
                    cuts.add(reset)
    ordered = sorted(cuts)
    return [_Segment(left, right, schedule.tariff_on(left)) for left, right in pairwise(ordered)]


def _split_pro_rata(total: Decimal, weights: Sequence[int], rule: RoundingRule) -> list[Decimal]:
    """Split `total` in proportion to `weights`; parts sum to `total` exactly.

    Cumulative shares are rounded and differenced, so rounding never piles up on one part.
    """
    whole = sum(weights)
    parts: list[Decimal] = []
    done = 0
    previous = _ZERO
    with localcontext(BILLING_CONTEXT):
        for weight in weights:
            done += weight
            # Capped at total: a total finer than the quantum must not round a running share past it.
            cumulative = total if done == whole else min(round_money(total * done / whole, rule), total)
            parts.append(cumulative - previous)
            previous = cumulative
    return parts


def _check_usage(value: Usage, what: str) -> Decimal | dict[str, Decimal]:
    if isinstance(value, Mapping):
        return {str(name): _usage(amount, f"{what}[{name!r}]") for name, amount in value.items()}
    return _usage(value, what)


def _list_days(days: Iterable[date]) -> str:
    ordered = sorted(days)
    shown = ", ".join(day.isoformat() for day in ordered[:5])
    return shown if len(ordered) <= 5 else f"{shown} and {len(ordered) - 5} more"


def _daily_by_segment(
    segments: Sequence[_Segment], daily_usage: Mapping[date, Usage]
) -> list[Decimal | dict[str, Decimal]]:
    """Each segment's usage, summed from per-day usage that must cover every day exactly."""
    first, last = segments[0].start, segments[-1].end
    expected = {first + timedelta(days=n) for n in range((last - first).days)}
    given = set(daily_usage)
    if given != expected:
        problems = []
        if expected - given:
            problems.append(f"missing days {_list_days(expected - given)}")
        if given - expected:
            problems.append(f"days outside the period {_list_days(given - expected)}")
        raise ValueError("daily_usage needs one entry per day of the period: " + "; ".join(problems))
    checked = {day: _check_usage(value, f"daily_usage[{day}]") for day, value in daily_usage.items()}
    if len({isinstance(value, dict) for value in checked.values()}) > 1:
        raise ValueError("daily_usage mixes plain quantities and per-period mappings; use one form")
    result: list[Decimal | dict[str, Decimal]] = []
    with localcontext(BILLING_CONTEXT):
        for segment in segments:
            days = [checked[segment.start + timedelta(days=n)] for n in range(segment.days)]
            summed: dict[str, Decimal] = {}
            plain = _ZERO
            for value in days:
                if isinstance(value, dict):
                    for name, amount in value.items():
                        summed[name] = summed.get(name, _ZERO) + amount
                else:
                    plain += value
            result.append(summed if isinstance(days[0], dict) else plain)
    return result


def _prorata_by_segment(
    segments: Sequence[_Segment], usage: Usage, split_rounding: RoundingRule
) -> list[Decimal | dict[str, Decimal]]:
    """Each segment's share of the period's usage, in proportion to its number of days."""
    total = _check_usage(usage, "usage")
    weights = [segment.days for segment in segments]
    if isinstance(total, dict):
        split = {name: _split_pro_rata(amount, weights, split_rounding) for name, amount in total.items()}
        return [{name: parts[index] for name, parts in split.items()} for index in range(len(segments))]
    return list(_split_pro_rata(total, weights, split_rounding))


def _total(value: Decimal | dict[str, Decimal]) -> Decimal:
    with localcontext(BILLING_CONTEXT):
        return sum(value.values(), _ZERO) if isinstance(value, dict) else value


def price_period(
    schedule: TariffSchedule,
    start: date,
    end: date,
    *,
    usage: Usage | None = None,
    daily_usage: Mapping[date, Usage] | None = None,
    prior_usage_in_year: Decimal | int = _ZERO,
    rounding: RoundingRule = DEFAULT_ROUNDING,
    split_rounding: RoundingRule = DEFAULT_SPLIT_ROUNDING,
) -> PriceBreakdown:
    """Price the billing period [start, end) (end exclusive: the next period's start) under `schedule`.

    Give either `usage` for the whole period or `daily_usage` (one entry per day). Each is a quantity, or
    for time-of-use tariffs a mapping of period name to quantity; a per-period mapping priced under a
    flat or tiered tariff is summed.

    Price changes inside the period: the period is cut into sub-periods, one per tariff in force, and
    each sub-period's lines carry its `start`/`end`.

    * With `daily_usage`, each sub-period gets the actual usage of its days.
    * With `usage`, we do not know when the usage happened, so it is split pro rata by the number of
      days in each sub-period (a common convention for mid-cycle price changes, and the only neutral
      one without interval data).
      Split quantities are rounded to `split_rounding` (0.001 half-even) on cumulative shares, so the
      parts always add up to `usage` exactly.

    Tiered tariffs across sub-periods: earlier days fill the lower tiers first and a later sub-period
    continues from the usage already counted, even if its tariff has different bounds.

    * Monthly basis: the tiers apply to this billing period's usage alone (counting from zero at
      `start`); `prior_usage_in_year` does not affect them.
    * Annual basis: counting starts at `prior_usage_in_year`, the usage since the most recent reset day
      on or before `start` (so it must be 0 if `start` is the reset day). If a reset day falls inside
      the period the period is cut there too and the count restarts from zero.

    Lines are rounded one by one with `rounding` and the total is the sum of the rounded lines.
    Raises TypeError for floats, ValueError for bad usage, LookupError if no tariff is in force at `start`.
    """
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    prior = _usage(prior_usage_in_year, "prior_usage_in_year")
    segments = _segments(schedule, start, end)
    first = segments[0].tariff
    if isinstance(first, TieredTariff) and first.is_reset_day(start) and prior != 0:
        raise ValueError(
            f"prior_usage_in_year is {prior} but the period starts on the annual reset day "
            f"{start:%m-%d}, so there is no earlier usage in this tariff year"
        )
    per_segment: list[Decimal | dict[str, Decimal]]
    if daily_usage is not None and usage is None:
        per_segment = _daily_by_segment(segments, daily_usage)
    elif usage is not None and daily_usage is None:
        per_segment = _prorata_by_segment(segments, usage, split_rounding)
    else:
        raise ValueError("give exactly one of usage or daily_usage")

    lines: list[PriceLine] = []
    since_reset = prior
    in_period = _ZERO
    for segment, used in zip(segments, per_segment, strict=True):
        tariff = segment.tariff
        if segment.start != start and isinstance(tariff, TieredTariff) and tariff.is_reset_day(segment.start):
            since_reset = _ZERO
        items: list[tuple[str, Decimal, Decimal]]
        if isinstance(tariff, TimeOfUseTariff):
            if not isinstance(used, dict):
                raise ValueError(
                    f"the tariff in force from {segment.start} is time_of_use; give usage per period "
                    f"({', '.join(tariff.period_names)}) instead of a single quantity"
                )
            items = tariff._items(used)
        elif isinstance(tariff, TieredTariff):
            counted = since_reset if tariff.basis is TierBasis.ANNUAL else in_period
            items = tariff._items(_total(used), counted)
        else:
            items = tariff._items(_total(used))
        lines.extend(_make_lines(items, rounding, segment.start, segment.end))
        with localcontext(BILLING_CONTEXT):
            since_reset += _total(used)
            in_period += _total(used)
    return _breakdown(lines, rounding)
