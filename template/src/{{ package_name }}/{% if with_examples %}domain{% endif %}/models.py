"""The example tables: products and the orders placed for them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db.models import Base
from ..db.types import UtcDateTime


def _now() -> datetime:
    return datetime.now(UTC)


class Product(Base):
    """Something a customer can order."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)


class Order(Base):
    """An order for a quantity of one product; the total is fixed when it is placed."""

    __tablename__ = "orders"

    # A random ID: order numbers are not guessable and need no round trip to allocate.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    total_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
