"""Candidates apply: the accessible application form and its confirmation."""

from . import status_views  # noqa: F401  (registers the status pages on bp)
from .views import bp

__all__ = ["bp"]
