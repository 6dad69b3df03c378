"""The candidate's status page, "lost your link?" and withdrawal, through
HTTP in both languages, with the emails received by a real SMTP server: the
link in the confirmation email opens the status page on another client; a
new link revokes the old and a stranger learns nothing; a withdrawal is
confirmed, final, shown to staff and audited. On SQLite, and PostgreSQL when
configured."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.domain.models import Application, StatusChange
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf, parse_page
from tests.records import audit_events, fetch
from tests.web.apply.test_form import FORM

OTHER = {"en": "fr", "fr": "en"}
STATUS_PATH = {"en": "/en/application-status", "fr": "/fr/etat-de-la-candidature"}
LOST = {"en": "/en/application-status/lost-link", "fr": "/fr/etat-de-la-candidature/lien-perdu"}
WITHDRAW = {"en": "/en/application-status/withdraw", "fr": "/fr/etat-de-la-candidature/retirer"}
HEADINGS = {
    "status": {"en": "Your application", "fr": "Votre candidature"},
    "withdraw": {"en": "Withdraw your application?", "fr": "Retirer votre candidature?"},
    "lost": {
        "en": "Get the link to your application again",
        "fr": "Obtenir de nouveau le lien vers votre candidature",
    },
    "sent": {"en": "Check your email", "fr": "Consultez vos courriels"},
    "unknown": {"en": "This link does not work", "fr": "Ce lien ne fonctionne pas"},
    "revoked": {"en": "This link has been replaced", "fr": "Ce lien a été remplacé"},
}
WORDS = {
    "received": {"en": "Received", "fr": "Reçue"},
    "under review": {"en": "Under review", "fr": "En cours d’examen"},
    "withdrawn": {"en": "Withdrawn", "fr": "Retirée"},
    "withdrawn subject": {"en": "Your application is withdrawn", "fr": "Votre candidature est retirée"},
    "link subject": {"en": "The link to your application", "fr": "Le lien vers votre candidature"},
}
EMAIL = "Ada.Tremblay@example.ca"


@pytest.fixture
def mailed(db_app, smtp_server):
    """``db_app`` sending its emails to the aiosmtpd server."""
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    return db_app


def apply(app, application_form, lang: str) -> str:
    """Apply from one client in ``lang`` (the emails in ``lang`` too); return the reference."""
    client = app.test_client()
    response = client.post(FORM[lang], data=application_form(client, FORM[lang], preferred_language=lang))
    assert response.status_code == 303
    response.close()  # the emails leave after the response, as with a server
    with app.app_context():
        return db.session.scalar(select(Application.reference).order_by(Application.id.desc()))


def emailed_link(message) -> str:
    """Return the status link an email carries, as a path with its query."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [url] = set(re.findall(r"https?://\S+token=[\w-]+", text))
    assert f'href="{url}"' in html, "the HTML part has the same link"
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def post_form(client, url: str, data: dict, action: str | None = None):
    """POST a page's form with the CSRF token a browser would send."""
    token = form_tokens_csrf(client.get(url).get_data(as_text=True))
    return client.post(action or url, data={"csrf_token": token, **data})


def assert_private(response) -> None:
    assert "no-store" in response.headers["Cache-Control"].split(", ")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)


def facts(page) -> dict[str, str]:
    return {
        div.dt.get_text(" ", strip=True): div.dd.get_text(" ", strip=True)
        for div in page.soup.select("dl.answers > div")
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_emailed_link_opens_the_status_page_on_another_device(
    mailed, application_form, smtp_server, lang
):
    reference = apply(mailed, application_form, lang)
    [confirmation] = smtp_server.received()
    assert confirmation["Content-Language"] == lang
    path = emailed_link(confirmation)
    assert path.startswith(STATUS_PATH[lang] + "?token=")

    other_device = mailed.test_client()
    response = other_device.get(path)
    page = parse_page(response, lang=lang)
    assert_private(response)
    assert page.h1 == HEADINGS["status"][lang]
    shown = facts(page)
    assert reference in shown.values()
    assert WORDS["received"][lang] in shown.values()
    title = {"en": "Head of Product Management", "fr": "Cheffe ou chef de la gestion de produits"}[lang]
    assert title in shown.values()
    # The toggle keeps the link: the same page in the other language.
    toggled = parse_page(other_device.get(page.toggle()[OTHER[lang]]), lang=OTHER[lang])
    assert toggled.h1 == HEADINGS["status"][OTHER[lang]] and reference in toggled.text


def test_the_status_page_never_shows_notes_reviewers_or_reasons(mailed, application_form, smtp_server, staff):
    apply(mailed, application_form, "en")
    path = emailed_link(smtp_server.received()[0])
    with mailed.app_context():
        application_id = db.session.scalar(select(Application.id))
    admin = staff.client(staff.admin)
    staff_page = f"/en/staff/applications/{application_id}/"
    post_form(admin, staff_page, {"body": "Weak on budgets, ask in interview"}, action=staff_page + "notes")
    post_form(
        admin, staff_page, {"status": "screening", "reason": "Strong portfolio"}, action=staff_page + "status"
    )
    assert fetch(mailed, application_id)["status"] == "screening"

    page = parse_page(mailed.test_client().get(path), lang="en")
    assert WORDS["under review"]["en"] in facts(page).values()
    for secret in ("Weak on budgets", "Strong portfolio", staff.admin, "Screening"):
        assert secret not in page.text


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("token", ["", "made-up", "x" * 3000])
def test_an_unknown_link_gets_a_clear_page(db_app, lang, token):
    response = db_app.test_client().get(f"{STATUS_PATH[lang]}?token={token}")
    page = parse_page(response, status=404, lang=lang)
    assert page.h1 == HEADINGS["unknown"][lang]
    assert LOST[lang] in page.links()
    assert_private(response)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_lost_link_sends_a_new_link_and_revokes_the_old(mailed, application_form, smtp_server, lang):
    reference = apply(mailed, application_form, lang)
    old = emailed_link(smtp_server.received()[0])
    client = mailed.test_client()
    form = client.get(LOST[lang])
    assert parse_page(form, lang=lang).h1 == HEADINGS["lost"][lang]
    assert_private(form)

    # Typed as people type it: other case, no hyphens; the page language does not matter.
    typed = reference.replace("-", "").lower()
    response = post_form(client, LOST[OTHER[lang]], {"email": EMAIL.lower(), "reference": typed})
    assert response.status_code == 303
    sent = client.get(response.headers["Location"])
    assert parse_page(sent, lang=OTHER[lang]).h1 == HEADINGS["sent"][OTHER[lang]]
    response.close()

    again = smtp_server.received()[-1]
    assert len(smtp_server.received()) == 2
    assert again["To"] == EMAIL and again["Content-Language"] == lang, "in the application's language"
    assert again["Subject"].strip().startswith(WORDS["link subject"][lang]) and reference in again["Subject"]
    new = emailed_link(again)
    assert new != old
    other_device = mailed.test_client()
    assert parse_page(other_device.get(new), lang=lang).h1 == HEADINGS["status"][lang]
    revoked = parse_page(other_device.get(old), status=410, lang=lang)
    assert revoked.h1 == HEADINGS["revoked"][lang]


@pytest.mark.parametrize(
    "wrong",
    [
        {"email": "someone.else@example.ca"},
        {"reference": "ABCD-EFGH-JKMN"},
    ],
)
def test_lost_link_says_the_same_and_sends_nothing_when_they_do_not_match(
    mailed, application_form, smtp_server, wrong
):
    reference = apply(mailed, application_form, "en")
    old = emailed_link(smtp_server.received()[0])
    client = mailed.test_client()
    right = post_form(client, LOST["en"], {"email": EMAIL, "reference": reference})
    right.close()
    assert len(smtp_server.received()) == 2
    current = emailed_link(smtp_server.received()[-1])

    response = post_form(client, LOST["en"], {"email": EMAIL, "reference": reference, **wrong})
    assert response.status_code == 303
    assert response.headers["Location"] == right.headers["Location"]
    response.close()
    assert len(smtp_server.received()) == 2, "nothing sent"
    assert mailed.test_client().get(current).status_code == 200, "the current link still works"
    assert mailed.test_client().get(old).status_code == 410


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_lost_link_form_errors_are_shown_in_the_page_language(db_app, lang):
    client = db_app.test_client()
    response = post_form(client, LOST[lang], {"email": "not an address", "reference": ""})
    page = parse_page(response, lang=lang)
    summary = page.soup.select(".error-summary li a")
    assert [a["href"] for a in summary] == ["#email", "#reference"]
    expected = {"en": "Enter your reference number", "fr": "Entrez votre numéro de référence"}[lang]
    assert expected in page.text


def test_lost_link_needs_its_csrf_token(mailed, application_form, smtp_server):
    reference = apply(mailed, application_form, "en")
    client = mailed.test_client()
    client.get(LOST["en"])
    response = client.post(LOST["en"], data={"email": EMAIL, "reference": reference})
    assert response.status_code == 400
    response.close()
    assert len(smtp_server.received()) == 1


@pytest.mark.parametrize(("lang", "heading"), [("en", "Too many attempts"), ("fr", "Trop de tentatives")])
def test_lost_link_is_rate_limited(make_app, database_url, lang, heading):
    app = make_app(DATABASE_URL=database_url, RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(2):
        response = post_form(client, LOST[lang], {"email": EMAIL, "reference": "ABCD-EFGH-JKMN"})
        assert response.status_code == 303
    response = post_form(client, LOST[lang], {"email": EMAIL, "reference": "ABCD-EFGH-JKMN"})
    assert parse_page(response, status=429, lang=lang).h1 == heading


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_candidate_withdraws_after_a_confirmation_step(mailed, application_form, smtp_server, staff, lang):
    reference = apply(mailed, application_form, lang)
    path = emailed_link(smtp_server.received()[0])
    client = mailed.test_client()
    status_page = parse_page(client.get(path), lang=lang)
    [withdraw_url] = [link for link in status_page.links() if link.startswith(WITHDRAW[lang] + "?token=")]

    step = client.get(withdraw_url)
    confirm = parse_page(step, lang=lang)
    assert_private(step)
    assert confirm.h1 == HEADINGS["withdraw"][lang] and reference in confirm.text
    assert confirm.soup.select_one("textarea#reason") is not None
    with mailed.app_context():
        application_id = db.session.scalar(select(Application.id))
    assert fetch(mailed, application_id)["status"] == "received", "opening the step changes nothing"

    response = post_form(client, withdraw_url, {"reason": "I accepted another job."})
    assert response.status_code == 303
    done = parse_page(client.get(response.headers["Location"]), lang=lang)
    response.close()
    assert WORDS["withdrawn"][lang] in facts(done).values()
    assert not [link for link in done.links() if link.startswith(WITHDRAW[lang])], "no second withdrawal"
    with mailed.app_context():
        [change] = db.session.scalars(select(StatusChange))
        assert (change.to_status, change.by_candidate, change.staff_user_id) == ("withdrawn", True, None)
        assert change.reason == "I accepted another job."

    [_, withdrawn] = smtp_server.received()
    assert withdrawn["Content-Language"] == lang and withdrawn["To"] == EMAIL
    assert (
        withdrawn["Subject"].strip().startswith(WORDS["withdrawn subject"][lang])
        and reference in withdrawn["Subject"]
    )
    assert emailed_link(withdrawn) == path, "the email points to the status page, still working"

    [event] = audit_events(mailed, "withdrawn_by_candidate")
    assert event.application_id == application_id and "ada" not in f"{event.actor}{event.detail}".lower()

    # Staff see it in the history, and cannot move it (no email goes out either).
    admin = staff.client(staff.admin)
    staff_page = f"/en/staff/applications/{application_id}/"
    history = [
        li.get_text(" ", strip=True) for li in parse_page(admin.get(staff_page)).soup.select("ol.history li")
    ]
    assert len(history) == 1 and "withdrawn by the candidate" in history[0]
    assert "I accepted another job." in history[0]
    admin.post(staff_page + "status", data={"csrf_token": "", "status": "interview"})
    post_form(
        admin, staff_page, {"status": "rejected", "reason": "Moved anyway"}, action=staff_page + "status"
    )
    assert fetch(mailed, application_id)["status"] == "withdrawn"
    assert len(smtp_server.received()) == 2, "no decision email after a withdrawal"
    # Going back to the step does nothing more.
    again = client.get(withdraw_url)
    assert again.status_code == 303 and again.headers["Location"].startswith(STATUS_PATH[lang])


def test_withdrawing_needs_its_csrf_token(mailed, application_form, smtp_server):
    apply(mailed, application_form, "en")
    path = emailed_link(smtp_server.received()[0])
    withdraw_url = path.replace(STATUS_PATH["en"], WITHDRAW["en"])
    client = mailed.test_client()
    client.get(withdraw_url)
    assert client.post(withdraw_url, data={"reason": ""}).status_code == 400
    with mailed.app_context():
        assert db.session.scalar(select(Application.status)) == "received"
