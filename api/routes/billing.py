"""Metered billing for the property fee module: periods, statements, the CSV export, and finalising.

The fee module (role `fee_module`, permission `billing:read`) pulls periods and statements; staff and
admins (`billing:run`) finalise a period's drafts. Billing a period stays with the CLI
(`facilities billing run`) and the monthly job: the API only reads what they stored and finalises it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from access.roles import Permission
from api.deps import DepsDep, PaginationDep, SessionDep, require
from api.schemas import ERROR_RESPONSES, Page, not_found, page_of
from api.schemas_billing import (
    FinalizeOut,
    HeldStatementOut,
    PeriodOut,
    StatementOut,
    period_out,
    statement_out,
    statement_ref,
)
from api.workorder_deps import SiteIdDep
from billing.config import CsvHeaders
from billing.exports import Names, csv_bytes
from billing.periods import BillingPeriod
from billing.repository import StatementRepository
from billing.statements import Statement, StatementNeedsReview, StatementStatus

router = APIRouter(
    prefix="/sites/{site_id}/billing",
    tags=["billing"],
    responses={**ERROR_RESPONSES, **not_found("No such site on this hub")},
)

READ = [require(Permission.READ_BILLING)]

PeriodQuery = Annotated[
    str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="A month, YYYY-MM.", examples=["2026-10"])
]
StatementId = Annotated[uuid.UUID, Path(description="The statement's id from the statement list.")]


def _period(text: str) -> BillingPeriod:
    """The period in the query, or 422 (e.g. month 13)."""
    try:
        return BillingPeriod.parse(text)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/periods", dependencies=READ, summary="Billed periods of the site, newest first")
def periods(site_id: SiteIdDep, session: SessionDep) -> list[PeriodOut]:
    return [period_out(summary) for summary in StatementRepository(session).periods(site_id)]


@router.get("/statements", dependencies=READ, summary="Statements of a period, by unit (adjustments after)")
def statements(
    site_id: SiteIdDep,
    session: SessionDep,
    pagination: PaginationDep,
    period: PeriodQuery,
    status: Annotated[StatementStatus | None, Query(description="draft or final")] = None,
    unit: Annotated[str | None, Query(max_length=100, description="One unit's statements, e.g. B1-0101.")] = None,
) -> Page[StatementOut]:
    found = StatementRepository(session).for_period(site_id, _period(period), status=status, unit_id=unit)
    return page_of([statement_out(statement) for statement in found], pagination)


@router.get(
    "/statements.csv",
    dependencies=READ,
    summary="A period's statement lines as a CSV file for Excel (UTF-8 with BOM, CRLF)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per statement line."}},
)
def statements_csv(
    site_id: SiteIdDep,
    deps: DepsDep,
    session: SessionDep,
    period: PeriodQuery,
    headers: Annotated[
        CsvHeaders | None, Query(description="Column headers: zh or en (default: the billing file's choice).")
    ] = None,
    status: Annotated[StatementStatus | None, Query(description="draft or final")] = None,
) -> Response:
    billed = _period(period)
    found = StatementRepository(session).for_period(site_id, billed, status=status)
    if headers is None:
        headers = deps.billing_config.export.csv_headers if deps.billing_config is not None else CsvHeaders.ZH
    body = csv_bytes(found, timezone=deps.site.info.timezone, headers=headers, names=Names.of(deps.site))
    filename = f"billing-{site_id}-{billed}.csv"
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/statements/{statement_id}",
    dependencies=READ,
    summary="One statement with its lines: registers, consumption, tiers, amounts and flags",
    responses=not_found("No such statement in this site"),
)
def statement(site_id: SiteIdDep, session: SessionDep, statement_id: StatementId) -> StatementOut:
    found = StatementRepository(session).get(statement_id)
    if found is None or found.site_id != site_id:
        raise HTTPException(404, f"Statement {statement_id} not found")
    return statement_out(found)


@router.post(
    "/finalize",
    dependencies=[require(Permission.RUN_BILLING)],
    summary="Finalise every draft of a period; drafts with lines to review are held back and listed",
)
def finalize(site_id: SiteIdDep, deps: DepsDep, period: PeriodQuery) -> FinalizeOut:
    """Final statements are immutable; finalising a period again changes nothing and answers 200."""
    billed = _period(period)
    now = deps.clock.now()
    finalized: list[Statement] = []
    held: list[HeldStatementOut] = []
    # A transaction of its own (like `billing.service.finalize_period`), not the request's session.
    with deps.session_factory() as session, session.begin():
        repository = StatementRepository(session)
        already_final = len(repository.for_period(site_id, billed, status=StatementStatus.FINAL))
        for draft in repository.for_period(site_id, billed, status=StatementStatus.DRAFT):
            try:
                finalized.append(repository.finalize(draft.id, now))
            except StatementNeedsReview as exc:
                held.append(HeldStatementOut(**statement_ref(draft).model_dump(), reason=str(exc)))
    return FinalizeOut(
        period=str(billed),
        finalized=[statement_ref(statement) for statement in finalized],
        held=held,
        already_final=already_final,
    )
