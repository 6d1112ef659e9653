"""The one duration grammar: generous in config files, one positive whole number and a unit on the command line."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.durations import SPAN_PATTERN, parse_duration, parse_span


@pytest.mark.parametrize("text", ["15m", "1h", "7d", "9999999s"])
def test_a_span_is_also_a_config_duration(text: str) -> None:
    assert re.fullmatch(SPAN_PATTERN, text)
    assert parse_span(text) == parse_duration(text)


@pytest.mark.parametrize("text", ["0h", "1.5h", "1h30m", " 1h", "1h ", "10000000s", "١h", "-1h", "1H"])
def test_a_span_is_one_positive_whole_number_and_a_unit(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"duration {text!r}: write a positive whole number")):
        parse_span(text)


def test_the_example_in_the_message_fits_the_caller() -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 1h$"):
        parse_span("soon", example="1h")
    assert parse_span("90m") == timedelta(minutes=90)


@pytest.mark.parametrize("value", [True, "1w", float("inf"), float("nan"), "1h-5m", None])
def test_config_durations_refuse_what_is_not_one(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)
