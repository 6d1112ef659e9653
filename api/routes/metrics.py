"""`/metrics`: the Prometheus text exposition of the registry the composition root hands in."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from access.roles import Permission
from api.deps import DepsDep, require
from api.schemas import ERROR_RESPONSES

router = APIRouter(tags=["metrics"], dependencies=[require(Permission.READ_METRICS)], responses=ERROR_RESPONSES)


@router.get(
    "/metrics",
    summary="Prometheus metrics (send the key as a bearer token from the scrape config)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
def metrics(deps: DepsDep) -> Response:
    return Response(generate_latest(deps.metrics), media_type=CONTENT_TYPE_LATEST)
