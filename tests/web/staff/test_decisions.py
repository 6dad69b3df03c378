"""Decision emails and staff messages through the staff pages: the preview
shows exactly what the candidate receives (from the real SMTP server), in the
candidate's language whatever the reviewer's; bulk moves send one email each;
the reason stays out unless ticked; messages are kept in the history.
Every test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.domain.models import ApplicationMessage, OutboxEmail, StatusChange
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf, parse_page
from tests.records import HEAD, TITLES, audit_events, fetch, insert, new_application

REASON = "Fewer than five years leading product teams."
STATUS_WORDS = {"en": "Rejected", "fr": "Refusée"}


def app_url(application_id: int, lang: str = "en", tail: str = "") -> str:
    base = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}[lang]
    return f"{base}/{application_id}/{tail}"


def posting_url(lang: str = "en", tail: str = "") -> str:
    base = {"en": "/en/staff/postings", "fr": "/fr/personnel/offres"}[lang]
    return f"{base}/{HEAD}/{tail}"


@pytest.fixture
def mailed(db_app, smtp_server):
    """Send each request's emails to the real SMTP server of the test."""
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    return smtp_server


def post_from(client, page_url: str, action: str, data: dict, **options):
    token = form_tokens_csrf(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data}, **options)


def preview_of(response) -> dict:
    """Return what a preview page shows, and the form that confirms it."""
    soup = parse_page(response).soup
    ids = [element["id"] for element in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "every id once"
    assert soup.find("iframe", id="email-html")["sandbox"] in ("", []), "the HTML runs nothing"
    form = soup.find("input", attrs={"name": "confirmed"}).find_parent("form")
    fields: dict[str, list[str]] = {}
    for field in form.find_all("input"):
        fields.setdefault(field["name"], []).append(field.get("value", ""))
    return {
        "subject": soup.find(id="email-subject").get_text(),
        "text": soup.find(id="email-text").get_text(),
        "html": soup.find(id="email-html")["srcdoc"],
        "action": form["action"],
        "fields": fields,
        "soup": soup,
    }


def parts(message) -> tuple[str, str]:
    """Return the plain text and HTML of an email as received."""
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    return text, html


def test_the_status_form_offers_the_email_ticked_and_the_reason_unticked(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    soup = parse_page(staff.client(staff.admin).get(app_url(application_id))).soup
    ids = [element["id"] for element in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "every id once"
    assert soup.find("input", id="send_email").has_attr("checked")
    assert not soup.find("input", id="include_reason").has_attr("checked")
    # The address stays visible; staff write from the page, not from a mailto link.
    assert not soup.select('a[href^="mailto:"]')
    assert soup.find("form", action=app_url(application_id, tail="messages"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_rejection_is_previewed_then_sent_in_the_candidates_language(db_app, staff, mailed, lang):
    """The reviewer reads English or French; the French candidate gets French."""
    (application_id,) = insert(
        db_app,
        new_application(HEAD, preferred_language="fr", full_name="Ada Tremblay", email="ada@example.ca"),
    )
    client = staff.client(staff.assigned)
    choices = {
        "status": "rejected",
        "reason": REASON,
        "send_email": "y",
        "message": "Merci de votre intérêt.",
    }
    preview = preview_of(
        post_from(client, app_url(application_id, lang), app_url(application_id, lang, "status"), choices)
    )
    # Nothing happens before the reviewer confirms.
    assert fetch(db_app, application_id)["status"] == "received" and not mailed.messages
    assert preview["soup"].find("html")["lang"] == lang
    assert "Votre candidature" in preview["subject"] and "TEST-" in preview["subject"]
    assert REASON not in preview["text"] and REASON not in preview["html"]
    assert "Merci de votre intérêt." in preview["text"]

    response = client.post(preview["action"], data=preview["fields"])
    assert response.status_code == 302
    response.close()  # the emails leave once the response is sent
    assert fetch(db_app, application_id)["status"] == "rejected"
    (message,) = mailed.received()
    text, html = parts(message)
    assert message["Subject"].strip() == preview["subject"]
    assert text.rstrip() == preview["text"].rstrip()
    assert html.rstrip() == preview["html"].rstrip()
    assert message["To"] == "ada@example.ca" and message["Content-Language"] == "fr"
    assert TITLES["fr"][HEAD] in text and "ne donnera pas suite" in text
    assert REASON not in text + html, "the record of decision stays out by default"
    assert [event.detail for event in audit_events(db_app, "send_decision_email")] == [
        "decision_not_selected"
    ]


def test_the_reason_goes_into_the_email_only_when_ticked(db_app, staff, mailed):
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client(staff.admin)
    choices = {"status": "rejected", "reason": REASON, "send_email": "y", "include_reason": "y"}
    preview = preview_of(
        post_from(client, app_url(application_id), app_url(application_id, tail="status"), choices)
    )
    assert REASON in preview["text"]
    client.post(preview["action"], data=preview["fields"]).close()
    (message,) = mailed.received()
    assert "The reason for this decision:" in parts(message)[0] and REASON in parts(message)[0]


def test_going_back_from_the_preview_keeps_the_choices_and_changes_nothing(db_app, staff, mailed):
    (application_id,) = insert(db_app, new_application(HEAD, status="interview"))
    client = staff.client(staff.admin)
    choices = {"status": "offer", "send_email": "y", "message": "Bienvenue."}
    preview = preview_of(
        post_from(client, app_url(application_id), app_url(application_id, tail="status"), choices)
    )
    assert "A job offer" in preview["subject"]
    page = parse_page(client.post(preview["action"], data={**preview["fields"], "edit": "yes"}))
    assert page.soup.find("textarea", id="message").get_text().strip() == "Bienvenue."
    assert fetch(db_app, application_id)["status"] == "interview" and not mailed.messages


def test_a_move_without_the_email_ticked_sends_nothing(db_app, staff, mailed):
    (application_id,) = insert(db_app, new_application(HEAD, status="screening"))
    client = staff.client(staff.admin)
    response = post_from(
        client, app_url(application_id), app_url(application_id, tail="status"), {"status": "interview"}
    )
    assert response.status_code == 302
    assert fetch(db_app, application_id)["status"] == "interview"
    with db_app.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []


def test_a_move_that_has_no_decision_email_needs_no_preview(db_app, staff, mailed):
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client(staff.admin)
    response = post_from(
        client,
        app_url(application_id),
        app_url(application_id, tail="status"),
        {"status": "screening", "send_email": "y"},
    )
    assert response.status_code == 302 and fetch(db_app, application_id)["status"] == "screening"
    assert not mailed.messages


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_bulk_move_sends_one_email_to_each_candidate_moved(db_app, staff, mailed, lang):
    english, french, hired = insert(
        db_app,
        new_application(HEAD, status="screening", email="en@example.ca"),
        new_application(HEAD, status="screening", email="fr@example.ca", preferred_language="fr"),
        new_application(HEAD, status="hired", email="hired@example.ca"),
    )
    client = staff.client(staff.admin)
    choices = {"selected": [str(english), str(french), str(hired)], "status": "interview", "send_email": "y"}
    preview = preview_of(post_from(client, posting_url(lang), posting_url(lang, "status"), choices))
    assert preview["fields"]["selected"] == [str(english), str(french), str(hired)]
    assert not mailed.messages and fetch(db_app, english)["status"] == "screening"

    response = client.post(preview["action"], data=preview["fields"], follow_redirects=True)
    assert response.status_code == 200
    received = {message["To"]: message for message in mailed.received()}
    assert sorted(received) == ["en@example.ca", "fr@example.ca"], "one each, none to the one not moved"
    assert received["en@example.ca"]["Subject"].strip() == preview["subject"]
    assert "invited to an interview" in parts(received["en@example.ca"])[0]
    assert "invitée ou invité à une entrevue" in parts(received["fr@example.ca"])[0]
    assert TITLES["fr"][HEAD] in received["fr@example.ca"]["Subject"]
    assert fetch(db_app, hired)["status"] == "hired"


def test_an_application_withdrawn_by_its_candidate_gets_no_decision_email(db_app, staff, mailed):
    (application_id,) = insert(db_app, new_application(HEAD, status="withdrawn"))
    with db_app.app_context():
        db.session.add(
            StatusChange(
                application_id=application_id,
                from_status="received",
                to_status="withdrawn",
                reason="",
                staff_user_id=None,
                by_candidate=True,
                changed_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    client = staff.client(staff.admin)
    response = post_from(
        client,
        app_url(application_id),
        app_url(application_id, tail="status"),
        {"status": "rejected", "reason": REASON, "send_email": "y", "confirmed": "yes"},
    )
    assert response.status_code == 200
    assert fetch(db_app, application_id)["status"] == "withdrawn"
    response = post_from(
        client,
        posting_url(),
        posting_url(tail="status"),
        {"selected": [str(application_id)], "status": "rejected", "reason": REASON, "send_email": "y"},
        follow_redirects=True,
    )
    assert "0 moved" in response.get_data(as_text=True)
    assert not mailed.messages


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_staff_message_is_sent_and_kept_in_the_history(db_app, staff, mailed, lang):
    (application_id,) = insert(
        db_app,
        new_application(HEAD, preferred_language="fr", email="ada@example.ca", reference="ABCD-EFGH-JKLM"),
    )
    client = staff.client(staff.assigned)
    response = post_from(
        client,
        app_url(application_id, lang),
        app_url(application_id, lang, "messages"),
        {"message-subject": "Votre entrevue de mardi", "message-body": "Apportez une pièce d’identité."},
    )
    assert response.status_code == 302 and response.location.endswith("#messages")
    response.close()
    (message,) = mailed.received()
    assert message["Subject"] == "Votre entrevue de mardi (ABCD-EFGH-JKLM)"
    text, html = parts(message)
    assert "Apportez une pièce d’identité." in text and "Apportez une pièce d’identité." in html
    assert "Ce message concerne votre candidature" in text

    history = parse_page(client.get(app_url(application_id, lang)), lang=lang).soup.find(id="messages")
    listed = history.find_next("ol").get_text(" ", strip=True)
    assert staff.assigned in listed and "Apportez une pièce d’identité." in listed
    assert "Votre entrevue de mardi (ABCD-EFGH-JKLM)" in listed
    assert {"en": "sent", "fr": "envoyé"}[lang] in listed
    assert len(audit_events(db_app, "send_message")) == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"message-body": "  "}, "Write the message"),
        ({"message-body": "x" * 5001}, "Use 5,000 characters or fewer"),
        ({"message-subject": "s" * 201, "message-body": "Hello"}, "Use 200 characters or fewer"),
    ],
)
def test_a_staff_message_needs_a_body_within_the_limits(db_app, staff, mailed, data, error):
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client(staff.admin)
    response = post_from(client, app_url(application_id), app_url(application_id, tail="messages"), data)
    assert error in response.get_data(as_text=True)
    with db_app.app_context():
        assert db.session.scalars(select(ApplicationMessage)).all() == []
    assert not mailed.messages
