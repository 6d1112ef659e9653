"""Tests a rule's field conditions against an asset's latest field values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.reading import FieldValue
from rules.config import Condition
from rules.evaluation import number

SYMBOL = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤", "in": "∈", "not_in": "∉"}


def holds(condition: Condition, fields: Mapping[str, FieldValue]) -> bool | None:
    """True or False, or None when the field is unknown or its value cannot be compared."""
    value = fields.get(condition.field)
    if value is None:
        return None
    op = condition.op
    if op in ("eq", "ne", "in", "not_in"):
        found = any(_same(value, wanted) for wanted in condition.values())
        return found if op in ("eq", "in") else not found
    have, limit = number(value), number(condition.value)
    if have is None or limit is None:
        return None
    if op == "gt":
        return have > limit
    if op == "ge":
        return have >= limit
    if op == "lt":
        return have < limit
    return have <= limit


def all_hold(conditions: Iterable[Condition], fields: Mapping[str, FieldValue]) -> bool | None:
    """True if every condition holds, False if one does not, None if one cannot be told."""
    result: bool | None = True
    for condition in conditions:
        held = holds(condition, fields)
        if held is False:
            return False
        if held is None:
            result = None
    return result


def describe(conditions: Iterable[Condition]) -> str:
    """`state = moving, door = open`: the conditions as people read them."""
    parts = []
    for c in conditions:
        shown = ", ".join(_show(v) for v in c.values())
        parts.append(f"{c.field} {SYMBOL[c.op]} {'{' + shown + '}' if c.op in ('in', 'not_in') else shown}")
    return ", ".join(parts)


def _same(value: FieldValue, wanted: FieldValue) -> bool:
    # A bool is not the number 1 here: `alarm = true` must not match a numeric field reading 1.
    if isinstance(value, bool) != isinstance(wanted, bool):
        return False
    return value == wanted


def _show(value: FieldValue) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
