"""The rule examples in rules/README.md are valid rules, at least one of every kind."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from rules.config import parse_rules
from rules.registry import RULE_KINDS

README = Path(__file__).resolve().parents[3] / "rules" / "README.md"


def test_every_kind_has_a_valid_example() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    examples = parse_rules([rule for block in blocks for rule in tomllib.loads(block)["rules"]])

    assert {rule.kind for rule in examples} == set(RULE_KINDS)
