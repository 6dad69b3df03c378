"""When staff last used an application: it starts the retention clock."""

from __future__ import annotations

from datetime import datetime

from .models import Application


def mark_used(application: Application, now: datetime) -> None:
    """Record an administrative use of the application (a status change, a
    note, a résumé download, an assessment): with its posting's closing date,
    the latest one starts the retention clock (Privacy Regulations, s. 4(1)(a))."""
    if application.last_used_at is None or application.last_used_at < now:
        application.last_used_at = now
