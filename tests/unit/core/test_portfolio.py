"""The portfolio file: a company's sites listed or found by folder, each site file through the one site loader;
the hostile cases (duplicate ids, missing files, paths out of the folder, too many sites, bytes that are not
UTF-8) refused with the house's `file: key: what to change`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from alerts.loading import load_alerts
from alerts.routing import Routing
from core.config_files import ConfigError
from core.portfolio import MAX_SITES, PortfolioError, load_portfolio, settings_for
from core.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def site_text(site_id: str, timezone: str = "Asia/Shanghai") -> str:
    return f"""
[site]
id = "{site_id}"
name = "{site_id} 花园"
timezone = "{timezone}"

[[buildings]]
id = "B1"
name = "1号楼"
floors = 2
unit_layout = {{ first_floor = 1, last_floor = 2, units_per_floor = 2 }}

[[meter_groups]]
utilities = ["water"]
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def listing(*entries: str, company: str = "测试物业") -> str:
    return f'[company]\nname = "{company}"\n' + "".join(f"\n[[sites]]\n{entry}\n" for entry in entries)


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_portfolio(path)
    return str(caught.value)


def test_the_example_portfolio_lists_three_sites_in_three_time_zones() -> None:
    portfolio = load_portfolio(EXAMPLES / "portfolio" / "portfolio.toml")

    assert portfolio.company == "湖景物业 Lakeview Property Services"
    assert list(portfolio.sites) == ["lakeview", "harbour", "tianshan"]
    zones = {site_id: files.site.info.timezone for site_id, files in portfolio.sites.items()}
    assert zones == {"lakeview": "Asia/Shanghai", "harbour": "Asia/Hong_Kong", "tianshan": "Asia/Urumqi"}
    lakeview, tianshan = portfolio.sites["lakeview"], portfolio.sites["tianshan"]
    assert lakeview.maintenance_file == EXAMPLES / "portfolio" / "lakeview" / "maintenance.toml"
    assert (tianshan.alerts_file, tianshan.billing_file, tianshan.maintenance_file) == (None, None, None)
    assert tianshan.patrols_file == EXAMPLES / "portfolio" / "tianshan" / "patrols.toml"


def test_the_example_folder_form_finds_the_same_sites_and_files() -> None:
    listed = load_portfolio(EXAMPLES / "portfolio" / "portfolio.toml")
    found = load_portfolio(EXAMPLES / "portfolio" / "folder.toml")

    assert sorted(found.sites) == ["harbour", "lakeview", "tianshan"]  # by folder name
    for site_id, files in listed.sites.items():
        other = found.sites[site_id]
        assert [other.site_file, other.alerts_file, other.billing_file, other.maintenance_file, other.patrols_file] == [
            files.site_file, files.alerts_file, files.billing_file, files.maintenance_file, files.patrols_file
        ]  # fmt: skip


@pytest.mark.parametrize("name", ["site", "alerts", "billing", "maintenance", "patrols"])
def test_the_example_lakeview_is_the_example_site_as_it_is(name: str) -> None:
    copy = EXAMPLES / "portfolio" / "lakeview" / f"{name}.toml"
    assert copy.read_bytes() == (EXAMPLES / f"{name}.toml").read_bytes(), f"cp examples/{name}.toml {copy}"


def test_a_sites_folder_takes_each_subfolder_with_the_files_it_has(tmp_path: Path) -> None:
    write(tmp_path / "sites" / "north" / "site.toml", site_text("north"))
    write(tmp_path / "sites" / "north" / "patrols.toml", "")
    write(tmp_path / "sites" / "south" / "site.toml", site_text("south", "Asia/Urumqi"))
    write(tmp_path / "sites" / ".git" / "HEAD", "ref")  # hidden folders are not sites
    path = write(tmp_path / "portfolio.toml", 'sites_dir = "sites"\n[company]\nname = "南北物业"\n')

    portfolio = load_portfolio(path)

    assert list(portfolio.sites) == ["north", "south"]
    assert portfolio.sites["north"].patrols_file == tmp_path / "sites" / "north" / "patrols.toml"
    assert portfolio.sites["south"].patrols_file is None
    assert portfolio.sites["south"].site.info.timezone == "Asia/Urumqi"


def test_a_site_folder_without_a_site_file_is_named(tmp_path: Path) -> None:
    write(tmp_path / "sites" / "north" / "site.toml", site_text("north"))
    (tmp_path / "sites" / "empty").mkdir()
    path = write(tmp_path / "portfolio.toml", 'sites_dir = "sites"\n[company]\nname = "x"\n')

    assert refusal(path) == (
        f"{path}: sites_dir (empty): no file {tmp_path}/sites/empty/site.toml; correct the path or add the file"
    )


def test_duplicate_site_ids_are_refused_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path / "a" / "site.toml", site_text("lakeview"))
    write(tmp_path / "b" / "site.toml", site_text("lakeview"))
    path = write(tmp_path / "portfolio.toml", listing('site_file = "a/site.toml"', 'site_file = "b/site.toml"'))

    assert refusal(path) == (
        f"{path}: sites[1].site_file: site id 'lakeview' of {tmp_path}/b/site.toml is also the id of "
        f"{tmp_path}/a/site.toml (sites[0].site_file); each site needs an id of its own"
    )


def test_a_missing_file_is_named_by_its_key(tmp_path: Path) -> None:
    write(tmp_path / "a" / "site.toml", site_text("a"))
    path = write(tmp_path / "portfolio.toml", listing('site_file = "a/site.toml"\nbilling_file = "a/billing.toml"'))

    assert refusal(path) == (
        f"{path}: sites[0].billing_file: no file {tmp_path}/a/billing.toml; correct the path or add the file"
    )


@pytest.mark.parametrize("where", ["../outside/site.toml", "/etc/hostname", "a/../../outside/site.toml"])
def test_a_path_out_of_the_portfolio_folder_is_refused(tmp_path: Path, where: str) -> None:
    write(tmp_path / "outside" / "site.toml", site_text("outside"))
    path = write(tmp_path / "company" / "portfolio.toml", listing(f'site_file = "{where}"'))

    assert refusal(path) == (
        f"{path}: sites[0].site_file: {where!r} is outside the portfolio's folder {tmp_path}/company; "
        "keep the sites' files in it"
    )


def test_a_symlink_out_of_the_folder_is_refused_too(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "site.toml", site_text("outside"))
    (tmp_path / "company" / "sites").mkdir(parents=True)
    (tmp_path / "company" / "sites" / "sneaky").symlink_to(tmp_path / "outside")
    path = write(tmp_path / "company" / "portfolio.toml", 'sites_dir = "sites"\n[company]\nname = "x"\n')

    assert "sites_dir (sneaky): 'sites/sneaky/site.toml' is outside the portfolio's folder" in refusal(path)


def test_more_than_a_thousand_sites_are_refused_before_any_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "portfolio.toml", listing(*[f'site_file = "s{i}/site.toml"' for i in range(1001)]))

    assert refusal(path) == f"{path}: sites: 1001 sites; a portfolio holds at most {MAX_SITES}"


def test_more_than_a_thousand_site_folders_are_refused(tmp_path: Path) -> None:
    for i in range(MAX_SITES + 1):
        (tmp_path / "sites" / f"s{i:04d}").mkdir(parents=True)
    path = write(tmp_path / "portfolio.toml", 'sites_dir = "sites"\n[company]\nname = "x"\n')

    assert refusal(path) == f"{path}: sites_dir: 1001 site folders in {tmp_path}/sites; at most 1000"


def test_a_site_file_that_is_not_utf8_is_named_with_the_byte(tmp_path: Path) -> None:
    write(tmp_path / "good" / "site.toml", site_text("good"))
    write(tmp_path / "gbk" / "site.toml", site_text("gbk").replace("gbk 花园", "湖景").encode("gbk"))
    path = write(tmp_path / "portfolio.toml", listing('site_file = "good/site.toml"', 'site_file = "gbk/site.toml"'))

    message = refusal(path)

    assert message.startswith(f"{tmp_path}/gbk/site.toml: the site file is not UTF-8 text (byte 0xba at offset ")
    assert message.endswith("); save it as UTF-8")


def test_every_broken_site_is_listed_under_its_own_file(tmp_path: Path) -> None:
    write(tmp_path / "a" / "site.toml", site_text("a").replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'))
    write(tmp_path / "b" / "site.toml", "unknown = 1\n" + site_text("b"))
    path = write(tmp_path / "portfolio.toml", listing('site_file = "a/site.toml"', 'site_file = "b/site.toml"'))

    with pytest.raises(PortfolioError) as caught:
        load_portfolio(path)

    assert [error.source for error in caught.value.errors] == [f"{tmp_path}/a/site.toml", f"{tmp_path}/b/site.toml"]
    assert str(caught.value).splitlines() == [
        f"{tmp_path}/a/site.toml: site.timezone: unknown time zone 'Mars/Base'; use an IANA name such as "
        "'Asia/Shanghai' (got 'Mars/Base')",
        f"{tmp_path}/b/site.toml: unknown: unknown key; remove it or correct its spelling",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[company]\nname = "x"\n', ": list the sites in [[sites]] tables or name their folder in sites_dir"),
        ('sites_dir = "s"\n[company]\nname = "x"\n[[sites]]\nsite_file = "a"\n', ": list the sites in"),
        ("[[sites]]\nsite_file = 'a'\n", ": company: required key is missing; add it"),
        ('[company]\nname = "x"\n[[sites]]\nsite_file = "a"\nalert_file = "b"\n', ": sites[0].alert_file: unknown key"),
        ('sites_dir = "nowhere"\n[company]\nname = "x"\n', ": sites_dir: no folder"),
    ],
)
def test_a_portfolio_file_that_says_no_sites_clearly_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "portfolio.toml", text)

    assert refusal(path).startswith(f"{path}{expected}")


def test_settings_for_a_site_point_at_its_own_files_folder_and_broker_session() -> None:
    portfolio = load_portfolio(EXAMPLES / "portfolio" / "portfolio.toml")
    hub = Settings(portfolio_file=EXAMPLES / "portfolio" / "portfolio.toml", data_dir=Path("/srv/facilities"))

    harbour = settings_for(hub, portfolio.sites["harbour"])
    tianshan = settings_for(hub, portfolio.sites["tianshan"])

    assert harbour.site_file == EXAMPLES / "portfolio" / "harbour" / "site.toml"
    assert harbour.billing_file == EXAMPLES / "portfolio" / "harbour" / "billing.toml"
    assert harbour.alerts_file == EXAMPLES / "portfolio" / "harbour" / "alerts.toml"
    assert (harbour.data_dir, harbour.mqtt_client_id) == (Path("/srv/facilities/harbour"), "facilities-ingest-harbour")
    assert harbour.portfolio_file is None
    assert (tianshan.alerts_file, tianshan.maintenance_file) == (None, None)
    assert not tianshan.billing_file.exists()  # no billing file: billing is off for the site
    assert tianshan.billing_file == Path("/srv/facilities/tianshan/billing.toml")
    assert hub.data_dir == Path("/srv/facilities")  # the hub's own settings are left as they were
    # One InfluxDB database for the company (points carry their site tag; Grafana's $site picks one).
    assert (harbour.influx_db, tianshan.influx_db) == (hub.influx_db, hub.influx_db)
    # Alert links name their site, so any replica's front sends them to the one running it.
    public = hub.model_copy(update={"public_url": "https://wuye.example.com/"})
    assert settings_for(public, portfolio.sites["harbour"]).base_url == "https://wuye.example.com/sites/harbour"
    routing = Routing(load_alerts(EXAMPLES / "portfolio" / "harbour" / "alerts.toml"), base_url=harbour.base_url)
    link = routing.link(order_id="7", code="WO-20261206-0001", site_id="harbour")
    assert link == f"http://{hub.api_host}:{hub.api_port}/sites/harbour/console/orders/WO-20261206-0001"


def test_each_site_keeps_its_photos_under_its_own_prefix_of_a_shared_bucket() -> None:
    portfolio = load_portfolio(EXAMPLES / "portfolio" / "portfolio.toml")
    hub = Settings(portfolio_file=EXAMPLES / "portfolio" / "portfolio.toml", photos_store="s3://wuye-photos/company")
    harbour = settings_for(hub, portfolio.sites["harbour"])
    assert harbour.photos_store == "s3://wuye-photos/company/harbour/"
    assert harbour.photos_s3 is not None and harbour.photos_s3.prefix == "company/harbour/"
    assert Settings.model_validate(harbour.model_dump()).photos_store == harbour.photos_store  # a valid value
    assert settings_for(Settings(), portfolio.sites["harbour"]).photos_store == "folder"  # the site's data folder


def test_a_portfolio_and_a_site_file_together_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"set FACILITIES_PORTFOLIO_FILE .* or FACILITIES_SITE_FILE .* not both"):
        Settings(portfolio_file=Path("portfolio.toml"), site_file=Path("site.toml"))
    assert Settings(portfolio_file=Path("portfolio.toml")).portfolio_file == Path("portfolio.toml")


def test_the_portfolio_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACILITIES_PORTFOLIO_FILE", "/etc/facilities/portfolio.toml")
    monkeypatch.setenv("FACILITIES_SITE_FILE", "/etc/facilities/site.toml")
    with pytest.raises(ValidationError, match="not both"):
        Settings()
    monkeypatch.delenv("FACILITIES_SITE_FILE")
    assert Settings().portfolio_file == Path("/etc/facilities/portfolio.toml")
