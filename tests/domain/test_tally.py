"""The tally of applications per posting and status that the database keeps
(migration 0011): it always says what counting the rows would say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import accounts, review
from portal.domain.models import Application, ApplicationTally
from portal.plumbing.db import db
from tests.records import HEAD, PYTHON, insert, new_application


def counted(session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Application.posting_key, Application.status, func.count()).group_by(
            Application.posting_key, Application.status
        )
    )
    return {(key, str(status)): number for key, status, number in rows}


def tallied(session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(ApplicationTally.posting_key, ApplicationTally.status, ApplicationTally.count)
    )
    return {(key, str(status)): number for key, status, number in rows if number}


def assert_tally_is_true(app) -> None:
    with app.app_context():
        session = db.session
        assert tallied(session) == counted(session)
        for key in (HEAD, PYTHON):
            for status in ("", "received", "screening", "rejected"):
                filters = review.ApplicationFilter(status=status)
                expected = session.scalar(
                    select(func.count()).select_from(review.filtered(key, filters).subquery())
                )
                assert review.matching_count(session, key, filters) == expected
        session.rollback()


def test_the_tally_follows_inserts_moves_and_deletions(db_app, staff):
    ids = insert(
        db_app,
        *(new_application(HEAD) for _ in range(6)),
        *(new_application(PYTHON, status="screening") for _ in range(3)),
    )
    assert_tally_is_true(db_app)
    now = datetime.now(UTC)
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        review.change_status(
            db.session, db.session.get(Application, ids[0]), "screening", reason="", user=admin, now=now
        )
        review.bulk_change_status(db.session, HEAD, ids[1:4], "screening", reason="", user=admin, now=now)
        db.session.commit()
    assert_tally_is_true(db_app)
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        review.bulk_change_status(
            db.session, HEAD, ids[1:3], "rejected", reason="Not a fit.", user=admin, now=now
        )
        db.session.delete(db.session.get(Application, ids[5]))
        db.session.execute(delete(Application).where(Application.id == ids[6]))
        db.session.execute(update(Application).where(Application.id == ids[7]).values(posting_key=HEAD))
        db.session.commit()
    assert_tally_is_true(db_app)


def test_work_undone_leaves_the_tally_as_it_was(db_app):
    (first,) = insert(db_app, new_application(HEAD, submission_token="same-form"))
    with db_app.app_context():
        # A form sent twice: the second insert collides in its savepoint.
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(new_application(HEAD, submission_token="same-form"))
            db.session.flush()
        db.session.add(new_application(HEAD))
        db.session.commit()
        # A request that failed: everything it wrote is rolled back.
        db.session.add(new_application(PYTHON))
        db.session.execute(update(Application).where(Application.id == first).values(status="screening"))
        db.session.flush()
        db.session.rollback()
    assert_tally_is_true(db_app)
    with db_app.app_context():
        assert review.status_counts(db.session, {HEAD, PYTHON}) == {HEAD: {"received": 2}}


def test_the_dashboard_counts_come_from_the_tally(db_app):
    insert(db_app, *(new_application(HEAD) for _ in range(2)), new_application(PYTHON, status="screening"))
    with db_app.app_context():
        assert review.status_counts(db.session, None) == {HEAD: {"received": 2}, PYTHON: {"screening": 1}}
        assert review.status_counts(db.session, {PYTHON}) == {PYTHON: {"screening": 1}}
