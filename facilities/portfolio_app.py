"""One HTTP front for the sites a replica runs (issue 23).

- `/sites/<id>/…` goes to that site's hub app. A site another replica runs is redirected there (307, the
  owner's FACILITIES_REPLICA_URL as its lease row gives it); one nobody runs at this moment (a take-over under way)
  answers 503 with Retry-After; an id not in the portfolio answers 404.
- `/health` is the replica's: its lease loop and each running site's state (503 when the replica is failing or a
  site it runs is); `/replica/sites` lists every site of the portfolio with the replica that runs it (and, for
  the sites running here, whether their collector is subscribed at the broker).
- `/sites/<id>/console…` (the link in a site's alerts: `{base}/sites/{site}/console/orders/{code}`) chooses that
  site (a cookie) and redirects to `/console…` with the same query, on the replica that runs the site.
- Everything else (the console, the API docs, the company view, keys) goes to the site the visitor chose with
  `/replica/choose?site=<id>` (a cookie), else the first site this replica runs. A chosen site another replica
  runs is redirected there (never another site's console in its place); one being taken over answers 503.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from starlette.types import Receive, Scope, Send

from cluster.replica import Replica
from core.health import HealthState
from core.portfolio import Portfolio
from facilities.site_hubs import SiteHubs

SITE_COOKIE = "facilities_site"
RETRY_AFTER_S = 5  # a take-over completes within the lease ttl plus a tick or two


class PortfolioApp:
    def __init__(self, hubs: SiteHubs, portfolio: Portfolio, replica: Replica) -> None:
        self.hubs = hubs
        self.portfolio = portfolio
        self.replica = replica

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the sites' apps have no start-up work of their own
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        parts = path.split("/")
        if path == "/health":
            await self._health(send)
        elif path == "/replica/sites":
            await self._sites(send)
        elif path == "/replica/choose":
            await self._choose(scope, send)
        elif len(parts) > 2 and parts[1] == "sites" and parts[2]:
            await self._to_site(unquote(parts[2]), scope, receive, send)
        else:
            await self._to_chosen(scope, receive, send)

    async def _to_chosen(self, scope: Scope, receive: Receive, send: Send) -> None:
        site = self._chosen(scope)
        if site is not None and site in self.portfolio.sites and self.hubs.app_for(site) is None:
            # Chosen but run elsewhere: to its owner, by the path that chooses it there too.
            await self._elsewhere(site, f"/sites/{site}{scope['path']}", scope, send)
            return
        held = self.hubs.held()
        app = self.hubs.app_for(site if site in held else held[0]) if held else None
        if app is None:
            await _json(send, 503, {"detail": "this replica runs no site at the moment"}, retry=True)
        else:
            await app(scope, receive, send)

    async def _to_site(self, site: str, scope: Scope, receive: Receive, send: Send) -> None:
        if site not in self.portfolio.sites:
            await _json(send, 404, {"detail": f"no site {site[:64]!r} in this company's portfolio"})
            return
        app = self.hubs.app_for(site)
        if app is None:
            await self._elsewhere(site, scope["path"], scope, send)
            return
        rest = _after_site(scope["path"])
        if rest == "/console" or rest.startswith("/console/"):
            await _respond(send, 303, b"", [
                (b"location", (quote(rest) + _query(scope)).encode("latin-1", "replace")),
                (b"set-cookie", _site_cookie(site)),
            ])  # fmt: skip
            return
        await app(scope, receive, send)

    async def _elsewhere(self, site: str, path: str, scope: Scope, send: Send) -> None:
        """To the replica that runs `site` (307 keeps the method and body), or 503 while nobody does."""
        owner = self._owner_url(site)
        if owner:
            location = owner.rstrip("/") + quote(path) + _query(scope)
            await _respond(send, 307, b"", [(b"location", location.encode("latin-1", "replace"))])
            return
        await _json(send, 503, {"detail": f"site {site} is being taken over by another replica; retry"}, retry=True)

    def _owner_url(self, site: str) -> str | None:
        try:
            url = self.replica.book.owner_url(site)
        except Exception:  # the lease database is down: no redirect, the 503 says retry
            return None
        return url if url and url != self.replica.book.url else None

    async def _health(self, send: Send) -> None:
        replica = self.replica.health()
        sites = self.hubs.health()
        failing = replica.state is HealthState.FAILING or HealthState.FAILING in sites.values()
        body = {
            "status": "failing" if failing else replica.state.value,
            "replica": {"id": self.replica.book.replica_id, "status": replica.state.value, "detail": replica.detail},
            "sites": {site: state.value for site, state in sites.items()},
        }
        await _json(send, 503 if failing else 200, body)

    async def _sites(self, send: Send) -> None:
        problem: str | None = None
        try:
            owners = self.replica.book.owners()
        except Exception as exc:  # the list still shows what runs here
            owners = {site: self.replica.book.replica_id for site in self.hubs.held()}
            problem = str(exc)
        rows = [
            {"site_id": site, "replica": owners.get(site), "subscribed_here": self.hubs.subscribed(site)}
            for site in self.portfolio.sites
        ]
        await _json(send, 200, {"sites": rows, "problem": problem})

    async def _choose(self, scope: Scope, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        site = (query.get("site") or [""])[0]
        if site not in self.portfolio.sites:
            await _json(send, 404, {"detail": f"no site {site[:64]!r} in this company's portfolio"})
            return
        await _respond(send, 303, b"", [(b"location", b"/console"), (b"set-cookie", _site_cookie(site))])

    @staticmethod
    def _chosen(scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookie: SimpleCookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie header: no choice
                    return None
                if SITE_COOKIE in cookie:
                    return unquote(cookie[SITE_COOKIE].value)
        return None


def _after_site(path: str) -> str:
    """`/sites/<id>/console/x` → `/console/x`."""
    parts = path.split("/", 3)
    return "/" + parts[3] if len(parts) > 3 else ""


def _query(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return f"?{query}" if query else ""


def _site_cookie(site: str) -> bytes:
    return f"{SITE_COOKIE}={quote(site, safe='')}; Path=/; SameSite=Lax; HttpOnly".encode("latin-1")


async def _json(send: Send, status: int, body: dict[str, Any], *, retry: bool = False) -> None:
    headers = [(b"content-type", b"application/json")]
    if retry:
        headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    await _respond(send, status, json.dumps(body, ensure_ascii=False).encode(), headers)


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
