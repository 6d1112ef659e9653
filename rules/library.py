"""The built-in rule library (`library.toml`, with the source of every number) and how site rules join it."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from core.site import RuleConfig
from rules.config import AnyRule, as_rule_bases, parse_rules


@cache
def builtin_rules() -> tuple[AnyRule, ...]:
    """The built-in rules, parsed and validated like a site file's."""
    text = files("rules").joinpath("library.toml").read_text(encoding="utf-8")
    return parse_rules(tomllib.loads(text)["rules"])


def effective_rules(site_rules: Sequence[RuleConfig], *, use_builtin: bool = True) -> tuple[AnyRule, ...]:
    """The rules to run: the built-ins (unless switched off), each replaced by a site rule with its id, then
    the site's other rules."""
    own = {rule.id: rule for rule in as_rule_bases(site_rules)}
    builtin = builtin_rules() if use_builtin else ()
    merged = [own.pop(rule.id, rule) for rule in builtin]
    return (*merged, *own.values())
