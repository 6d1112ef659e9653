"""Every router of the API, gathered in one place."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    alarms,
    assets,
    audit,
    billing,
    billing_meters,
    deadletters,
    deliveries,
    devices,
    discovered,
    health,
    keys,
    metrics,
    portfolio,
    readings,
    sites,
    sla,
    workorder_actions,
    workorders,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(sites.router)
api_router.include_router(assets.router)
api_router.include_router(discovered.router)  # before devices: /devices/discovered
api_router.include_router(devices.router)
api_router.include_router(readings.router)
api_router.include_router(deadletters.router)
api_router.include_router(keys.router)
api_router.include_router(audit.router)
api_router.include_router(metrics.router)
api_router.include_router(workorders.router)
api_router.include_router(workorder_actions.router)
api_router.include_router(alarms.router)
api_router.include_router(sla.router)
api_router.include_router(deliveries.router)
api_router.include_router(billing.router)
api_router.include_router(billing_meters.router)
api_router.include_router(portfolio.router)
