"""Models shared by the routers: the error body and a page of results."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

MAX_PAGE = 500
MAX_OFFSET = 1_000_000


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Asset not found"])
    details: list[dict[str, str]] | None = None


class ErrorOut(BaseModel):
    """What every failed request answers."""

    error: ErrorDetail


# Documented on every authenticated route, so clients (and schemathesis) know the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No key, an unknown key or a revoked key"},
    403: {"model": ErrorOut, "description": "The key's role lacks the permission, or (crew) the order is not its own"},
    422: {"model": ErrorOut, "description": "Invalid parameters; `details` names each one"},
}


def not_found(description: str) -> dict[int | str, dict[str, Any]]:
    """The documented 404 of a route that looks something up."""
    return {404: {"model": ErrorOut, "description": description}}


class Page(BaseModel, Generic[T]):
    """One page of a list: `items` from `offset`, at most `limit` of them, out of `total`."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    total: int
    limit: int
    offset: int


class Pagination(BaseModel):
    limit: int
    offset: int

    def slice(self, items: list[T]) -> list[T]:
        return items[self.offset : self.offset + self.limit]


def page_of(items: list[T], pagination: Pagination) -> Page[T]:
    """The requested page of an in-memory list."""
    return Page(items=pagination.slice(items), total=len(items), limit=pagination.limit, offset=pagination.offset)
