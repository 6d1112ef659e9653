"""The replica's HTTP front (facilities.portfolio_app) over fake site hubs and a fake lease book (our own ports):
where each request goes, what a site another replica runs answers, and what /health says."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cluster.replica import Replica
from core.health import ComponentHealth, HealthState
from core.portfolio import Portfolio, load_portfolio
from facilities.portfolio_app import SITE_COOKIE, PortfolioApp
from facilities.site_hubs import SiteHubs
from tests.conftest import EXAMPLE_SITE

PORTFOLIO = load_portfolio(Path(EXAMPLE_SITE).parent / "portfolio" / "portfolio.toml")  # lakeview, harbour, tianshan


def site_app(site: str) -> FastAPI:
    app = FastAPI()

    @app.get("/sites/{site_id}/ping")
    def ping(site_id: str) -> dict[str, str]:
        return {"served_by": site, "asked": site_id}

    @app.get("/console")
    def console() -> dict[str, str]:
        return {"console_of": site}

    return app


@dataclass
class FakeHubs:
    apps: dict[str, FastAPI] = field(default_factory=dict)
    states: dict[str, HealthState] = field(default_factory=dict)

    def app_for(self, site: str) -> FastAPI | None:
        return self.apps.get(site)

    def held(self) -> list[str]:
        return sorted(self.apps)

    def health(self) -> dict[str, HealthState]:
        return {site: self.states.get(site, HealthState.OK) for site in self.held()}

    def subscribed(self, site: str) -> bool | None:
        return True if site in self.apps else None


@dataclass
class FakeBook:
    owner: dict[str, str]
    urls: dict[str, str]
    replica_id: str = "r1"
    url: str = "http://r1:8000"
    down: bool = False

    def owner_url(self, site: str) -> str | None:
        if self.down:
            raise ConnectionError("lease database unreachable")
        owner = self.owner.get(site)
        return self.urls.get(owner) if owner else None

    def owners(self) -> dict[str, str]:
        if self.down:
            raise ConnectionError("lease database unreachable")
        return dict(self.owner)


@dataclass
class FakeReplica:
    book: FakeBook
    state: ComponentHealth = field(default_factory=lambda: ComponentHealth.ok("running"))

    def health(self) -> ComponentHealth:
        return self.state


@pytest.fixture
def front() -> tuple[TestClient, FakeHubs, FakeReplica]:
    hubs = FakeHubs({"lakeview": site_app("lakeview"), "tianshan": site_app("tianshan")})
    book = FakeBook(
        {"lakeview": "r1", "tianshan": "r1", "harbour": "r2"}, {"r1": "http://r1:8000", "r2": "http://r2:8000/"}
    )
    replica = FakeReplica(book)
    app = PortfolioApp(cast(SiteHubs, hubs), cast(Portfolio, PORTFOLIO), cast(Replica, replica))
    return TestClient(app, base_url="http://r1:8000"), hubs, replica


def test_a_site_running_here_is_served_by_its_own_hub(front: Any) -> None:
    client, _, _ = front
    assert client.get("/sites/tianshan/ping").json() == {"served_by": "tianshan", "asked": "tianshan"}
    assert client.get("/sites/lakeview/ping").json()["served_by"] == "lakeview"


def test_a_site_another_replica_runs_is_redirected_there_with_its_query(front: Any) -> None:
    client, _, _ = front
    answer = client.get("/sites/harbour/ping?x=1&y=%E4%B8%AD", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "http://r2:8000/sites/harbour/ping?x=1&y=%E4%B8%AD"


def test_a_site_being_taken_over_answers_503_with_retry_after(front: Any) -> None:
    client, _, replica = front
    del replica.book.owner["harbour"]  # its lease expired; nobody holds it yet
    answer = client.get("/sites/harbour/ping")
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
    assert "harbour" in answer.json()["detail"]
    replica.book.down = True  # the lease database is down too: still a 503, never a 500
    assert client.get("/sites/harbour/ping").status_code == 503


@pytest.mark.parametrize("site", ["nowhere", "%ED%A0%80", "x" * 5000, "%00"])
def test_a_site_not_in_the_portfolio_is_404_naming_it_briefly(front: Any, site: str) -> None:
    client, _, _ = front
    answer = client.get(f"/sites/{site}/ping")
    assert answer.status_code == 404
    assert len(answer.json()["detail"]) < 200


def test_the_console_follows_the_chosen_site_else_the_first_running_here(front: Any) -> None:
    client, _, _ = front
    assert client.get("/console").json() == {"console_of": "lakeview"}
    chosen = client.get("/replica/choose?site=tianshan", follow_redirects=False)
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/console")
    assert SITE_COOKIE in chosen.headers["set-cookie"]
    assert client.get("/console").json() == {"console_of": "tianshan"}
    assert client.get("/replica/choose?site=nowhere").status_code == 404
    client.cookies.set(SITE_COOKIE, "not-a-site")  # a stale or forged choice: the first site here
    assert client.get("/console").json() == {"console_of": "lakeview"}


def test_a_chosen_site_run_elsewhere_is_redirected_to_its_owner_never_shown_as_another(front: Any) -> None:
    client, _, replica = front
    client.cookies.set(SITE_COOKIE, "harbour")
    answer = client.get("/console/orders?state=open", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "http://r2:8000/sites/harbour/console/orders?state=open"
    del replica.book.owner["harbour"]  # being taken over: retry, not lakeview's console in its place
    answer = client.get("/console")
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
    assert "harbour" in answer.json()["detail"]


def test_an_alert_link_to_a_site_s_console_chooses_that_site(front: Any) -> None:
    client, _, _ = front
    answer = client.get("/sites/tianshan/console/orders/WO-7?k=signed.token", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/orders/WO-7?k=signed.token")
    assert answer.headers["set-cookie"].startswith(f"{SITE_COOKIE}=tianshan;")
    assert client.get("/console").json() == {"console_of": "tianshan"}
    assert client.get("/sites/lakeview/console", follow_redirects=False).headers["location"] == "/console"
    assert client.get("/console").json() == {"console_of": "lakeview"}
    elsewhere = client.get("/sites/harbour/console/orders/WO-9?k=t", follow_redirects=False)
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (
        307, "http://r2:8000/sites/harbour/console/orders/WO-9?k=t"
    )  # fmt: skip
    assert client.get("/sites/tianshan/consoles", follow_redirects=False).status_code == 404  # not the console


def test_a_replica_running_no_site_says_so(front: Any) -> None:
    client, hubs, _ = front
    hubs.apps.clear()
    answer = client.get("/console")
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")


def test_health_is_the_replica_s_and_its_sites(front: Any) -> None:
    client, hubs, replica = front
    body = client.get("/health").json()
    assert body == {
        "status": "ok",
        "replica": {"id": "r1", "status": "ok", "detail": "running"},
        "sites": {"lakeview": "ok", "tianshan": "ok"},
    }
    hubs.states["tianshan"] = HealthState.FAILING
    assert client.get("/health").status_code == 503
    hubs.states.clear()
    replica.state = ComponentHealth.failing("no lease renewed")
    answer = client.get("/health")
    assert (answer.status_code, answer.json()["status"]) == (503, "failing")


def test_the_site_list_names_each_owner_and_survives_a_lease_database_outage(front: Any) -> None:
    client, _, replica = front
    rows = {row["site_id"]: row for row in client.get("/replica/sites").json()["sites"]}
    assert {site: row["replica"] for site, row in rows.items()} == {"lakeview": "r1", "harbour": "r2", "tianshan": "r1"}
    assert rows["harbour"]["subscribed_here"] is None and rows["lakeview"]["subscribed_here"] is True
    replica.book.down = True
    body = client.get("/replica/sites").json()
    assert "unreachable" in body["problem"]
    assert {row["site_id"]: row["replica"] for row in body["sites"]}["harbour"] is None
