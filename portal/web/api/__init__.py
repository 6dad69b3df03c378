"""The public postings API: versioned, read-only JSON under ``/api/v1/``,
described by ``/api/v1/openapi.json``."""

from . import openapi  # noqa: F401 (its route is on bp)
from .errors import error_response, is_api_request
from .views import bp

__all__ = ["bp", "error_response", "is_api_request"]
