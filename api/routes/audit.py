"""The sign-in audit log (`access.audit`): console sign-ins, failures, refusals, sign-outs, ended sessions.

Admins only (`keys:manage`: who holds access). The same entries are on the command line as
`facilities users audit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from access.audit import SignInEvent, entries
from access.roles import Permission
from api.deps import PaginationDep, SessionDep, require
from api.schemas import ERROR_RESPONSES, Page
from api.schemas_workorders import ONE_LINE

router = APIRouter(
    prefix="/audit", tags=["audit"], dependencies=[require(Permission.MANAGE_KEYS)], responses=ERROR_RESPONSES
)


class SignInEntryOut(BaseModel):
    id: int
    at: datetime
    event: SignInEvent
    username: str  # as typed at the sign-in form (cleaned), so guessed names show too
    user_id: int | None
    client: str  # the address the request came from
    detail: str


@router.get("/sign-ins", summary="Console sign-ins, failures, refusals and sign-outs, newest first")
def list_sign_ins(
    session: SessionDep,
    pagination: PaginationDep,
    username: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE, description="Only this username's.")] = None,
) -> Page[SignInEntryOut]:
    rows, total = entries(session, limit=pagination.limit, offset=pagination.offset, username=username)
    items = [
        SignInEntryOut(
            id=row.id,
            at=row.at,
            event=SignInEvent(row.event),
            username=row.username,
            user_id=row.user_id,
            client=row.client,
            detail=row.detail,
        )
        for row in rows
    ]
    return Page(items=items, total=total, limit=pagination.limit, offset=pagination.offset)
