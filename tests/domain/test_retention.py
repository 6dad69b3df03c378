"""Retention: deleting applications after their posting closed, through
``flask retention purge``, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import cli as commands
from portal.domain import retention
from portal.domain.models import (
    Application,
    ApplicationLink,
    AuditEvent,
    EquityResponse,
    LegalHold,
    Note,
    OutboxEmail,
    PostingClosure,
    Resume,
    ScreeningAnswer,
    StaffSession,
    StaffUser,
    StatusChange,
)
from portal.plumbing.db import db
from tests.conftest import PDF
from tests.records import HEAD, PYTHON, new_application, service_user

NOW = datetime.now(UTC)
#: Tables holding an application or something attached to it.
ATTACHED = (Resume, ScreeningAnswer, ApplicationLink, Note, StatusChange, EquityResponse, OutboxEmail)
EVERY_TABLE = (Application, *ATTACHED, PostingClosure, AuditEvent, StaffUser, StaffSession)


# 1. Periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("2y", 2, "year"),
        ("18m", 18, "month"),
        ("6w", 6, "week"),
        ("90d", 90, "day"),
        ("1d", 1, "day"),
        (" 3Y ", 3, "year"),
        ("100y", 100, "year"),
    ],
)
def test_parse_period(text, amount, unit):
    period = retention.parse_period(text)
    assert (period.amount, period.unit) == (amount, unit)
    assert str(period) == f"{amount}{unit[0]}"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        # Calendar years: a leap day lands on the 28th of a common year.
        ("1y", "2024-02-29 10:30", "2025-02-28 10:30"),
        ("4y", "2024-02-29 10:30", "2028-02-29 10:30"),
        ("2y", "2023-03-15 00:00", "2025-03-15 00:00"),  # a leap day between changes nothing
        ("2y", "2024-12-31 23:59", "2026-12-31 23:59"),
        # Calendar months, the day capped at the month's last.
        ("1m", "2024-01-31 08:00", "2024-02-29 08:00"),
        ("1m", "2023-01-31 08:00", "2023-02-28 08:00"),
        ("18m", "2024-08-31 08:00", "2026-02-28 08:00"),
        ("12m", "2024-02-29 08:00", "2025-02-28 08:00"),
        ("3m", "2024-11-15 08:00", "2025-02-15 08:00"),
        # Weeks and days are fixed lengths.
        ("6w", "2024-02-20 00:00", "2024-04-02 00:00"),
        ("90d", "2024-01-01 00:00", "2024-03-31 00:00"),
    ],
)
def test_a_period_counts_calendar_years_and_months(period, start, end):
    assert retention.parse_period(period).after(at(start)) == at(end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "2",
        "y",
        "2x",
        "2 years",
        "two years",
        "-2y",
        "1.5y",
        "2y6m",
        "y2",
        "0y",
        "0d",
        "101y",
        "1201m",
        "36526d",
        "99999999999999999999y",
        2,
    ],
)
def test_parse_period_refuses_anything_else(text):
    with pytest.raises(ValueError, match="is not a period"):
        retention.parse_period(text)


# 2. Purging old applications ----------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


#: Postings of the test content: key -> (closing date or None, archived).
POSTINGS = {
    "ancient": (NOW - timedelta(days=1200), False),  # closed over 3 years ago
    "old-closed": (NOW - timedelta(days=1000), False),  # over 2 years, under 3
    "recent-closed": (NOW - timedelta(days=200), False),
    "still-open": (NOW + timedelta(days=60), False),
    "no-deadline": (None, False),  # open, without a deadline
    "archived-role": (None, True),  # closed without a date
}


def write_postings(content_tree) -> None:
    for key, (closing, archived) in POSTINGS.items():
        for lang, folder in (("en", "jobs"), ("fr", "emplois")):
            content_tree(
                f"{lang}/{folder}/{key}.md",
                "\n".join(
                    [
                        "---",
                        "layout: job-posting",
                        f"title: {key} {lang}",
                        f"translationKey: {key}",
                        f"archived: {'true' if archived else 'false'}",
                        *([f"closingDate: '{iso(closing)}'"] if closing else []),
                        "---",
                        "A posting.",
                        "",
                    ]
                ),
            )


@pytest.fixture
def purge_app(make_app, database_url, content_tree):
    """Return a factory of portals (settings as keywords) over the test content
    and one migrated database."""
    write_postings(content_tree)

    def factory(**settings):
        return make_app(
            DATABASE_URL=database_url,
            PORTAL_CONTENT_DIR=str(content_tree.root),
            RATELIMIT_ENABLED=False,
            **settings,
        )

    return factory


_serial = itertools.count(1)


def add_application(app, posting_key: str, *, keep_for_future: bool = False) -> int:
    """Store an application with everything that can hang off one: résumé,
    answer, link, note, status change, equity response and an outbox email."""
    n = next(_serial)
    with app.app_context():
        reviewer = db.session.scalar(select(StaffUser).where(StaffUser.email == "r@nds.example"))
        if reviewer is None:
            reviewer = StaffUser(
                email="r@nds.example", password_hash="-", role="reviewer", active=True, created_at=NOW
            )
            db.session.add(reviewer)
            db.session.flush()
        application = Application(
            reference=f"RET-{n:06d}",
            submission_token=f"retention-{n}",
            posting_key=posting_key,
            posting_lang="en",
            posting_slug=posting_key,
            posting_title=posting_key,
            full_name=f"Candidate {n}",
            email=f"c{n}@example.ca",
            preferred_language="en",
            privacy_notice_version="2026-11",
            status="screening",
            keep_for_future=keep_for_future,
            submitted_at=NOW - timedelta(days=1300),
            resume=Resume(
                filename="cv.pdf",
                media_type="application/pdf",
                size=len(PDF),
                sha256=hashlib.sha256(PDF).hexdigest(),
                content=PDF,
            ),
            answers=[
                ScreeningAnswer(
                    position=0, question_id="q", question_label="Q?", answer="yes", answer_label="Yes"
                )
            ],
            links=[ApplicationLink(position=0, url="https://example.org")],
            notes=[Note(staff_user_id=reviewer.id, body="A note", created_at=NOW)],
            status_changes=[
                StatusChange(
                    from_status="received",
                    to_status="screening",
                    reason="",
                    staff_user_id=reviewer.id,
                    changed_at=NOW,
                )
            ],
        )
        db.session.add(application)
        db.session.flush()
        db.session.add(EquityResponse(application_id=application.id, posting_key=posting_key, woman=True))
        db.session.add(
            OutboxEmail(
                application_id=application.id,
                recipient=application.email,
                language="en",
                subject="Received",
                body_text="Thanks",
                body_html="<p>Thanks</p>",
                created_at=NOW,
            )
        )
        db.session.commit()
        return application.id


def surviving(app, ids) -> dict[str, set[int]]:
    """Return, per table, which of the applications ``ids`` still have rows."""
    ids = list(ids)
    with app.app_context():
        found = {
            "application": set(db.session.scalars(select(Application.id).where(Application.id.in_(ids))))
        }
        for model in ATTACHED:
            found[model.__tablename__] = set(
                db.session.scalars(select(model.application_id).where(model.application_id.in_(ids)))
            )
        return found


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in EVERY_TABLE
        }


def purge(app, *args: str):
    result = app.test_cli_runner().invoke(args=["retention", "purge", *args])
    return result


def summary(result) -> str:
    """Return the line of a purge's output that says what it deleted."""
    return next(line for line in result.stdout.splitlines() if "deleted" in line or "would delete" in line)


def purge_events(app) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")))
        db.session.expunge_all()
        return events


@pytest.fixture
def population(purge_app):
    """One portal with the default periods and applications to every posting;
    returns (app, ids by posting key)."""
    app = purge_app()
    ids = {key: [add_application(app, key)] for key in POSTINGS}
    ids["old-closed"].append(add_application(app, "old-closed"))
    ids["old-closed-consented"] = [add_application(app, "old-closed", keep_for_future=True)]
    ids["ancient-consented"] = [add_application(app, "ancient", keep_for_future=True)]
    return app, ids


def test_a_dry_run_changes_nothing_and_prints_the_counts(population):
    app, _ = population
    before = table_counts(app)
    result = purge(app, "--older-than", "2y", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "ancient: 2" in lines
    assert "old-closed: 2" in lines
    assert not any(line.startswith(("recent-closed", "still-open", "no-deadline")) for line in lines)
    assert lines[-2:] == [
        "would delete 4 applications; 2 belong to open postings",
        "0 under a legal hold (0 of them past their period, kept)",
    ]
    assert table_counts(app) == before
    assert purge_events(app) == []


def test_a_purge_deletes_old_applications_with_everything_attached(population):
    app, ids = population
    doomed = ids["ancient"] + ids["ancient-consented"] + ids["old-closed"]
    result = purge(app, "--older-than", "2y")
    assert result.exit_code == 0, result.output
    assert summary(result) == "deleted 4 applications; 2 belong to open postings"
    assert surviving(app, doomed) == {table: set() for table in surviving(app, [])}


def test_a_purge_keeps_open_recently_closed_and_consented_applications(population):
    app, ids = population
    kept = ids["still-open"] + ids["no-deadline"] + ids["recent-closed"] + ids["old-closed-consented"]
    purge(app, "--older-than", "2y")
    assert surviving(app, kept) == {table: set(kept) for table in surviving(app, [])}
    with app.app_context():
        remaining = db.session.scalar(select(func.count(Application.id)))
    # The archived posting was first seen closed just now: its clock starts today.
    assert remaining == len(kept) + len(ids["archived-role"])


def test_a_purge_leaves_one_audit_entry_with_the_counts(population):
    app, _ = population
    purge(app, "--older-than", "2y")
    (event,) = purge_events(app)
    assert event.actor == "flask retention purge"
    assert event.detail.startswith("4 applications deleted")
    assert "ancient=2" in event.detail and "old-closed=2" in event.detail
    assert "period 2y, consented 3y" in event.detail
    assert (event.role, event.outcome, event.staff_user_id) == ("", "done", None)
    assert event.at is not None


def test_the_period_defaults_to_the_setting_and_older_than_overrides_it(purge_app):
    app = purge_app(PORTAL_RETENTION_PERIOD="3y")
    old, recent = add_application(app, "old-closed"), add_application(app, "recent-closed")
    assert summary(purge(app)).startswith("deleted 0 applications")
    assert summary(purge(app, "--older-than", "180d")).startswith("deleted 2 applications")
    assert surviving(app, [old, recent])["application"] == set()


@pytest.mark.parametrize(("consented", "kept"), [("3y", True), ("30m", False), ("40m", True)])
def test_consented_applications_follow_their_own_period(purge_app, consented, kept):
    app = purge_app(PORTAL_RETENTION_CONSENTED_PERIOD=consented)
    consenting = add_application(app, "old-closed", keep_for_future=True)  # closed 1,000 days ago
    other = add_application(app, "old-closed")
    result = purge(app, "--older-than", "2y")
    assert result.exit_code == 0, result.output
    assert surviving(app, [consenting, other])["application"] == ({consenting} if kept else set())


def test_the_consented_period_can_come_from_the_environment(purge_app, monkeypatch):
    monkeypatch.setenv("PORTAL_RETENTION_CONSENTED_PERIOD", "30m")
    app = purge_app()
    consenting = add_application(app, "old-closed", keep_for_future=True)
    purge(app, "--older-than", "2y")
    assert surviving(app, [consenting])["application"] == set()


@pytest.mark.parametrize("args", [["--older-than", "two years"], ["--older-than", "0.5y"]])
def test_a_wrong_period_is_refused_and_nothing_changes(population, args):
    app, _ = population
    before = table_counts(app)
    result = purge(app, *args)
    assert result.exit_code == 2
    assert "is not a period" in result.stderr
    assert table_counts(app) == before


def test_an_archived_posting_is_purged_from_when_it_was_first_seen_closed(db_app):
    """The bundled "service-designer" is archived without a closing date."""
    keep_open, designer = (
        add_application(db_app, "head-product-management"),
        add_application(db_app, "service-designer"),
    )
    assert purge(db_app, "--older-than", "2y").exit_code == 0
    with db_app.app_context():
        closure = db.session.get(PostingClosure, "service-designer")
        assert closure is not None and NOW <= closure.closed_at <= datetime.now(UTC)
        assert db.session.get(PostingClosure, "head-product-management") is None
        # As if that first sighting had been three years ago.
        closure.closed_at = NOW - timedelta(days=3 * 365)
        db.session.commit()
    assert surviving(db_app, [keep_open, designer])["application"] == {keep_open, designer}
    assert purge(db_app, "--older-than", "2y").exit_code == 0
    assert surviving(db_app, [keep_open, designer])["application"] == {keep_open}


def test_a_dry_run_does_not_start_the_clock_of_an_archived_posting(purge_app):
    app = purge_app()
    add_application(app, "archived-role")
    purge(app, "--dry-run")
    with app.app_context():
        assert db.session.get(PostingClosure, "archived-role") is None


def test_a_reopened_posting_starts_its_clock_at_its_new_closing_date(purge_app):
    app = purge_app()
    application_id = add_application(app, "recent-closed")  # closed 200 days ago
    with app.app_context():
        # Seen closed once before, three years ago, then reopened with a new date.
        db.session.add(PostingClosure(posting_key="recent-closed", closed_at=NOW - timedelta(days=1100)))
        db.session.commit()
    purge(app, "--older-than", "2y")
    assert surviving(app, [application_id])["application"] == {application_id}


# 3. The clock starts at the later of closing and last use -----------------------


def set_last_use(app, application_id: int, moment: datetime | None) -> None:
    with app.app_context():
        db.session.get(Application, application_id).last_used_at = moment
        db.session.commit()


@pytest.mark.parametrize(
    ("last_used_days_ago", "kept"),
    [
        (None, False),  # never used: the posting's closing (1,000 days ago) starts the clock
        (1300, False),  # used before the posting closed: the closing is later
        (800, False),  # used after closing, but over two years ago
        (700, True),  # used after closing, under two years ago
        (1, True),
    ],
)
def test_the_clock_starts_at_the_later_of_closing_and_last_use(purge_app, last_used_days_ago, kept):
    app = purge_app()
    application_id = add_application(app, "old-closed")  # closed 1,000 days ago
    if last_used_days_ago is not None:
        set_last_use(app, application_id, NOW - timedelta(days=last_used_days_ago))
    result = purge(app, "--older-than", "2y")
    assert result.exit_code == 0, result.output
    assert surviving(app, [application_id])["application"] == ({application_id} if kept else set())


def test_a_recent_use_keeps_a_consenting_candidate_for_their_own_period(purge_app):
    app = purge_app()
    application_id = add_application(app, "ancient", keep_for_future=True)  # closed 1,200 days ago
    set_last_use(app, application_id, NOW - timedelta(days=1000))  # under 3 years ago
    purge(app, "--older-than", "2y")
    assert surviving(app, [application_id])["application"] == {application_id}


# 4. Legal holds -------------------------------------------------------------------


def add_hold(app, *, application_id: int | None = None, posting_key: str | None = None) -> int:
    with app.app_context():
        hold = LegalHold(
            application_id=application_id,
            posting_key=posting_key,
            reason="Access request A-2026-0042",
            placed_at=NOW,
            placed_by="admin@nds.example",
        )
        db.session.add(hold)
        db.session.commit()
        return hold.id


def test_held_applications_are_never_purged_and_the_dry_run_counts_them(population):
    app, ids = population
    add_hold(app, application_id=ids["ancient"][0])
    add_hold(app, posting_key="old-closed")  # three applications, two past their period
    add_hold(app, application_id=ids["recent-closed"][0])  # held, but not due anyway
    before = table_counts(app)

    dry = purge(app, "--older-than", "2y", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines()[-2:] == [
        "would delete 1 applications; 2 belong to open postings",
        "5 under a legal hold (3 of them past their period, kept)",
    ]
    assert "ancient: 1" in dry.stdout.splitlines()
    assert table_counts(app) == before

    result = purge(app, "--older-than", "2y")
    assert summary(result) == "deleted 1 applications; 2 belong to open postings"
    held = ids["ancient"] + ids["old-closed"] + ids["old-closed-consented"] + ids["recent-closed"]
    assert surviving(app, held)["application"] == set(held)
    assert surviving(app, ids["ancient-consented"])["application"] == set()
    (event,) = purge_events(app)
    assert "3 past their period kept under a legal hold" in event.detail


def test_a_released_hold_lets_the_next_purge_delete(population):
    app, ids = population
    hold_id = add_hold(app, posting_key="old-closed")
    purge(app, "--older-than", "2y")
    assert surviving(app, ids["old-closed"])["application"] == set(ids["old-closed"])
    with app.app_context():
        db.session.delete(db.session.get(LegalHold, hold_id))
        db.session.commit()
    purge(app, "--older-than", "2y")
    assert surviving(app, ids["old-closed"])["application"] == set()


def test_only_an_admin_places_or_releases_a_hold_with_a_reason(db_app):
    with db_app.app_context():
        admin, reviewer = service_user("admin"), service_user("reviewer")
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        for user, reason, code in (
            (reviewer, "Complaint", "not_allowed"),
            (admin, "  \n ", "reason_required"),
        ):
            with pytest.raises(retention.HoldError) as refused:
                retention.place_hold(db.session, reason=reason, user=user, now=NOW, application=application)
            assert refused.value.code == code
        hold = retention.place_hold(
            db.session,
            reason=" Complaint\nC-12 ",
            user=admin,
            now=NOW,
            ip_address="192.0.2.1",
            posting_key=HEAD,
        )
        assert (hold.reason, hold.posting_key, hold.application_id, hold.placed_by) == (
            "Complaint C-12",
            HEAD,
            None,
            admin.email,
        )
        assert retention.holds_on_application(db.session, application) == [hold]
        assert retention.held_application_ids(db.session) == {application.id}
        with pytest.raises(retention.HoldError):
            retention.release_hold(db.session, hold.id, user=reviewer, now=NOW, posting_key=HEAD)
        # Released only from where it was placed.
        assert (
            retention.release_hold(db.session, hold.id, user=admin, now=NOW, application=application) is None
        )
        assert retention.release_hold(db.session, hold.id, user=admin, now=NOW, posting_key=PYTHON) is None
        assert retention.release_hold(db.session, hold.id, user=admin, now=NOW, posting_key=HEAD) is hold
        assert retention.holds_on_application(db.session, application) == []
        events = [
            (e.action, e.actor, e.role, e.outcome, e.posting_key, e.ip_address, e.detail)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
        placed = f"hold {hold.id} placed {NOW:%Y-%m-%d} by {admin.email}: Complaint C-12"
        assert events == [
            ("place_legal_hold", admin.email, "admin", "done", HEAD, "192.0.2.1", placed),
            ("release_legal_hold", admin.email, "admin", "done", HEAD, "", placed),
        ]


def test_a_purge_tells_its_progress_to_the_terminal_bar(population, monkeypatch):
    """The command hands purge the terminal's progress bar (drawn only on a
    terminal: tests/test_cli.py); purge tells it each batch deleted."""
    app, _ = population
    told = []

    @contextmanager
    def recording(label):
        told.append(label)
        yield lambda done, total: told.append((done, total))

    monkeypatch.setattr(commands, "_progress", recording)
    result = purge(app, "--older-than", "2y")
    assert result.exit_code == 0, result.output
    assert told == ["Deleting old applications", (4, 4)]
