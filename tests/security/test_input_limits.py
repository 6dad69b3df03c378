"""Input limits everywhere: nothing over a cap of portal.domain.limits reaches
the database (where PostgreSQL would refuse it with a 500), and odd staff
filters (impossible dates, control characters, huge or repeated parameters)
never give a 500.

The application form's caps, field by field in both languages, are in
tests/web/apply/test_limits.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from babel.numbers import format_decimal
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.content import current_index
from portal.domain import applications, limits
from portal.domain.applications import Answer, Submission, TooLong
from portal.domain.models import Application, AuditEvent, Note, OutboxEmail, StatusChange
from portal.domain.resumes import check_resume
from portal.plumbing.db import db
from tests.conftest import PDF, form_tokens_csrf, sign_in

HEAD = "head-product-management"
POSTING = {"en": f"/en/staff/postings/{HEAD}/", "fr": f"/fr/personnel/offres/{HEAD}/"}
LOCALE = {"en": "en_CA", "fr": "fr_CA"}


def status_link(lang: str, token: str) -> str:
    """Build a status link as the apply blueprint does (the service needs one)."""
    return f"https://careers.example/{lang}/application-status?token={token}"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def too_long_message(lang: str, limit: int, length: int) -> str:
    limit_text, length_text = (format_decimal(n, locale=LOCALE[lang]) for n in (limit, length))
    return {
        "en": f"Use {limit_text} characters or fewer (you used {length_text})",
        "fr": f"Utilisez au plus {limit_text} caractères (vous en avez utilisé {length_text})",
    }[lang]


# The service: the last guard before the database -----------------------------


def submission(posting, **changes) -> Submission:
    question = posting.questions[2]
    base = Submission(
        submission_token="t" * 43,
        full_name="Ada Tremblay",
        email="ada@example.ca",
        preferred_language="en",
        resume=check_resume("cv.pdf", PDF, 10_000),
        links=("https://example.org/",),
        answers=(Answer(question, "An answer", "An answer"),),
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("submission_token", "t" * 65),
        ("full_name", "x" * (limits.FULL_NAME + 1)),
        ("email", "a" * limits.EMAIL + "@example.ca"),
        ("phone", "6" * (limits.PHONE + 1)),
        ("pronouns", "x" * (limits.PRONOUNS + 1)),
        ("preferred_language", "e" * 11),
        ("about", "x" * (limits.ABOUT + 1)),
        ("accommodation", "x" * (limits.ACCOMMODATION + 1)),
        ("links", ("https://example.org/", "https://example.org/" + "a" * limits.LINK)),
        ("answers", "long answer"),
    ],
)
def test_the_service_refuses_anything_over_a_cap_and_stores_nothing(db_app, field, value):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db_app.test_request_context():
        posting = current_index().posting(HEAD, "en")
        if field == "answers":
            value = (Answer(posting.questions[2], "x" * (limits.TEXT_ANSWER + 1), "x"),)
        with pytest.raises(TooLong) as refused:
            applications.submit(
                db.session,
                posting,
                submission(posting, **{field: value}),
                privacy_notice_version="1",
                posting_titles={},
                contact_email="careers@nds-snn.example",
                now=now,
                status_link=status_link,
            )
        assert refused.value.field.split("[")[0] == field
        db.session.commit()
    assert count(db_app, Application) == 0 and count(db_app, OutboxEmail) == 0


def test_the_service_stores_values_at_their_caps(db_app):
    """On PostgreSQL this proves every column is as wide as its cap."""
    with db_app.test_request_context():
        posting = current_index().posting(HEAD, "en")
        full = submission(
            posting,
            full_name="x" * limits.FULL_NAME,
            phone="6" * limits.PHONE,
            pronouns="x" * limits.PRONOUNS,
            about="x" * limits.ABOUT,
            accommodation="x" * limits.ACCOMMODATION,
            links=("https://example.org/" + "a" * (limits.LINK - 20),),
            answers=(Answer(posting.questions[2], "x" * limits.TEXT_ANSWER, "x"),),
        )
        applications.submit(
            db.session,
            posting,
            full,
            privacy_notice_version="1",
            posting_titles={},
            contact_email="careers@nds-snn.example",
            now=datetime(2026, 6, 1, tzinfo=UTC),
            status_link=status_link,
        )
        db.session.commit()
    assert count(db_app, Application) == 1


# Staff forms ------------------------------------------------------------------


def error_text(response) -> list[str]:
    soup = BeautifulSoup(response.get_data(as_text=True), "lxml")
    return [p.get_text(" ", strip=True).split(" ", 1)[1] for p in soup.select("p.error-message")]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_note_over_its_cap_is_refused_beside_the_field(db_app, staff, submitted, lang):
    client = staff.client(staff.assigned)
    url = f"/{lang}/{'staff' if lang == 'en' else 'personnel'}/"
    url += f"{'applications' if lang == 'en' else 'candidatures'}/{submitted[HEAD]}/"
    token = form_tokens_csrf(client.get(url).get_data(as_text=True))
    response = client.post(url + "notes", data={"csrf_token": token, "body": "n" * (limits.NOTE + 1)})
    assert response.status_code == 200
    assert too_long_message(lang, limits.NOTE, limits.NOTE + 1) in error_text(response)
    assert count(db_app, Note) == 0


def test_a_decision_reason_over_its_cap_is_refused_and_nothing_moves(db_app, staff, submitted):
    client = staff.client(staff.assigned)
    url = f"/en/staff/applications/{submitted[HEAD]}/"
    token = form_tokens_csrf(client.get(url).get_data(as_text=True))
    reason = "r" * (limits.DECISION_REASON + 1)
    response = client.post(url + "status", data={"csrf_token": token, "status": "rejected", "reason": reason})
    assert response.status_code == 200
    assert too_long_message("en", limits.DECISION_REASON, limits.DECISION_REASON + 1) in error_text(response)
    assert count(db_app, StatusChange) == 0


def test_a_bulk_reason_over_its_cap_is_refused_and_nothing_moves(db_app, staff, submitted):
    client = staff.client(staff.assigned)
    token = form_tokens_csrf(client.get(POSTING["en"]).get_data(as_text=True))
    response = client.post(
        POSTING["en"] + "status",
        data={
            "csrf_token": token,
            "status": "rejected",
            "reason": "r" * (limits.DECISION_REASON + 1),
            "selected": str(submitted[HEAD]),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert too_long_message("en", limits.DECISION_REASON, limits.DECISION_REASON + 1) in response.get_data(
        as_text=True
    )
    assert count(db_app, StatusChange) == 0


# Staff filters ----------------------------------------------------------------

ODD_FILTERS = {
    "month 13, day 45": {"submitted_from": "2026-13-45"},
    "year 0": {"submitted_from": "0000-01-01", "submitted_to": "0000-12-31"},
    "year 10^20": {"submitted_to": "100000000000000000000-01-01"},
    "last day of year 9999": {"submitted_to": "9999-12-31"},
    "first day of year 1": {"submitted_from": "0001-01-01"},
    "NUL": {"submitted_from": "2026-01-01\x00", "q": "\x00"},
    "CR/LF": {"q": "Ada\r\nSet-Cookie: x=1", "submitted_to": "2026-01-01\r\n"},
    "unknown status and sort": {"status": "'; DROP TABLE application;--", "sort": "id desc"},
    "a huge search": {"q": "x" * 100_000},
    "LIKE wildcards": {"q": "%_\\"},
}


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("case", list(ODD_FILTERS))
def test_odd_filters_give_the_list_never_an_error(db_app, staff, submitted, case, lang):
    response = staff.client(staff.admin).get(POSTING[lang], query_string=ODD_FILTERS[case])
    assert response.status_code == 200
    assert "Set-Cookie: x=1" not in str(response.headers)


@pytest.mark.parametrize(
    ("lang", "message"),
    [("en", "Enter a date like 2026-03-31"), ("fr", "Entrez une date sous la forme 2026-03-31")],
)
def test_an_impossible_date_gets_a_message_and_is_left_out(db_app, staff, submitted, lang, message):
    response = staff.client(staff.admin).get(
        POSTING[lang], query_string={"submitted_from": "2026-13-45", "submitted_to": "0000-01-01"}
    )
    assert error_text(response) == [message, message]
    assert "Ada Tremblay" in response.get_data(as_text=True), "the other filters still apply"


def test_a_search_over_its_cap_gets_a_message(db_app, staff, submitted):
    response = staff.client(staff.admin).get(POSTING["en"], query_string={"q": "x" * (limits.EMAIL + 1)})
    assert error_text(response) == [too_long_message("en", limits.EMAIL, limits.EMAIL + 1)]


def test_repeated_filter_parameters_never_fail(db_app, staff, submitted):
    query = "&".join(
        ["status=received", "status=zz", "q=a", "q=b", "sort=name", "sort=oldest"]
        + ["submitted_from=2026-01-01"] * 50
        + ["cursor=x"] * 50
    )
    response = staff.client(staff.admin).get(f"{POSTING['en']}?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"since": "9999-12-31", "until": "9999-12-31"},
        {"since": "0001-01-01", "until": "0000-00-00"},
        {"since": "2026-13-45", "until": "100000000000000000000-01-01"},
        {"page": str(10**20), "application": str(10**30), "actor": "x" * 10_000},
        {"action": "\x00", "actor": "\r\n", "page": "-5"},
    ],
)
def test_odd_audit_filters_never_fail(db_app, staff, query):
    response = staff.client(staff.admin).get("/en/staff/audit/", query_string=query)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"submitted_from": "2026-13-45", "status": "zz"},
        {"submitted_to": "9999-12-31", "sort": "\x00"},
        {"q": "x" * 100_000},
    ],
)
def test_odd_export_options_never_fail(db_app, staff, submitted, query):
    response = staff.client(staff.admin).get(POSTING["en"] + "export.csv", query_string=query, buffered=True)
    assert response.status_code == 200
    with db_app.app_context():
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "export_csv")
        ).all() == ["export_csv"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_password_over_its_cap_is_refused_before_it_is_hashed(db_app, staff, lang):
    """A megabyte "password" is never hashed: the form refuses it, and no sign-in is attempted."""
    response = sign_in(db_app.test_client(), staff.admin, "p" * 1_000_000, lang)
    assert response.status_code == 200
    assert error_text(response) == [too_long_message(lang, limits.PASSWORD, 1_000_000)]
    with db_app.app_context():
        attempts = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action.in_(["sign_in", "sign_in_failed"]))
        )
    assert attempts == 0
