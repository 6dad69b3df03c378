"""Hiring staff: sign-in, review of applications, exports, equity report, audit log."""

from .views import bp

__all__ = ["bp"]
