"""Products: add one, list them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Product

LIST_LIMIT = 100


async def add_product(session: AsyncSession, name: str, price_cents: int) -> Product:
    """A new product, flushed so that its ID is known."""
    product = Product(name=name, price_cents=price_cents)
    session.add(product)
    await session.flush()
    return product


async def list_products(session: AsyncSession, limit: int = LIST_LIMIT) -> Sequence[Product]:
    """The first `limit` products, oldest first."""
    result = await session.scalars(select(Product).order_by(Product.id).limit(limit))
    return result.all()
