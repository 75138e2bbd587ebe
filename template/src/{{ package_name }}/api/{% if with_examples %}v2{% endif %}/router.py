"""The routes of `/api/v2`: each resource module adds its routes to this router."""

from fastapi import APIRouter

from ...idempotency.routing import IdempotentRoute
from .products import router as products_router

router = APIRouter(route_class=IdempotentRoute)
router.include_router(products_router)
