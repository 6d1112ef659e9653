"""A utility's tariffs over time: which tariff kind is in force on which day."""

from __future__ import annotations

import bisect
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, model_validator

from billing.tariffs.base import _Strict
from billing.tariffs.flat import FlatTariff
from billing.tariffs.tiered import TieredTariff
from billing.tariffs.tiered_time_of_use import TieredTimeOfUseTariff
from billing.tariffs.time_of_use import TimeOfUseTariff
from core.site import Utility

AnyTariff = FlatTariff | TieredTariff | TimeOfUseTariff | TieredTimeOfUseTariff
Tariff = Annotated[AnyTariff, Field(discriminator="kind")]


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

    def tariff_on(self, day: date) -> AnyTariff:
        """The tariff in force on `day` (the latest entry with effective_from <= day)."""
        return self.entry_on(day).tariff
