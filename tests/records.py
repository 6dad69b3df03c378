"""Records for tests that start from stored data rather than from the form:
applications, staff accounts for service calls, equity responses, audit entries."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.domain.models import (
    Application,
    ApplicationLink,
    AuditEvent,
    EquityResponse,
    Resume,
    ScreeningAnswer,
    StaffUser,
)
from portal.plumbing.db import db
from tests.conftest import PDF

HEAD = "head-product-management"
PYTHON = "senior-python-developer"
DESIGNER = "service-designer"  # archived in the bundled content: a closed posting
TITLES = {
    "en": {
        HEAD: "Head of Product Management",
        PYTHON: "Senior Python Developer",
        DESIGNER: "Service Designer",
    },
    "fr": {
        HEAD: "Cheffe ou chef de la gestion de produits",
        PYTHON: "Développeuse principale ou développeur principal Python",
        DESIGNER: "Conceptrice ou concepteur de services",
    },
}
STAFF_HOME = {"en": "/en/staff/", "fr": "/fr/personnel/"}
STATUSES = ("received", "screening", "interview", "offer", "hired", "rejected", "withdrawn")
#: The pipeline as the hiring process describes it (not read from the code).
PIPELINE = {
    "received": {"screening", "rejected", "withdrawn"},
    "screening": {"interview", "rejected", "withdrawn"},
    "interview": {"offer", "rejected", "withdrawn"},
    "offer": {"hired", "rejected", "withdrawn"},
    "hired": set(),
    "rejected": set(),
    "withdrawn": set(),
}

_serial = itertools.count(1)


def new_application(
    posting_key: str = HEAD,
    *,
    submitted_at: datetime | None = None,
    links=(),
    answers=(),
    resume: Resume | None = None,
    **fields,
) -> Application:
    """Build an application (with its résumé) without going through the form."""
    n = next(_serial)
    values = {
        "reference": f"TEST-{n:07d}",
        "submission_token": f"token-{n}",
        "posting_key": posting_key,
        "posting_lang": "en",
        "posting_slug": posting_key,
        "posting_title": TITLES["en"].get(posting_key, posting_key),
        "full_name": f"Candidate {n:04d}",
        "email": f"candidate{n}@example.ca",
        "preferred_language": "en",
        "about": "",
        "privacy_notice_version": "2026-11",
        "status": "received",
        "keep_for_future": False,
        "submitted_at": submitted_at or datetime(2026, 6, 1, 12, tzinfo=UTC) + timedelta(seconds=n),
        **fields,
    }
    return Application(
        **values,
        links=[ApplicationLink(position=i, url=url) for i, url in enumerate(links)],
        answers=[
            ScreeningAnswer(
                position=i, question_id=qid, question_label=label, answer=answer, answer_label=answer
            )
            for i, (qid, label, answer) in enumerate(answers)
        ],
        resume=resume
        or Resume(
            filename="cv.pdf",
            media_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            content=PDF,
        ),
    )


def insert(app, *applications: Application) -> list[int]:
    """Store applications; return their ids in the order given."""
    with app.app_context():
        db.session.add_all(applications)
        db.session.commit()
        return [application.id for application in applications]


def fetch(app, application_id: int) -> dict:
    """Return an application's status and history as plain values."""
    with app.app_context():
        found = db.session.get(Application, application_id)
        return {
            "status": found.status,
            "history": [
                (c.from_status, c.to_status, c.reason, c.author.email if c.author else None)
                for c in found.status_changes
            ],
            "notes": [(n.body, n.author.email) for n in found.notes],
        }


def audit_events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        statement = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            statement = statement.where(AuditEvent.action == action)
        events = list(db.session.scalars(statement))
        db.session.expunge_all()
        return events


def service_user(role: str = "admin") -> StaffUser:
    """Add a staff account for service-level tests (no password: nobody signs in)."""
    user = StaffUser(
        email=f"{role}-service@nds.example",
        password_hash="-",
        role=role,
        active=True,
        created_at=datetime.now(UTC),
    )
    db.session.add(user)
    db.session.flush()
    return user


def add_equity(
    app, posting_key: str, groups: list[set[str]], extra_applications: int = 0
) -> list[Application]:
    """Add one application per entry of ``groups`` with that self-identification,
    and some applications that answered nothing."""
    applications = [new_application(posting_key) for _ in range(len(groups) + extra_applications)]
    ids = insert(app, *applications)
    with app.app_context():
        for application_id, chosen in zip(ids, groups):
            db.session.add(
                EquityResponse(
                    application_id=application_id,
                    posting_key=posting_key,
                    **{group: True for group in chosen},
                )
            )
        db.session.commit()
    return applications
