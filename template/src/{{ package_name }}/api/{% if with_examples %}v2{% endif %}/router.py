"""The routes of `/api/v2`: each resource module adds its routes to this router."""

from fastapi import APIRouter

from .products import router as products_router

router = APIRouter()
router.include_router(products_router)
