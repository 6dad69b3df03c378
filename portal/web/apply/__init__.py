"""Candidates apply: the accessible application form and its confirmation."""

from .views import bp

__all__ = ["bp"]
