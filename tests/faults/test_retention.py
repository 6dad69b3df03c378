"""Two purges started at the same moment (two cron hosts, or a manual run
beside cron): each application is deleted once, and each purge leaves its
own audit entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.domain.models import Application, AuditEvent, OutboxEmail, PostingClosure, Resume
from portal.plumbing.db import db
from tests.faults.conftest import dispose, flask_command, portal_environment
from tests.records import DESIGNER, HEAD, new_application

pytestmark = pytest.mark.faults

OLD = 150


def test_two_simultaneous_purges_delete_each_application_once(database, tmp_path):
    app = database.app()
    with app.app_context():
        db.session.add(
            PostingClosure(posting_key=DESIGNER, closed_at=datetime.now(UTC) - timedelta(days=5 * 365))
        )
        db.session.add_all(new_application(DESIGNER) for _ in range(OLD))
        db.session.add_all(new_application(HEAD) for _ in range(3))
        db.session.commit()
    dispose(app)

    env = portal_environment(database.url, tmp_path)
    purges = [flask_command(env, "retention", "purge") for _ in range(2)]
    outputs = [purge.communicate(timeout=40)[0] for purge in purges]
    assert [purge.returncode for purge in purges] == [0, 0], outputs

    with app.app_context():
        left = db.session.scalars(select(Application.posting_key)).all()
        assert sorted(left) == [HEAD] * 3, "the open posting's applications stay"
        assert db.session.scalar(select(func.count(Resume.id))) == 3
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
        entries = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "purge")).all()
    dispose(app)
    assert len(entries) == 2, "one audit entry per purge"
    deleted = [int(re.match(r"(\d+) applications deleted", entry).group(1)) for entry in entries]
    assert sorted(deleted) == [0, OLD], "each application deleted, and counted, once"
