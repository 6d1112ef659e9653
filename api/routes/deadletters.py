"""Dead letters: input the ingest path rejected (bad payloads, unknown assets, refused points)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from access.roles import Permission
from api.deps import DeadLettersDep, require
from api.schemas import ERROR_RESPONSES, Page
from storage.spool import DeadLetter

router = APIRouter(
    prefix="/dead-letters",
    tags=["dead letters"],
    dependencies=[require(Permission.READ_DEAD_LETTERS)],
    responses=ERROR_RESPONSES,
)

MAX_LIMIT = 500
MAX_OFFSET = 10_000  # the source pages from the newest, so a deep offset reads all rows before it


class DeadLetterOut(BaseModel):
    id: int
    received_at: datetime
    source: str
    payload: str  # UTF-8; bytes that are not valid UTF-8 appear as U+FFFD
    payload_bytes: int
    error: str


def _out(letter: DeadLetter) -> DeadLetterOut:
    return DeadLetterOut(
        id=letter.id,
        received_at=letter.received_at,
        source=letter.source,
        payload=letter.payload.decode("utf-8", errors="replace"),
        payload_bytes=len(letter.payload),
        error=letter.error,
    )


@router.get("", summary="Rejected input, newest first")
def list_dead_letters(
    source: DeadLettersDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip (newest first).")] = 0,
) -> Page[DeadLetterOut]:
    # The port offers only the newest N, so a page is the tail of the newest offset + limit.
    letters = source.dead_letters(offset + limit)[offset:]
    return Page(
        items=[_out(letter) for letter in letters], total=source.dead_letter_count(), limit=limit, offset=offset
    )
