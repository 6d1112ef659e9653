"""From readings to draft statements: every billed meter of a site over one period, grouped by unit.

Boundary registers are read for all meters at once (period start, period end, and the annual tariff year's
reset day where annual tiers apply), then each meter is settled on its own: boundary values, consumption
across replacements and rollovers, estimates, time-of-use split, prices. Nothing here writes anything.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from billing.config import BillingConfig, BoundaryMode, check_covers
from billing.consumption import Consumption, consumption
from billing.periods import BillingPeriod, local_midnight
from billing.pricing import annual_reset_before, price_consumption, time_of_use_tariff
from billing.registers import (
    BoundaryRules,
    EarliestSince,
    Epoch,
    Neighbours,
    RegisterValue,
    Replacement,
    boundary_value,
    rollover_modulus,
)
from billing.shared import pool_lines
from billing.shared_config import SHARED_PREFIX
from billing.sources import REGISTER_FIELD, RegisterReader
from billing.statements import BoundaryReading, Charge, Statement, StatementLine
from billing.tariffs import FlatTariff, ScheduleEntry, TariffSchedule
from billing.tou import time_of_use_usage
from core.clock import Clock
from core.registry import AssetInfo, AssetRegistry
from core.site import Meter, Site, Utility
from storage.store import ReadingStore

Progress = Callable[[int, int], None]
# Meters whose boundary registers are read in one go.
CHUNK = 500
_ZERO = Decimal(0)
_UTILITY_ORDER = {Utility.WATER: 0, Utility.ELECTRICITY: 1, Utility.GAS: 2}


class BillingError(Exception):
    """The period cannot be billed with this configuration (no tariff in force, nothing to bill)."""


@dataclass(frozen=True)
class BilledMeter:
    meter: Meter
    asset: AssetInfo
    unit_id: str
    schedule: TariffSchedule


def billed_meters(site: Site, config: BillingConfig) -> list[BilledMeter]:
    """Unit meters of billed utilities (public-area meters are not billed to a unit), by unit then utility."""
    registry = AssetRegistry.from_site(site)
    found = []
    for meter in site.meters.values():
        schedule = config.schedule_for(meter.utility)
        if meter.unit is None or schedule is None or meter.utility not in config.billed_utilities:
            continue
        if site.units[meter.unit].unit.vacant and not config.billing.bill_vacant_units:
            continue
        found.append(BilledMeter(meter, registry.get(meter.id), meter.unit, schedule))
    return sorted(found, key=lambda b: (b.unit_id, _UTILITY_ORDER[b.meter.utility], b.meter.id))


class StatementCalculator:
    """Computes a site's draft statements for a period from a ReadingStore (and an optional batch reader)."""

    def __init__(
        self,
        site: Site,
        config: BillingConfig,
        store: ReadingStore,
        reader: RegisterReader,
        clock: Clock,
        *,
        chunk: int = CHUNK,
    ) -> None:
        self.site, self.config, self.store, self.reader, self.clock = site, config, store, reader, clock
        self.timezone = site.info.timezone
        self.chunk = chunk

    def calculate(
        self,
        period: BillingPeriod,
        replacements: Mapping[str, Sequence[Replacement]],
        progress: Progress | None = None,
    ) -> list[Statement]:
        """One draft statement per unit with at least one billed meter; `progress(meters done, meters)`."""
        meters = billed_meters(self.site, self.config)
        if not meters:
            raise BillingError(f"site {self.site.id} has no unit meter of a billed utility")
        problems = check_covers(self.config, period.start_date, sorted({b.meter.utility for b in meters}))
        if problems:
            raise BillingError("; ".join(problems))
        by_unit: dict[str, list[StatementLine]] = defaultdict(list)
        # In chunks, so a progress bar moves while registers are read and a huge site is not held at once.
        for first in range(0, len(meters), self.chunk):
            chunk = meters[first : first + self.chunk]
            for billed, line in zip(chunk, self._lines(chunk, period, replacements), strict=True):
                by_unit[billed.unit_id].append(line)
            if progress is not None:
                progress(first + len(chunk), len(meters))
        self._add_shared(by_unit, period, replacements)
        return [self._statement(unit_id, period, lines) for unit_id, lines in sorted(by_unit.items())]

    def _add_shared(
        self,
        by_unit: dict[str, list[StatementLine]],
        period: BillingPeriod,
        replacements: Mapping[str, Sequence[Replacement]],
    ) -> None:
        """Each 公摊 pool's public meters measured like any meter, then split into a line per sharing unit."""
        if not self.config.shared:
            return
        registry = AssetRegistry.from_site(self.site)
        for pool in self.config.shared:
            meters = [self.site.meters[meter_id] for meter_id in pool.meters]
            utility = meters[0].utility
            flat = ScheduleEntry(effective_from=date(2000, 1, 1), tariff=FlatTariff(unit_price=pool.unit_price))
            schedule = TariffSchedule(utility=utility, entries=(flat,))
            billed = [BilledMeter(meter, registry.get(meter.id), "", schedule) for meter in meters]
            measured = self._lines(billed, period, replacements)
            own_use = {
                unit_id: sum(
                    (
                        line.consumption
                        for line in lines
                        if line.utility is utility
                        and line.consumption is not None
                        and line.review is None
                        and not line.meter_id.startswith(SHARED_PREFIX)
                    ),
                    _ZERO,
                )
                for unit_id, lines in by_unit.items()
            }
            for unit_id, line in pool_lines(pool, self.site, measured, own_use, self.config.billing.rounding).items():
                by_unit[unit_id].append(line)

    def _lines(
        self, meters: Sequence[BilledMeter], period: BillingPeriod, replacements: Mapping[str, Sequence[Replacement]]
    ) -> list[StatementLine]:
        """Boundary registers of these meters read in bulk, then each meter's line."""
        start, end = period.start(self.timezone), period.end(self.timezone)
        assets = [b.asset for b in meters]
        near_start, near_end = self.reader.around(assets, start), self.reader.around(assets, end)
        resets = {b.meter.id: annual_reset_before(b.schedule, period) for b in meters}
        near_reset: dict[str, Neighbours] = {}
        for day in sorted({d for d in resets.values() if d is not None}):
            wanted = [b.asset for b in meters if resets[b.meter.id] == day]
            near_reset.update(self.reader.around(wanted, local_midnight(day, self.timezone)))
        lines = []
        for billed in meters:
            meter_id = billed.meter.id
            reset = resets[meter_id]
            at_reset = (reset, near_reset[meter_id]) if reset is not None else None
            epoch = Epoch(replacements.get(meter_id, ()))
            lines.append(self._line(billed, period, epoch, near_start[meter_id], near_end[meter_id], at_reset))
        return lines

    def _rules(self, meter: Meter) -> BoundaryRules:
        rollover = _register_maximum(meter.rollover)
        settings = self.config.billing
        return BoundaryRules(
            interpolate=settings.boundary is BoundaryMode.INTERPOLATE,
            tolerance=self.config.tolerance,
            lookback=self.config.lookback,
            quantum=settings.register_quantum,
            rollover=rollover,
        )

    def _line(
        self,
        billed: BilledMeter,
        period: BillingPeriod,
        epoch: Epoch,
        near_start: Neighbours,
        near_end: Neighbours,
        at_reset: tuple[date, Neighbours] | None,
    ) -> StatementLine:
        meter, asset = billed.meter, billed.asset
        rules = self._rules(meter)

        start, end = period.start(self.timezone), period.end(self.timezone)
        begin = boundary_value(near_start, start, epoch, rules, self._earliest(asset))
        finish = boundary_value(near_end, end, epoch, rules, self._earliest(asset))
        used = consumption(begin, finish, tuple(epoch.between(start, end)), rules.rollover)
        estimates = [used.estimate_method] if used.estimated and used.estimate_method else []
        notes = [_rollover_note(rules.rollover, meter.uom)] * used.rollovers
        review, prior = used.review, _ZERO
        if at_reset is not None and review is None:
            before = self._since_reset(at_reset, begin, start, epoch, rules, asset)
            if before.quantity is None or before.review is not None:
                review = f"usage since the tariff year began on {at_reset[0]} is unknown: {before.review}"
            else:
                prior = before.quantity
                notes.append(f"tariff-year usage before this period: {prior} {meter.uom} since {at_reset[0]}")
                if before.estimated:
                    estimates.append(f"tariff-year usage before the period: {before.estimate_method}")
        charges: tuple[Charge, ...] = ()
        amount = _ZERO
        if used.quantity is not None and review is None:
            usage, split_note = self._usage(billed, period, used, epoch, rules)
            if split_note:
                estimates.append(split_note)
            priced = price_consumption(
                billed.schedule, period, usage, prior_usage_in_year=prior, rounding=self.config.billing.rounding
            )
            charges, amount = priced.charges, priced.amount
        return StatementLine(
            meter_id=meter.id,
            utility=meter.utility,
            uom=meter.uom,
            start=_reading(begin),
            end=_reading(finish),
            consumption=used.quantity,
            charges=charges,
            amount=amount,
            estimated=bool(estimates),
            estimate_method="; ".join(estimates) or None,
            review=review,
            notes=tuple(notes),
            replacements=used.replacements,
        )

    def _since_reset(
        self,
        at_reset: tuple[date, Neighbours],
        begin: RegisterValue | None,
        start: datetime,
        epoch: Epoch,
        rules: BoundaryRules,
        asset: AssetInfo,
    ) -> Consumption:
        """Use from the annual tariff's reset day to the period start: decides the tier the period starts in."""
        reset_day, near = at_reset
        reset_at = local_midnight(reset_day, self.timezone)
        at = boundary_value(near, reset_at, epoch, rules, self._earliest(asset))
        return consumption(at, begin, tuple(epoch.between(reset_at, start)), rules.rollover)

    def _earliest(self, asset: AssetInfo) -> EarliestSince:
        return lambda since: self.store.first_at_or_after(asset, REGISTER_FIELD, since)

    def _usage(
        self, billed: BilledMeter, period: BillingPeriod, used: Consumption, epoch: Epoch, rules: BoundaryRules
    ) -> tuple[Decimal | dict[str, Decimal], str | None]:
        """The quantity, or under a time-of-use tariff its split by period (and how the split was made)."""
        quantity = used.quantity
        tariff = time_of_use_tariff(billed.schedule, period)
        if tariff is None or quantity is None:
            return quantity or _ZERO, None
        if quantity == 0:
            return {}, None
        start, end = period.start(self.timezone), period.end(self.timezone)
        samples = self.store.history(billed.asset, REGISTER_FIELD, start, end)
        return time_of_use_usage(
            quantity, tariff, samples, (used.start, used.end), (start, end), self.timezone, rules, epoch
        )

    def _statement(self, unit_id: str, period: BillingPeriod, lines: list[StatementLine]) -> Statement:
        unit = self.site.units[unit_id]
        return Statement(
            id=uuid.uuid4(),
            site_id=self.site.id,
            unit_id=unit_id,
            building_id=unit.building,
            period=period,
            currency=self.config.billing.currency,
            lines=tuple(lines),
            created_at=self.clock.now(),
            vacant=unit.unit.vacant,
        )


def _register_maximum(rollover: float | None) -> Decimal | None:
    """The site file's `rollover` as a Decimal; a whole number stays whole (9999, not 9999.0)."""
    if rollover is None:
        return None
    return Decimal(int(rollover)) if rollover.is_integer() else Decimal(repr(rollover))


def _rollover_note(maximum: Decimal | None, uom: str) -> str:
    modulus = rollover_modulus(maximum) if maximum is not None else None
    return f"register rolled over its maximum {maximum} {uom}: counted as end − start + {modulus}"


def _reading(value: RegisterValue | None) -> BoundaryReading | None:
    return None if value is None else BoundaryReading(value.value, value.ts, value.method.value)
