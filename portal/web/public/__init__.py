"""The public site: language choice, job postings and blog stories."""

from .views import bp

__all__ = ["bp"]
