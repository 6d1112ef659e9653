"""A reload restarts a Modbus poller only when its devices changed, with the new binding (issue 19)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.mqtt.collector import own_topic_filter
from core.clock import SystemClock
from core.config_files import ConfigError
from core.settings import Settings
from core.site_loader import load_site
from core.threads import start_thread
from facilities.bootstrap import build_decoder, build_ingest, subscriptions_for
from facilities.ingest import Ingest
from facilities.reload import SiteReloader
from tests.unit.core.test_config import MINIMAL

PUMP = (
    '[[meters]]\nid = "PUMP-E"\nutility = "electricity"\narea = "lobby"\n'
    'binding = {{ protocol = "modbus", host = "127.0.0.1", port = {port}, device_id = 1,'
    ' profile = "eastron_sdm120" }}\n'
)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, Ingest, SiteReloader]]:
    site_file = tmp_path / "site.toml"
    site_file.write_text(MINIMAL + PUMP.format(port=1), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", site_file=site_file)
    ingest = build_ingest(settings, site=load_site(site_file), clock=SystemClock())
    reloader = SiteReloader(
        site_file, ingest, decoder_for=build_decoder, subscriptions_for=subscriptions_for, spawn=start_thread
    )
    yield site_file, ingest, reloader
    for poller in ingest.pollers:
        poller.stop()
    ingest.spool.close()


def test_a_changed_port_restarts_the_poller_an_unchanged_file_does_not(
    setup: tuple[Path, Ingest, SiteReloader],
) -> None:
    site_file, ingest, reloader = setup
    first = ingest.poller
    assert first is not None and first.devices[0].binding.port == 1  # type: ignore[attr-defined]
    assert reloader.reload().pollers_restarted == []
    assert ingest.poller is first

    site_file.write_text(MINIMAL + PUMP.format(port=2), encoding="utf-8")
    result = reloader.reload()
    assert (result.pollers_restarted, result.changed) == (["modbus"], ["PUMP-E"])
    assert ingest.poller is not first and ingest.poller.devices[0].binding.port == 2  # type: ignore[union-attr, attr-defined]

    site_file.write_text(MINIMAL, encoding="utf-8")
    result = reloader.reload()
    assert (result.pollers_restarted, result.removed, ingest.poller) == (["modbus"], ["PUMP-E"], None)
    assert ingest.collector.options.subscriptions[0] == own_topic_filter("demo")


def test_a_bad_binding_is_refused_and_the_poller_keeps_running(setup: tuple[Path, Ingest, SiteReloader]) -> None:
    site_file, ingest, reloader = setup
    first = ingest.poller
    site_file.write_text(MINIMAL + PUMP.format(port=70000), encoding="utf-8")
    with pytest.raises(ConfigError, match="port"):
        reloader.reload()
    assert ingest.poller is first and "PUMP-E" in ingest.registry and reloader.refused == 1
