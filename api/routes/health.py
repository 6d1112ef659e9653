"""`/health`, `/health/live` and `/health/ready`: open without a key, for operators and service managers.

`/health` runs every check and reports each part's state, a sentence and its figures, and the overall
state: `ok`, `degraded` (working, with the reasons listed) or `failing` (503). `/health/ready` answers
the same status code with only the overall state: a load balancer or compose waits on it. `/health/live`
answers 200 while the process is worth keeping, 503 once it has decided to exit (a thread died).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import DepsDep
from api.ports import HealthCheck
from core.health import ComponentHealth, Figure, HealthState, overall

router = APIRouter(tags=["health"])


class CheckOut(BaseModel):
    ok: bool  # state is not failing
    state: HealthState
    detail: str
    figures: dict[str, Figure] = {}


class HealthOut(BaseModel):
    status: HealthState
    reasons: list[str]  # "name: detail" of every part that is not ok, worst first
    checks: dict[str, CheckOut]


class ReadyOut(BaseModel):
    status: HealthState
    reasons: list[str]


class LiveOut(BaseModel):
    status: str  # "alive" or "exiting"
    reason: str | None = None


def _run(check: HealthCheck) -> CheckOut:
    # A check that raises has failed; it must not turn the health report into a 500.
    try:
        answer = check()
    except Exception as exc:
        answer = ComponentHealth.failing(f"check failed: {type(exc).__name__}: {exc}")
    if not isinstance(answer, ComponentHealth):  # the plain (ok, detail) form: a failure is failing
        ok, detail = answer
        answer = ComponentHealth(HealthState.OK if ok else HealthState.FAILING, str(detail))
    failing = answer.state is HealthState.FAILING
    return CheckOut(ok=not failing, state=answer.state, detail=answer.detail, figures=dict(answer.figures))


def run_checks(checks: dict[str, HealthCheck], timeout_s: float) -> dict[str, CheckOut]:
    """Run all checks at once; one still running after `timeout_s` counts as failing."""
    if not checks:
        return {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="health")
    futures = {name: pool.submit(_run, check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout_s)
    pool.shutdown(wait=False)  # a hung check keeps its thread, not the request
    late = CheckOut(ok=False, state=HealthState.FAILING, detail=f"no answer within {timeout_s:g} s")
    return {name: future.result() if future.done() else late for name, future in futures.items()}


def report(deps: DepsDep) -> HealthOut:
    """Every check's answer and the overall state, as /health returns it."""
    results = run_checks(dict(deps.health_checks), deps.health_timeout_s)
    worst_first = sorted(results.items(), key=lambda item: -item[1].state.rank)
    reasons = [f"{name}: {out.detail}" for name, out in worst_first if out.state is not HealthState.OK]
    return HealthOut(status=overall(out.state for out in results.values()), reasons=reasons, checks=results)


def _code(status: HealthState) -> int:
    return 503 if status is HealthState.FAILING else 200


@router.get(
    "/health",
    summary="Each part's state and figures, and the overall state: ok, degraded or failing",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "At least one part is failing"}},
)
def health(deps: DepsDep) -> JSONResponse:
    body = report(deps)
    return JSONResponse(body.model_dump(mode="json"), status_code=_code(body.status))


@router.get(
    "/health/ready",
    summary="Readiness: 200 while no part is failing (ok or degraded), 503 otherwise",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "At least one part is failing"}},
)
def ready(deps: DepsDep) -> JSONResponse:
    body = report(deps)
    out = ReadyOut(status=body.status, reasons=body.reasons)
    return JSONResponse(out.model_dump(mode="json"), status_code=_code(body.status))


@router.get(
    "/health/live",
    summary="Liveness: 200 while the process runs as it should, 503 once it has decided to exit",
    response_model=LiveOut,
    responses={503: {"model": LiveOut, "description": "The process is exiting (see reason)"}},
)
def live(deps: DepsDep) -> JSONResponse:
    reason = deps.exiting() if deps.exiting is not None else None
    body = LiveOut(status="alive" if reason is None else "exiting", reason=reason)
    return JSONResponse(body.model_dump(), status_code=200 if reason is None else 503)
