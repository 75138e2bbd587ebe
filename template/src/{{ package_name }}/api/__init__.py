"""Decision 6: URL-based API versions, one OpenAPI contract each, problem+json errors."""

from .versions import VERSIONS, ApiVersion, install_api

__all__ = ["VERSIONS", "ApiVersion", "install_api"]
