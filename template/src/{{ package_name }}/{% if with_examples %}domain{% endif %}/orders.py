"""Orders: place one for a product, fetch one by ID."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from .models import Order, Product


class UnknownProductError(LookupError):
    """The order names a product that does not exist."""

    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} does not exist")
        self.product_id = product_id


async def place_order(session: AsyncSession, product_id: int, quantity: int) -> Order:
    """A new order, priced from the product's current price."""
    product = await session.get(Product, product_id)
    if product is None:
        raise UnknownProductError(product_id)
    order = Order(
        product_id=product.id, quantity=quantity, total_cents=product.price_cents * quantity
    )
    session.add(order)
    await session.flush()
    return order


async def find_order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    """The order with this ID, or None."""
    return await session.get(Order, order_id)
