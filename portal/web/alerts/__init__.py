"""Job alerts: candidates subscribe from the jobs list, confirm by email,
manage their alert and unsubscribe in one click."""

from .views import bp

__all__ = ["bp"]
