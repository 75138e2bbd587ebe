"""Decision 6: URL-based API versions, one OpenAPI contract each, problem+json errors."""

from .mount import install_api
from .versions import VERSIONS, ApiVersion

__all__ = ["VERSIONS", "ApiVersion", "install_api"]
