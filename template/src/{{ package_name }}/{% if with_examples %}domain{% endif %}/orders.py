"""Orders: place one for a product, fetch one by ID."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from .models import Order, Product

# The new checkout flow (flag `new-checkout-flow`): large orders cost less.
VOLUME_DISCOUNT_MIN_QUANTITY = 10
VOLUME_DISCOUNT_PERCENT = 10


class UnknownProductError(LookupError):
    """The order names a product that does not exist."""

    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} does not exist")
        self.product_id = product_id


async def place_order(
    session: AsyncSession, product_id: int, quantity: int, *, volume_discount: bool = False
) -> Order:
    """A new order, priced from the product's current price, less the volume discount when
    it applies (the new checkout flow, for orders of VOLUME_DISCOUNT_MIN_QUANTITY or more)."""
    product = await session.get(Product, product_id)
    if product is None:
        raise UnknownProductError(product_id)
    total_cents = product.price_cents * quantity
    if volume_discount and quantity >= VOLUME_DISCOUNT_MIN_QUANTITY:
        total_cents -= total_cents * VOLUME_DISCOUNT_PERCENT // 100
    order = Order(product_id=product.id, quantity=quantity, total_cents=total_cents)
    session.add(order)
    await session.flush()
    return order


async def find_order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    """The order with this ID, or None."""
    return await session.get(Order, order_id)
