"""The evaluator of a rule: each rule kind's model makes its own (`RuleBase.evaluator`)."""

from __future__ import annotations

from rules.config import AnyRule
from rules.evaluation import Context, Evaluator


def make_evaluator(rule: AnyRule, context: Context) -> Evaluator:
    """A fresh evaluator for `rule` on `context.asset`."""
    return rule.evaluator(context)
