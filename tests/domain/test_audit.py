"""The audit log as a service: each entry's role and outcome, and the filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.domain import audit
from portal.plumbing.db import db
from tests.records import service_user

NOW = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


def test_the_role_is_the_accounts_role_when_it_happened(db_app):
    with db_app.app_context():
        admin, reviewer = service_user("admin"), service_user("reviewer")
        entries = [
            audit.record(db.session, "sign_in", actor=admin.email, staff_user_id=admin.id),
            audit.record(db.session, "sign_in", actor=reviewer.email, staff_user_id=reviewer.id),
            # The public, a command, an unknown account: no role.
            audit.record(db.session, "csrf_refused"),
            audit.record(db.session, "purge", actor="flask retention purge"),
            audit.record(db.session, "sign_in_failed", actor="nobody@example.com"),
            # Given explicitly, the role wins (a role changed later changes no entry).
            audit.record(db.session, "sign_in", actor=admin.email, staff_user_id=admin.id, role="reviewer"),
        ]
        db.session.flush()
        assert [entry.role for entry in entries] == ["admin", "reviewer", "", "", "", "reviewer"]


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        ("sign_in", "done"),
        ("view_application", "done"),
        ("sign_in_failed", "failed"),
        ("sign_in_refused", "refused"),
        ("access_refused", "refused"),
        ("csrf_refused", "refused"),
    ],
)
def test_each_action_has_its_usual_outcome(db_app, action, outcome):
    with db_app.app_context():
        assert audit.record(db.session, action).outcome == outcome


def test_an_unknown_action_or_outcome_is_refused(db_app):
    with db_app.app_context():
        with pytest.raises(ValueError, match="action"):
            audit.record(db.session, "made_up")
        with pytest.raises(ValueError, match="outcome"):
            audit.record(db.session, "sign_in", outcome="maybe")


def test_every_action_and_outcome_has_a_label():
    assert set(audit.ACTION_LABELS) == set(audit.ACTIONS)
    assert set(audit.DEFAULT_OUTCOMES.values()) <= set(audit.OUTCOMES)
    assert audit.OUTCOMES == ("done", "refused", "failed")


def test_the_log_filters_by_outcome(db_app):
    with db_app.app_context():
        audit.record(db.session, "sign_in", actor="a@nds.example", at=NOW)
        audit.record(db.session, "sign_in_failed", actor="b@nds.example", at=NOW + timedelta(seconds=1))
        audit.record(db.session, "access_refused", actor="c@nds.example", at=NOW + timedelta(seconds=2))
        audit.record(db.session, "csrf_refused", at=NOW + timedelta(seconds=3))
        db.session.flush()

        def actors(**filters):
            page = audit.page(db.session, audit.AuditFilter(**filters), 1)
            return [(event.actor, event.outcome) for event in page.events]

        assert actors(outcome="refused") == [("", "refused"), ("c@nds.example", "refused")]
        assert actors(outcome="failed") == [("b@nds.example", "failed")]
        assert actors(outcome="done") == [("a@nds.example", "done")]
        assert actors(outcome="refused", actor="c@") == [("c@nds.example", "refused")]
        assert len(actors()) == 4
