"""The billing file: the example loads exactly, and every mistake is named by its key path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from billing.calculate import BillingError
from billing.config import BoundaryMode, CsvHeaders, check_against_site, load_billing_config, parse_billing_config
from billing.periods import BillingPeriod
from billing.tariffs import FlatTariff, TieredTariff
from core.config_files import ConfigError
from core.site import Utility
from core.site_loader import load_site
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import BILLING_TOML, CONFIG, SITE, D, calculate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_the_example_billing_file_fits_the_example_site() -> None:
    config = load_billing_config(EXAMPLES / "billing.toml")
    check_against_site(config, load_site(EXAMPLES / "site.toml"))
    water = config.schedule_for(Utility.WATER)
    assert water is not None
    tariff = water.entries[0].tariff
    assert isinstance(tariff, TieredTariff)
    # parse_float=Decimal: 2.90 is exactly 2.90, not the float 2.8999999999999999
    assert [tier.unit_price for tier in tariff.tiers] == [D("2.90"), D("3.85"), D("6.70")]
    assert config.billing.boundary is BoundaryMode.INTERPOLATE
    assert config.export.csv_headers is CsvHeaders.ZH
    gas = config.schedule_for(Utility.GAS)
    assert gas is not None and [str(e.effective_from) for e in gas.entries] == ["2024-01-01", "2026-11-16"]


def test_every_problem_is_named_by_its_key_path() -> None:
    bad = (
        BILLING_TOML.replace('boundary = "last_before"', 'boundary = "nearest"\nreading_tolerance = 6')
        .replace("{ up_to = 300, unit_price = 3.85 }", "{ up_to = 300, unit_prce = 3.85 }")
        .replace("effective_from = 2026-10-16", "effective_from = 2025-10-16")
    )
    with pytest.raises(ConfigError) as caught:
        parse_billing_config(bad, source="billing.toml")
    assert str(caught.value).splitlines() == [
        "billing.toml: billing.boundary: Input should be 'last_before' or 'interpolate' (got 'nearest')",
        "billing.toml: billing.reading_tolerance: unknown key; remove it or correct its spelling",
        "billing.toml: tariffs[0].entries[0].tariff.tiers[1].unit_price: required key is missing; add it",
        "billing.toml: tariffs[0].entries[0].tariff.tiers[1].unit_prce: unknown key; remove it or correct its spelling",
        "billing.toml: tariffs[2]: entries[1]: effective_from 2025-10-16 must be after "
        "entries[0].effective_from 2026-01-01",
    ]


def test_a_utility_priced_twice_is_refused() -> None:
    twice = BILLING_TOML + '\n[[tariffs]]\nutility = "gas"\n[[tariffs.entries]]\neffective_from = 2026-01-01\n'
    twice += 'tariff = { kind = "flat", unit_price = 1 }\n'
    with pytest.raises(ConfigError, match=r"tariffs: .*tariffs\[3\] repeats utility 'gas' of tariffs\[2\]"):
        parse_billing_config(twice)


def test_not_toml_and_missing_file() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_billing_config("[billing\n")
    with pytest.raises(ConfigError, match="cannot read the billing file"):
        load_billing_config("/nonexistent/billing.toml")


def test_a_site_utility_without_a_tariff_is_named() -> None:
    water_only = CONFIG.model_copy(update={"tariffs": CONFIG.tariffs[:1]})
    with pytest.raises(ConfigError) as caught:
        check_against_site(water_only, SITE, source="billing.toml")
    assert str(caught.value).splitlines() == [
        "billing.toml: tariffs: site test-site has 1 electricity meters in units but no tariff prices them; "
        "add a [[tariffs]] table with utility = 'electricity' or list the billed ones in billing.utilities",
        "billing.toml: tariffs: site test-site has 1 gas meters in units but no tariff prices them; "
        "add a [[tariffs]] table with utility = 'gas' or list the billed ones in billing.utilities",
    ]
    chosen = parse_billing_config(BILLING_TOML.replace("[billing]", '[billing]\nutilities = ["water"]'))
    check_against_site(chosen, SITE)
    assert chosen.billed_utilities == (Utility.WATER,)


def test_billing_utilities_must_have_tariffs() -> None:
    text = BILLING_TOML.replace("[billing]", '[billing]\nutilities = ["water", "gas"]')
    text = text[: text.index('[[tariffs]]\nutility = "gas"')]
    with pytest.raises(ConfigError, match=r"billing\.utilities lists gas but no"):
        parse_billing_config(text)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        yield embedded


def test_a_period_before_the_first_price_is_refused(store: EmbeddedStore) -> None:
    with pytest.raises(BillingError, match=r"tariffs \(water\): the first price takes effect on 2026-01-01"):
        calculate(store, BillingPeriod(2025, 12))


def test_floats_are_refused_when_built_in_code() -> None:
    with pytest.raises(ValueError, match="must be exact"):
        FlatTariff.model_validate({"unit_price": 2.9})
