"""`/health`: the only endpoint open without a key, for load balancers and uptime checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import DepsDep
from api.ports import HealthCheck

router = APIRouter(tags=["health"])


class CheckOut(BaseModel):
    ok: bool
    detail: str


class HealthOut(BaseModel):
    status: str  # "ok" or "unavailable"
    checks: dict[str, CheckOut]


def _run(check: HealthCheck) -> CheckOut:
    # A check that raises has failed; it must not turn the health report into a 500.
    try:
        ok, detail = check()
    except Exception as exc:
        return CheckOut(ok=False, detail=f"check failed: {type(exc).__name__}: {exc}")
    return CheckOut(ok=bool(ok), detail=str(detail))


def run_checks(checks: dict[str, HealthCheck], timeout_s: float) -> dict[str, CheckOut]:
    """Run all checks at once; one still running after `timeout_s` counts as failed."""
    if not checks:
        return {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="health")
    futures = {name: pool.submit(_run, check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout_s)
    pool.shutdown(wait=False)  # a hung check keeps its thread, not the request
    return {
        name: future.result() if future.done() else CheckOut(ok=False, detail=f"no answer within {timeout_s:g} s")
        for name, future in futures.items()
    }


@router.get(
    "/health",
    summary="Whether the broker, the store and the database answer",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "At least one check failed"}},
)
def health(deps: DepsDep) -> JSONResponse:
    results = run_checks(dict(deps.health_checks), deps.health_timeout_s)
    healthy = all(result.ok for result in results.values())
    body = HealthOut(status="ok" if healthy else "unavailable", checks=results)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
