"""The installed rule kinds: the `RuleBase` models registered under the `facilities.rule_kinds` entry points.

Loading this module loads every registered kind; a kind module must therefore not import it (nor
`rules.messages`, which reads the kinds' titles and templates from here).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.plugins import PluginError
from core.site import rule_models
from rules.config import RuleBase


def _rule_kinds() -> dict[str, type[RuleBase]]:
    kinds: dict[str, type[RuleBase]] = {}
    for name, model in rule_models().items():
        if not issubclass(model, RuleBase):
            raise PluginError(f"rule kind {name!r} ({model.__qualname__}) does not derive from rules.config.RuleBase")
        kinds[name] = model
    return kinds


RULE_KINDS: Mapping[str, type[RuleBase]] = _rule_kinds()

KIND_TITLES: Mapping[str, tuple[str, str]] = {name: model.titles for name, model in RULE_KINDS.items()}

CLEARED = ("{asset} 已恢复正常", "{asset} is back to normal")
TEMPLATES: Mapping[str, tuple[str, str]] = {
    key: text for model in RULE_KINDS.values() for key, text in model.templates.items()
} | {"cleared": CLEARED}
