"""The billing file (TOML): how boundary readings are taken, what is estimated, and each utility's tariffs.

It is loaded with `parse_float=Decimal`, so `unit_price = 2.90` is exact. A bad file is rejected with every
problem as `file: key.path: what to change`, like the site file. See `examples/billing.toml`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from billing.money import RoundingRule
from billing.shared_config import SharedPool, check_pools
from billing.tariffs import TariffSchedule
from core.config_files import (
    ConfigError,
    ConfigProblem,
    Strict,
    parse_config_file,
    problem_from_pydantic,
    read_config_text,
)
from core.site import Site, Utility


class BoundaryMode(StrEnum):
    """How the register at a period boundary is read."""

    LAST_BEFORE = "last_before"  # the last reading before the boundary, as a meter reader would
    INTERPOLATE = "interpolate"  # linear between the readings either side of the boundary


class CsvHeaders(StrEnum):
    EN = "en"
    ZH = "zh"


class BillingSettings(Strict):
    """`[billing]`: reading and estimating period consumption."""

    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    boundary: BoundaryMode = BoundaryMode.INTERPOLATE
    # A boundary reading further than this from the boundary (or a wider gap around it) makes the value an estimate.
    reading_tolerance_h: int = Field(default=6, ge=1, le=31 * 24)
    # Missing end readings are extrapolated from the average use over this many days before the last reading.
    estimate_lookback_days: int = Field(default=30, ge=1, le=366)
    # Register values are normalised to this step, so 1000 (JSON) and 1000.0 (SQLite) are the same reading.
    register_quantum: RoundingRule = RoundingRule(quantum=Decimal("0.001"), mode="half_even")
    rounding: RoundingRule = RoundingRule()
    bill_vacant_units: bool = True
    # Utilities to bill; default: every utility that has a [[tariffs]] entry.
    utilities: tuple[Utility, ...] | None = None


class WebhookSettings(Strict):
    """`[export.webhook]`: retries of the push to the fee module (the URL and token come from the environment)."""

    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_initial_ms: int = Field(default=500, ge=1, le=60_000)
    backoff_max_ms: int = Field(default=30_000, ge=1, le=600_000)
    timeout_s: int = Field(default=10, ge=1, le=300)


class ExportSettings(Strict):
    """`[export]`: files and pushes for the fee module."""

    csv_headers: CsvHeaders = CsvHeaders.ZH
    webhook: WebhookSettings = WebhookSettings()


class BillingConfig(Strict):
    """The whole billing file."""

    billing: BillingSettings = BillingSettings()
    tariffs: tuple[TariffSchedule, ...] = Field(min_length=1)
    export: ExportSettings = ExportSettings()
    shared: tuple[SharedPool, ...] = ()  # 公摊 pools, billing/shared_config.py

    @field_validator("tariffs")
    @classmethod
    def _one_schedule_per_utility(cls, value: tuple[TariffSchedule, ...]) -> tuple[TariffSchedule, ...]:
        seen: dict[Utility, int] = {}
        for index, schedule in enumerate(value):
            if schedule.utility in seen:
                raise ValueError(
                    f"tariffs[{index}] repeats utility {schedule.utility.value!r} of "
                    f"tariffs[{seen[schedule.utility]}]; put every price of one utility in the entries "
                    "of one [[tariffs]] table"
                )
            seen[schedule.utility] = index
        return value

    @model_validator(mode="after")
    def _billed_utilities_have_tariffs(self) -> BillingConfig:
        missing = [u.value for u in self.billing.utilities or () if self.schedule_for(u) is None]
        if missing:
            raise ValueError(f"billing.utilities lists {', '.join(missing)} but no [[tariffs]] table prices it")
        return self

    @property
    def billed_utilities(self) -> tuple[Utility, ...]:
        """The utilities this configuration bills."""
        if self.billing.utilities is not None:
            return self.billing.utilities
        return tuple(schedule.utility for schedule in self.tariffs)

    @property
    def tolerance(self) -> timedelta:
        return timedelta(hours=self.billing.reading_tolerance_h)

    @property
    def lookback(self) -> timedelta:
        return timedelta(days=self.billing.estimate_lookback_days)

    def schedule_for(self, utility: Utility) -> TariffSchedule | None:
        """The tariff schedule of a utility, or None."""
        return next((s for s in self.tariffs if s.utility is utility), None)


def parse_billing_config(text: str, *, source: str = "<memory>") -> BillingConfig:
    """Parse and validate a billing file; ConfigError lists every problem by key path."""
    return parse_config_file(text, BillingConfig, source=source, parse_float=Decimal, problems=_problems)


_TARIFF_KINDS = frozenset({"flat", "tiered", "time_of_use", "tiered_time_of_use"})


def _problems(exc: ValidationError) -> list[ConfigProblem]:
    """Pydantic's errors as key-path problems, without the noise a discriminated union adds."""
    errors: list[ErrorDetails] = []
    for err in exc.errors():
        loc = err["loc"]
        # pydantic puts the union member's tag in the path (tariff.tiered.tiers); the file has no such key.
        err["loc"] = tuple(p for i, p in enumerate(loc) if not (i and loc[i - 1] == "tariff" and p in _TARIFF_KINDS))
        errors.append(err)
    paths = [err["loc"] for err in errors]

    def echoes_a_child(err: ErrorDetails) -> bool:
        # "entries should have at least 1 item" only echoes an entry that failed; its own error says why.
        loc = err["loc"]
        return err["type"] == "too_short" and any(p != loc and p[: len(loc)] == loc for p in paths)

    return [problem_from_pydantic(err) for err in errors if not echoes_a_child(err)]


def load_billing_config(path: str | Path) -> BillingConfig:
    """Read and validate a billing file."""
    return parse_billing_config(read_config_text(path, "billing"), source=str(path))


def check_against_site(config: BillingConfig, site: Site, *, source: str = "<billing>") -> None:
    """Raise ConfigError if the site has unit meters of a utility nothing prices, or none billed at all."""
    problems: list[ConfigProblem] = []
    unit_utilities = {meter.utility for meter in site.meters.values() if meter.unit is not None}
    if config.billing.utilities is None:
        for utility in sorted(unit_utilities - set(config.billed_utilities)):
            count = sum(1 for m in site.meters.values() if m.unit is not None and m.utility is utility)
            problems.append(
                ConfigProblem(
                    "tariffs",
                    f"site {site.id} has {count} {utility.value} meters in units but no tariff prices them; "
                    f"add a [[tariffs]] table with utility = {utility.value!r} or list the billed ones in "
                    "billing.utilities",
                )
            )
    if not unit_utilities & set(config.billed_utilities):
        problems.append(ConfigProblem("tariffs", f"site {site.id} has no unit meter of a billed utility"))
    problems += check_pools(config.shared, site)
    if problems:
        raise ConfigError(source, problems)


def check_covers(config: BillingConfig, day: date, utilities: Sequence[Utility]) -> list[str]:
    """Sentences for each billed utility whose tariff schedule starts after `day`."""
    problems = []
    for utility in utilities:
        schedule = config.schedule_for(utility)
        if schedule is not None and schedule.entries[0].effective_from > day:
            problems.append(
                f"tariffs ({utility.value}): the first price takes effect on {schedule.entries[0].effective_from}, "
                f"after the period start {day}; add an entry in force on {day}"
            )
    return problems
