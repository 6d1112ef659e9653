"""The plugin registries: what pyproject.toml's entry points register, and a broken plugin named."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from core import plugins
from core.plugins import PROTOCOLS, RULE_KINDS, SITE_SECTIONS, PluginError, registered, registered_subclasses
from core.site import ProtocolBinding, RuleConfig, SiteSection, protocol_models, rule_models, section_models
from rules.config import RuleBase
from rules.registry import KIND_TITLES, TEMPLATES


def test_the_shipped_plugins_are_registered() -> None:
    assert set(protocol_models()) == {"mqtt", "modbus", "dlt645"}
    assert set(section_models()) == {"mqtt_mappings"}
    assert list(rule_models()) == [
        "threshold",
        "state",
        "entrapment",
        "continuous_on",
        "continuous_flow",
        "silence",
        "consumption_spike",
    ]


def test_each_entry_point_name_is_the_key_its_model_declares() -> None:
    for name, model in protocol_models().items():
        assert model.model_fields["protocol"].annotation.__args__ == (name,)  # type: ignore[union-attr]
    for name, rule in rule_models().items():
        assert issubclass(rule, RuleBase) and rule.model_fields["kind"].default == name


def test_every_kind_owns_its_title_and_its_messages() -> None:
    assert set(KIND_TITLES) == set(rule_models())
    for name, (zh, en) in KIND_TITLES.items():
        assert zh and en, name
    for key in TEMPLATES:
        assert key == "cleared" or key.split(".")[0] in rule_models(), key


def _fake_points(monkeypatch: pytest.MonkeyPatch, points: list[EntryPoint]) -> None:
    monkeypatch.setattr(plugins, "entry_points", lambda group: [p for p in points if p.group == group])


@pytest.fixture(autouse=True)
def _fresh_registry():  # type: ignore[no-untyped-def]
    registered.cache_clear()
    yield
    registered.cache_clear()


def test_a_plugin_that_cannot_be_imported_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("broken", "no_such_package.config:Binding", PROTOCOLS)
    _fake_points(monkeypatch, [point])
    with pytest.raises(PluginError, match=r"entry point 'broken' of facilities.protocols .* cannot be loaded"):
        registered(PROTOCOLS)


def test_a_plugin_of_the_wrong_base_class_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("threshold", "core.site:SiteSection", RULE_KINDS)
    _fake_points(monkeypatch, [point])
    with pytest.raises(PluginError, match="names SiteSection, not a RuleConfig"):
        registered_subclasses(RULE_KINDS, RuleConfig)


def test_a_plugin_that_is_not_a_class_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("mqtt_mappings", "core.plugins:SITE_SECTIONS", SITE_SECTIONS)
    _fake_points(monkeypatch, [point])
    with pytest.raises(PluginError, match="is not a class"):
        registered_subclasses(SITE_SECTIONS, SiteSection)


def test_bases_are_what_core_types_the_site_with() -> None:
    assert all(issubclass(m, ProtocolBinding) for m in protocol_models().values())
