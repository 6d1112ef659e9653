"""The rules' counters in Prometheus text, late readings among them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from facilities.metrics import RulesMetrics
from rules.worker import RulesStats


def test_late_readings_are_a_counter() -> None:
    registry = CollectorRegistry()
    registry.register(RulesMetrics(RulesStats(judged=10, raised=1, late=3)))
    text = generate_latest(registry).decode()
    assert "facilities_rules_readings_late_total 3.0" in text
    assert "facilities_rules_readings_judged_total 10.0" in text
    assert "facilities_rules_alarms_raised_total 1.0" in text
