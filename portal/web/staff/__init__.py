"""Hiring staff: sign-in, review of applications, exports, equity report, audit log."""

from . import account_views  # noqa: F401 (registers its routes on bp)
from .views import bp

__all__ = ["bp"]
