"""Money rounding: Decimal only, each rounding mode on hand-picked values."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from billing.money import (
    CNY_FEN,
    Money,
    RoundingMode,
    RoundingRule,
    exact_decimal,
    round_money,
)

HALF_UP = RoundingRule(mode=RoundingMode.HALF_UP)
HALF_EVEN = RoundingRule(mode=RoundingMode.HALF_EVEN)
DOWN = RoundingRule(mode=RoundingMode.DOWN)
UP = RoundingRule(mode=RoundingMode.UP)


def test_default_rule_is_fen_half_up() -> None:
    rule = RoundingRule()
    assert rule.quantum == Decimal("0.01")
    assert rule.quantum == CNY_FEN
    assert rule.mode is RoundingMode.HALF_UP


@pytest.mark.parametrize(
    ("mode", "constant"),
    [
        (RoundingMode.HALF_UP, decimal.ROUND_HALF_UP),
        (RoundingMode.HALF_EVEN, decimal.ROUND_HALF_EVEN),
        (RoundingMode.DOWN, decimal.ROUND_DOWN),
        (RoundingMode.UP, decimal.ROUND_UP),
    ],
)
def test_modes_map_to_decimal_constants(mode: RoundingMode, constant: str) -> None:
    assert mode.decimal_rounding == constant


def test_half_up_and_half_even_differ_on_a_trailing_five() -> None:
    # 2.345: the fen digit 4 is even, so half-even keeps it and half-up rounds away.
    assert round_money(Decimal("2.345"), HALF_UP) == Decimal("2.35")
    assert round_money(Decimal("2.345"), HALF_EVEN) == Decimal("2.34")
    # 2.355: the fen digit 5 is odd, so both round up.
    assert round_money(Decimal("2.355"), HALF_UP) == Decimal("2.36")
    assert round_money(Decimal("2.355"), HALF_EVEN) == Decimal("2.36")


def test_below_and_above_half() -> None:
    assert round_money(Decimal("2.344"), HALF_UP) == Decimal("2.34")
    assert round_money(Decimal("2.346"), HALF_EVEN) == Decimal("2.35")


def test_down_and_up_are_towards_and_away_from_zero() -> None:
    assert round_money(Decimal("2.349"), DOWN) == Decimal("2.34")
    assert round_money(Decimal("2.341"), UP) == Decimal("2.35")
    assert round_money(Decimal("-2.349"), DOWN) == Decimal("-2.34")
    assert round_money(Decimal("-2.341"), UP) == Decimal("-2.35")


def test_negative_half_up_rounds_away_from_zero() -> None:
    assert round_money(Decimal("-2.345"), HALF_UP) == Decimal("-2.35")
    assert round_money(Decimal("-2.345"), HALF_EVEN) == Decimal("-2.34")


def test_whole_yuan_quantum() -> None:
    assert round_money(Decimal("12.5"), RoundingRule(quantum=Decimal("1"), mode=RoundingMode.HALF_UP)) == 13
    assert round_money(Decimal("12.5"), RoundingRule(quantum=Decimal("1"), mode=RoundingMode.HALF_EVEN)) == 12


def test_result_carries_the_quantum_exponent() -> None:
    assert str(round_money(Decimal("3"), HALF_UP)) == "3.00"
    assert str(round_money(0, HALF_UP)) == "0.00"
    assert str(round_money(Decimal("1.2"), RoundingRule(quantum=Decimal("0.1")))) == "1.2"


def test_int_amount_is_accepted() -> None:
    assert round_money(7, HALF_UP) == Decimal("7.00")


def test_ignores_the_callers_decimal_context() -> None:
    # A thread that lowered precision or changed rounding must not change bills.
    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_DOWN
        assert round_money(Decimal("12345.675"), HALF_UP) == Decimal("12345.68")


def test_float_amount_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"float 2\.345"):
        round_money(2.345, HALF_UP)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [True, "2.34", None])
def test_other_types_are_type_errors(bad: Any) -> None:
    with pytest.raises(TypeError, match="must be a Decimal"):
        round_money(bad, HALF_UP)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_amount_is_rejected(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        round_money(bad, HALF_UP)


def test_exact_decimal_names_the_argument() -> None:
    with pytest.raises(TypeError, match=r"^usage must be a Decimal"):
        exact_decimal(1.5, "usage")  # type: ignore[arg-type]
    assert exact_decimal(3, "usage") == Decimal("3")


def test_quantum_written_with_trailing_zero_still_rounds_to_fen() -> None:
    rule = RoundingRule(quantum=Decimal("0.010"))
    assert str(round_money(Decimal("2.345"), rule)) == "2.35"


@pytest.mark.parametrize("bad", ["0.05", "0", "-0.01", "0.25"])
def test_quantum_must_be_a_positive_power_of_ten(bad: str) -> None:
    with pytest.raises(ValidationError, match="power of ten"):
        RoundingRule(quantum=Decimal(bad))


def test_rule_from_config_strings() -> None:
    rule = RoundingRule.model_validate({"quantum": "0.1", "mode": "half_even"})
    assert rule.mode is RoundingMode.HALF_EVEN
    assert round_money(Decimal("0.25"), rule) == Decimal("0.2")


def test_rule_rejects_float_quantum_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="parse_float=Decimal"):
        RoundingRule.model_validate({"quantum": 0.01})
    with pytest.raises(ValidationError, match="extra"):
        RoundingRule.model_validate({"quantum": "0.01", "mod": "up"})
    with pytest.raises(ValidationError, match="mode"):
        RoundingRule.model_validate({"mode": "ceiling"})


def test_rule_is_frozen() -> None:
    rule = RoundingRule()
    with pytest.raises(ValidationError):
        rule.mode = RoundingMode.UP  # type: ignore[misc]


class _Priced(BaseModel):
    price: Money


def test_money_field_accepts_exact_inputs_and_refuses_float() -> None:
    assert _Priced(price="2.90").price == Decimal("2.90")
    assert _Priced(price=3).price == Decimal("3")
    assert _Priced(price=Decimal("0.538")).price == Decimal("0.538")
    with pytest.raises(ValidationError, match=r"float 2\.9"):
        _Priced(price=2.9)
    with pytest.raises(ValidationError, match="boolean"):
        _Priced(price=True)
