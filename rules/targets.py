"""Which rules watch which asset, with each asset's overrides applied, indexed once at start-up."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rules.config import AnyRule
from rules.facts import AssetFacts


class DuplicateRule(ValueError):
    """Two rules with one id: the site file check (`validate_rules`) should have refused them."""


def watch_list(rules: Sequence[AnyRule], assets: Iterable[AssetFacts]) -> list[tuple[AnyRule, AssetFacts]]:
    """Every (rule, asset) pair to watch: the rule applies to the asset and is enabled for it after overrides."""
    ids = [rule.id for rule in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DuplicateRule(f"rule ids must be unique; repeated: {', '.join(duplicates)}")
    pairs = []
    for asset in assets:
        for rule in rules:
            if rule.applies(asset):
                effective = rule.for_asset(asset.asset_id)
                if effective.enabled:
                    pairs.append((effective, asset))
    return pairs
