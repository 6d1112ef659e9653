"""One evaluator per rule kind: the table the engine builds its (rule, asset) monitors from."""

from __future__ import annotations

from core.rule_config import (
    AnyRule,
    ConsumptionSpikeRule,
    ContinuousFlowRule,
    ContinuousOnRule,
    EntrapmentRule,
    SilenceRule,
    StateRule,
    ThresholdRule,
)
from rules.kinds.base import Context, Evaluator
from rules.kinds.flow import ContinuousFlowEvaluator
from rules.kinds.lighting import ContinuousOnEvaluator
from rules.kinds.silence import SilenceEvaluator
from rules.kinds.spike import SpikeEvaluator
from rules.kinds.state import EntrapmentEvaluator, StateEvaluator
from rules.kinds.threshold import ThresholdEvaluator


def make_evaluator(rule: AnyRule, context: Context) -> Evaluator:
    """A fresh evaluator for `rule` on `context.asset`."""
    if isinstance(rule, ThresholdRule):
        return ThresholdEvaluator(rule, context)
    if isinstance(rule, StateRule):
        return StateEvaluator(rule, context)
    if isinstance(rule, EntrapmentRule):
        return EntrapmentEvaluator(rule, context)
    if isinstance(rule, ContinuousOnRule):
        return ContinuousOnEvaluator(rule, context)
    if isinstance(rule, ContinuousFlowRule):
        return ContinuousFlowEvaluator(rule, context)
    if isinstance(rule, SilenceRule):
        return SilenceEvaluator(rule, context)
    if isinstance(rule, ConsumptionSpikeRule):
        return SpikeEvaluator(rule, context)
    raise TypeError(f"no evaluator for rule kind {type(rule).__name__}")
