"""`/api/v2/products`: the catalogue a page at a time, with an opaque cursor.

v2 owns its response models: v1's may only grow, and v2's shape must not move with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...db.dependencies import EventualSession
from ...domain.models import Product
from ...idempotency.routing import IdempotentRoute
from ..pagination import Pagination, decode_cursor, encode_cursor

router = APIRouter(prefix="/products", tags=["products"], route_class=IdempotentRoute)

MAX_PAGE = 100


class ProductV2(BaseModel):
    id: int
    name: str
    price_cents: int
    created_at: datetime


class ProductPage(BaseModel):
    data: list[ProductV2]
    pagination: Pagination


async def products_after(
    session: AsyncSession, after_id: int | None, limit: int
) -> Sequence[Product]:
    """Up to `limit` products with an ID above `after_id`, in ID order (keyset pagination)."""
    query = select(Product).order_by(Product.id).limit(limit)
    if after_id is not None:
        query = query.where(Product.id > after_id)
    result = await session.scalars(query)
    return result.all()


@router.get("", summary="List products, a page at a time (eventual read)")
async def get_products(
    session: EventualSession,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Products per page")] = 20,
    cursor: Annotated[
        str | None,
        Query(
            description="`next_cursor` of the previous page; omit for the first",
            pattern="^[A-Za-z0-9_-]+$",
            max_length=64,
        ),
    ] = None,
) -> ProductPage:
    """A page of products; `pagination.next_cursor` is null on the last page."""
    after_id = decode_cursor(cursor) if cursor is not None else None
    # One more than asked: whether it exists tells if there is a next page.
    products = await products_after(session, after_id, limit + 1)
    page = products[:limit]
    next_cursor = encode_cursor(page[-1].id) if len(products) > limit else None
    return ProductPage(
        data=[
            ProductV2(
                id=product.id,
                name=product.name,
                price_cents=product.price_cents,
                created_at=product.created_at,
            )
            for product in page
        ],
        pagination=Pagination(limit=limit, next_cursor=next_cursor),
    )
