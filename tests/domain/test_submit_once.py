"""One form, one application: the unique submission token finds a form sent
again, whenever it comes, without a query before every submission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.content import Kind, current_index
from portal.domain import applications
from portal.domain.models import Application, OutboxEmail, Resume
from portal.domain.resumes import check_resume
from portal.plumbing.db import db
from tests.conftest import PDF


def submission(token: str) -> applications.Submission:
    return applications.Submission(
        submission_token=token,
        full_name="Ada Tremblay",
        email="ada@example.ca",
        preferred_language="en",
        resume=check_resume("cv.pdf", PDF, 5 * 1024 * 1024),
    )


def submit(posting, token: str, now):
    return applications.submit(
        db.session,
        posting,
        submission(token),
        privacy_notice_version="test",
        posting_titles={"en": posting.title},
        contact_email="jobs@example.ca",
        now=now,
        status_link=lambda lang, token: f"https://example.ca/{lang}/status?token={token}",
    )


def counts() -> tuple[int, int, int]:
    models = (Application, Resume, OutboxEmail)
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in models)


@pytest.fixture
def posting(db_app):
    with db_app.test_request_context("/en/"):
        yield current_index().get(Kind.POSTING, "en", "head-of-product-management")


def test_a_form_sent_again_returns_its_application(db_app, posting):
    before_closing = posting.closing_at - timedelta(days=1)
    first, created = submit(posting, "token-one", before_closing)
    db.session.commit()
    again, created_again = submit(posting, "token-one", before_closing)
    db.session.commit()
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert counts() == (1, 1, 1)


def test_after_the_closing_a_sent_form_is_found_and_a_new_one_refused(db_app, posting):
    first, _created = submit(posting, "token-one", posting.closing_at - timedelta(days=1))
    db.session.commit()
    after_closing = posting.closing_at + timedelta(minutes=1)
    again, created = submit(posting, "token-one", after_closing)
    assert (again.id, created) == (first.id, False)
    with pytest.raises(applications.ApplicationsClosed):
        submit(posting, "token-two", after_closing)
    db.session.rollback()
    assert counts() == (1, 1, 1)
