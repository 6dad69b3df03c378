"""Finding an application across postings as a service: by name, email or a
reference typed any way; limited, counted, audited without the words
searched for. SQLite, and PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.domain import finder
from portal.domain.models import AuditEvent
from portal.plumbing.db import db
from tests.records import DESIGNER, HEAD, PYTHON, new_application, service_user

NOW = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


def search(user, query, **options):
    return finder.search_applications(
        db.session, query, user=user, now=NOW, ip_address="192.0.2.7", **options
    )


@pytest.fixture
def people(db_app):
    """Three applications in three postings, the newest last."""
    with db_app.app_context():
        start = datetime(2026, 6, 1, tzinfo=UTC)
        rows = [
            new_application(
                HEAD,
                full_name="Ada Tremblay",
                email="ada.tremblay@example.ca",
                reference="7KQ4-M9XP-2HTD",
                submitted_at=start,
            ),
            new_application(
                PYTHON,
                full_name="Zoë Ada-Lovelace",
                email="zoe@example.org",
                reference="ABCD-EFGH-JKMN",
                submitted_at=start + timedelta(days=1),
            ),
            new_application(
                DESIGNER,
                full_name="Marc Ouellet",
                email="marc_o@example.com",
                reference="PQRS-TUVW-XYZ2",
                submitted_at=start + timedelta(days=2),
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return {row.full_name: row.id for row in rows}


def found(result):
    return [row.full_name for row in result.rows]


def test_a_name_or_email_part_finds_applications_in_every_posting_newest_first(db_app, people):
    with db_app.app_context():
        user = service_user()
        assert found(search(user, "ada")) == ["Zoë Ada-Lovelace", "Ada Tremblay"]
        assert found(search(user, "  ADA   TREMBLAY ")) == ["Ada Tremblay"]
        assert found(search(user, "EXAMPLE.ORG")) == ["Zoë Ada-Lovelace"]
        # LIKE's wildcards are plain characters.
        assert found(search(user, "marc_o")) == ["Marc Ouellet"]
        assert found(search(user, "a_l")) == []  # not "a-L" in "Ada-Lovelace"
        assert found(search(user, "%")) == []


@pytest.mark.parametrize(
    "typed", ["7KQ4-M9XP-2HTD", "7kq4m9xp2htd", " 7kq4 m9xp 2htd ", "m9xp-2htd", "M9XP2"]
)
def test_a_reference_is_found_however_it_is_typed(db_app, people, typed):
    with db_app.app_context():
        assert found(search(service_user(), typed)) == ["Ada Tremblay"]


def test_results_are_limited_and_the_total_counted(db_app):
    with db_app.app_context():
        db.session.add_all(new_application(HEAD, full_name=f"Sam Roy {n}") for n in range(7))
        db.session.flush()
        user = service_user()
        result = search(user, "sam roy", limit=5)
        assert len(result.rows) == 5 and result.total == 7 and result.more
        whole = search(user, "sam roy 6")
        assert whole.total == 1 and not whole.more


def test_each_search_is_audited_with_its_count_and_never_the_words(db_app, people):
    with db_app.app_context():
        user = service_user()
        search(user, "Ada Tremblay")
        search(user, "nobody")
        assert search(user, "   ") is None  # no search, nothing recorded
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor, e.ip_address, e.detail) for e in events] == [
            ("search_applications", user.email, "192.0.2.7", "matches: 1; listed: 1"),
            ("search_applications", user.email, "192.0.2.7", "matches: 0; listed: 0"),
        ]
        assert all(e.application_id is None and e.posting_key is None for e in events)
        assert not any("ada" in e.detail.lower() or "nobody" in e.detail for e in events)


@pytest.mark.parametrize(
    ("query", "code"),
    [("a" * (finder.MAX_QUERY + 1), "too_long"), ("ada\x00", "unreadable"), ("ada\x1b[2J", "unreadable")],
)
def test_an_odd_search_is_refused_and_not_run(db_app, people, query, code):
    with db_app.app_context():
        with pytest.raises(finder.SearchError) as refused:
            search(service_user(), query)
        assert refused.value.code == code
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_a_search_of_the_longest_length_is_accepted(db_app, people):
    with db_app.app_context():
        assert search(service_user(), "a" * finder.MAX_QUERY).total == 0


def test_only_admins_search_across_postings(db_app, people):
    with db_app.app_context():
        with pytest.raises(finder.SearchError) as refused:
            search(service_user("reviewer"), "ada")
        assert refused.value.code == "not_admin"
