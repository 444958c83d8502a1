"""Paginated lists: ``items`` of one page, ``total`` of the whole (site-scoped) list, ``offset`` and
``limit``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from mexards.api.deps import Pagination

T = TypeVar("T")
S = TypeVar("S")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def page_of(items: Sequence[S], page: Pagination, convert: Callable[[S], T]) -> Page[T]:
    """One page of ``items`` (already filtered and scoped by the services), each converted for the caller."""
    window = items[page.offset : page.offset + page.limit]
    return Page[T](
        items=[convert(item) for item in window], total=len(items), offset=page.offset, limit=page.limit
    )
