"""The console's pages under /console: sign-in, a work order, my team's orders, all orders, intake, statistics.

Server-rendered HTML (Jinja2) with plain forms, so every action works without JavaScript; each POST answers
303 to the page to show next (post/redirect/get), so a reload never repeats it. Work-order changes go through
`workorders.service` in the hub's unit of work, so alerts, escalation stops and the audit log follow as they
do for the API.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from console import (
    alarm_pages,
    device_pages,
    device_readings_page,
    dispatch,
    docs_pages,
    intake_pages,
    list_pages,
    live_pages,
    maintenance_pages,
    meter_pages,
    order_pages,
    patrol_pages,
    portfolio_pages,
    report_pages,
    signin_pages,
)
from console.access import ConsoleConfig

router = APIRouter(include_in_schema=False)
for pages in (
    signin_pages,
    order_pages,
    dispatch,
    list_pages,
    intake_pages,
    meter_pages,
    docs_pages,
    alarm_pages,
    live_pages,
    device_pages,
    device_readings_page,
    maintenance_pages,
    patrol_pages,
    report_pages,
    portfolio_pages,
):
    router.include_router(pages.router)


def mount_console(app: FastAPI, config: ConsoleConfig) -> FastAPI:
    """Serve the console from the API's own process and database."""
    app.state.console = config
    app.include_router(router)
    return app
