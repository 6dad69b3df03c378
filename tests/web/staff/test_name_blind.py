"""Name-blind review through the staff pages: a candidate number instead of
the name, email, phone, pronouns and links in the list, on the application
page, in the page title, in the email preview and in the CSV, until the
application reaches the stage; no name search or sort meanwhile; the admin's
setting on the posting page and the admin's reveal (with a reason, for
themselves, audited). Both languages; SQLite, and PostgreSQL when configured."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.domain import name_blind
from portal.domain.models import (
    Application,
    NameBlindReveal,
    PostingReviewSetting,
    Resume,
    StaffUser,
    Status,
    StatusChange,
)
from portal.plumbing.db import db
from tests.conftest import PDF, create_staff, form_tokens_csrf, parse_page
from tests.records import HEAD, audit_events, insert, new_application

#: What would identify the candidate; none of it may reach a page while hidden.
IDENTITY = ("Ada", "Tremblay", "ada.tremblay", "613-555-0123", "she/her", "ada.example.org")
TEXT = {
    "en": {
        "candidate": "Candidate {}",
        "select": "Select Candidate {}",
        "hidden": "Hidden",
        "hidden_field": "Hidden (name-blind review)",
        "list_notice": "Name-blind review: candidates are shown by number until their application "
        "reaches “Interview”.",
        "page_notice": "Name-blind review: this candidate is shown by number until the application "
        "reaches “Interview”.",
        "resume": "Download the résumé (",
        "warning": "The résumé may identify the candidate",
        "links": "Hidden during name-blind review",
        "revealed": "You now see who this candidate is. Other staff still see the candidate number.",
        "revealed_to": "revealed to admin@nds.example only",
        "reason_error": "Write why you need to see who the candidate is",
        "saved": "Name-blind review saved.",
        "choose": "Choose how to review",
        "preview": "Name-blind review: the email goes to the candidate’s own address",
        "hello": "Hello Candidate {},",
        "email_header": "Email address",
    },
    "fr": {
        "candidate": "Personne candidate {}",
        "select": "Sélectionner Personne candidate {}",
        "hidden": "Information masquée",
        "hidden_field": "Information masquée (examen anonyme)",
        "list_notice": "Examen anonyme\u00a0: les personnes candidates sont désignées par un numéro "
        "jusqu’à ce que leur candidature atteigne l’étape «\u00a0Entrevue\u00a0».",
        "page_notice": "Examen anonyme\u00a0: cette personne candidate est désignée par un numéro "
        "jusqu’à ce que la candidature atteigne l’étape «\u00a0Entrevue\u00a0».",
        "resume": "Télécharger le curriculum vitæ (",
        "warning": "Le curriculum vitæ peut révéler l’identité de la personne candidate",
        "links": "Masqués pendant l’examen anonyme",
        "revealed": "Vous voyez maintenant qui est cette personne candidate. Le reste du personnel "
        "voit toujours son numéro.",
        "revealed_to": "identité révélée à admin@nds.example seulement",
        "reason_error": "Écrivez pourquoi vous devez savoir qui est la personne candidate",
        "saved": "Le réglage de l’examen anonyme est enregistré.",
        "choose": "Choisissez le mode d’examen",
        "preview": "Examen anonyme\u00a0: le courriel est envoyé à l’adresse de la personne candidate",
        "hello": "Bonjour Personne candidate {},",
        "email_header": "Adresse courriel",
    },
}


#: The URL words of the name-blind routes, by language.
WORDS = {"fr": {"reveal": "lever-l-anonymat", "name-blind": "examen-anonyme"}}


def app_url(application_id: int, lang: str = "en", tail: str = "") -> str:
    base = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}[lang]
    return f"{base}/{application_id}/{WORDS.get(lang, {}).get(tail, tail)}"


def posting_url(lang: str = "en", tail: str = "", posting_key: str = HEAD) -> str:
    base = {"en": "/en/staff/postings", "fr": "/fr/personnel/offres"}[lang]
    return f"{base}/{posting_key}/{WORDS.get(lang, {}).get(tail, tail)}"


def post_from(client, page_url: str, action: str, data: dict, **options):
    """POST a form the way a browser does: with the CSRF token of the page showing it."""
    token = form_tokens_csrf(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data}, **options)


def ada(status: str = "received", posting_key: str = HEAD, **fields) -> Application:
    """An application whose every identifying field says who she is."""
    return new_application(
        posting_key,
        full_name="Ada Tremblay",
        email="ada.tremblay@example.ca",
        phone="613-555-0123",
        pronouns="she/her",
        status=status,
        links=["https://ada.example.org/portfolio"],
        resume=Resume(
            filename="Ada-Tremblay-CV.pdf",
            media_type="application/pdf",
            size=len(PDF),
            sha256="0",
            content=PDF,
        ),
        **fields,
    )


def with_history(app, application_id: int, *moves: tuple[str, str]) -> None:
    with app.app_context():
        found = db.session.get(Application, application_id)
        for minute, (before, after) in enumerate(moves):
            found.status_changes.append(
                StatusChange(
                    from_status=before,
                    to_status=after,
                    reason="A reason",
                    changed_at=datetime(2026, 11, 2, 9, minute, tzinfo=UTC),
                )
            )
        db.session.commit()


def turn_on(app, until: str = "interview") -> None:
    """Turn name-blind review on for HEAD, as an admin would."""
    with app.app_context():
        admin = db.session.scalar(select(StaffUser).where(StaffUser.email == "admin@nds.example"))
        name_blind.set_rule(db.session, HEAD, until, user=admin, now=datetime.now(UTC))
        db.session.commit()


def assert_no_identity(html: str) -> None:
    for word in IDENTITY:
        assert word not in html, word


def export_rows(response) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))


# The list -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_list_shows_numbers_until_the_stage_and_names_from_it(db_app, staff, lang):
    hidden_id, shown_id = insert(
        db_app, ada(), new_application(HEAD, status="interview", full_name="Zoé Roy")
    )
    turn_on(db_app)

    page = parse_page(staff.client(staff.assigned).get(posting_url(lang)), lang=lang)

    rows = {
        int(row.select_one("input[name=selected]")["value"]): row
        for row in page.soup.select("table tbody tr")
    }
    hidden = rows[hidden_id]
    assert hidden.th.a.get_text(strip=True) == TEXT[lang]["candidate"].format(hidden_id)
    assert hidden.select("td")[1].get_text(strip=True) == TEXT[lang]["hidden"]
    assert hidden.select_one("input")["aria-label"] == TEXT[lang]["select"].format(hidden_id)
    assert rows[shown_id].th.a.get_text(strip=True) == "Zoé Roy"
    assert TEXT[lang]["list_notice"] in page.text
    assert_no_identity(page.response.get_data(as_text=True))


def test_searching_or_sorting_by_name_is_off_while_blind(db_app, staff):
    ids = insert(db_app, ada(), new_application(HEAD, full_name="Zoé Roy"))
    turn_on(db_app)
    client = staff.client(staff.assigned)

    page = parse_page(client.get(posting_url() + "?q=Ada&sort=name"))

    assert page.soup.select_one("input#q") is None
    assert "name" not in [option["value"] for option in page.soup.select("select#sort option")]
    # The search is ignored: both applications are listed, newest first, so
    # nothing tells which number is Ada.
    listed = [int(box["value"]) for box in page.soup.select("input[name=selected]")]
    assert listed == sorted(ids, reverse=True)
    assert_no_identity(page.response.get_data(as_text=True))


def test_without_name_blind_review_the_list_is_unchanged(db_app, staff):
    insert(db_app, ada())
    page = parse_page(staff.client(staff.assigned).get(posting_url() + "?q=Ada"))
    assert page.soup.select_one("input#q") is not None
    assert page.soup.select_one("table tbody th a").get_text(strip=True) == "Ada Tremblay"
    assert page.soup.select_one("#name-blind-notice") is None


# The application page -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_application_page_shows_the_number_and_hides_the_identity(db_app, staff, lang):
    (application_id,) = insert(db_app, ada(about="I build accessible services."))
    turn_on(db_app)

    page = parse_page(staff.client(staff.assigned).get(app_url(application_id, lang)), lang=lang)

    label = TEXT[lang]["candidate"].format(application_id)
    assert page.h1 == label
    assert page.soup.title.get_text().startswith(label)
    assert TEXT[lang]["page_notice"] in page.text
    record = {
        dt.get_text(" ", strip=True): dd.get_text(" ", strip=True)
        for dt, dd in zip(page.soup.select("dl.record dt"), page.soup.select("dl.record dd"))
    }
    assert record[TEXT[lang]["email_header"]] == TEXT[lang]["hidden_field"]
    download = page.soup.select_one("dl.record a[href$='/resume']")
    assert download.get_text().startswith(TEXT[lang]["resume"])
    warning = page.soup.find(id=download["aria-describedby"])
    assert TEXT[lang]["warning"] in warning.get_text()
    assert TEXT[lang]["links"] in page.text
    # What the candidate wrote is shown as written.
    assert "I build accessible services." in page.text
    assert page.soup.select_one("form#reveal-form") is None, "reviewers cannot reveal"
    assert_no_identity(page.response.get_data(as_text=True))
    assert [event.application_id for event in audit_events(db_app, "view_application")] == [application_id]


def test_the_resume_downloads_under_the_candidate_number(db_app, staff):
    (application_id,) = insert(db_app, ada())
    turn_on(db_app)
    response = staff.client(staff.assigned).get(app_url(application_id, tail="resume"))
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert f"candidate-{application_id}.pdf" in disposition and "Ada" not in disposition


@pytest.mark.parametrize(
    ("status", "moves", "blind"),
    [
        ("screening", [("received", "screening")], True),
        ("rejected", [("received", "screening"), ("screening", "rejected")], True),
        ("interview", [("received", "screening"), ("screening", "interview")], False),
        (
            "rejected",
            [("received", "screening"), ("screening", "interview"), ("interview", "rejected")],
            False,
        ),
        ("hired", [], False),
    ],
)
def test_the_name_shows_once_the_application_reached_the_stage(db_app, staff, status, moves, blind):
    (application_id,) = insert(db_app, ada(status))
    with_history(db_app, application_id, *moves)
    turn_on(db_app)
    page = parse_page(staff.client(staff.assigned).get(app_url(application_id)))
    assert (page.h1 == f"Candidate {application_id}") is blind
    assert ("ada.tremblay@example.ca" in page.text) is not blind


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_email_preview_greets_the_number_and_hides_the_address(db_app, staff, lang):
    (application_id,) = insert(db_app, ada("screening", preferred_language=lang))
    turn_on(db_app)
    client = staff.client(staff.assigned)

    response = post_from(
        client,
        app_url(application_id, lang),
        app_url(application_id, lang, "status"),
        {"status": "interview", "send_email": "y"},
    )

    page = parse_page(response, lang=lang)
    assert TEXT[lang]["preview"] in page.text
    assert TEXT[lang]["hello"].format(application_id) in page.soup.find(id="email-text").get_text()
    assert_no_identity(response.get_data(as_text=True))
    with db_app.app_context():
        assert db.session.get(Application, application_id).status is Status.SCREENING


# The CSV ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_csv_has_numbers_and_hidden_contact_details(db_app, staff, lang):
    hidden_id, shown_id = insert(db_app, ada(), new_application(HEAD, status="offer", full_name="Zoé Roy"))
    turn_on(db_app)

    response = staff.client(staff.admin).get(posting_url(lang, "export.csv") + "?q=Ada")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert_no_identity(body)
    rows = export_rows(response)
    name, email, phone, pronouns, links = {
        "en": ("Full name", "Email address", "Phone number", "Pronouns", "Links"),
        "fr": ("Nom complet", "Adresse courriel", "Numéro de téléphone", "Pronoms", "Liens"),
    }[lang]
    by_name = {row[name]: row for row in rows}
    hidden = by_name[TEXT[lang]["candidate"].format(hidden_id)]
    assert [hidden[column] for column in (email, phone, pronouns, links)] == [TEXT[lang]["hidden"]] * 4
    # Past the stage, the candidate is exported by name, with their address.
    assert by_name["Zoé Roy"][email].endswith("@example.ca")
    assert shown_id not in {hidden_id}
    (event,) = audit_events(db_app, "export_csv")
    assert event.detail == "2 rows", "the name search was not applied"


# Revealing ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_admin_reveals_one_application_to_themselves_with_a_reason(db_app, staff, lang):
    (application_id,) = insert(db_app, ada())
    turn_on(db_app)
    admin = staff.client(staff.admin)
    page_url = app_url(application_id, lang)
    before = parse_page(admin.get(page_url), lang=lang)
    assert before.soup.select_one("form#reveal-form textarea#reveal-reason") is not None

    response = post_from(
        admin,
        page_url,
        app_url(application_id, lang, "reveal"),
        {"reveal-reason": "Conflict of interest check"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page_url}#name-blind")
    after = parse_page(admin.get(page_url), lang=lang)
    assert after.h1 == "Ada Tremblay"
    assert TEXT[lang]["revealed"] in after.text
    history = after.soup.select_one("#reveals").get_text(" ", strip=True)
    assert TEXT[lang]["revealed_to"] in history and "Conflict of interest check" in history
    # Minimum disclosure: the reviewer still sees the number, but knows of the reveal.
    other = parse_page(staff.client(staff.assigned).get(app_url(application_id, lang)), lang=lang)
    assert other.h1 == TEXT[lang]["candidate"].format(application_id)
    assert TEXT[lang]["revealed_to"] in other.text
    assert_no_identity(other.response.get_data(as_text=True))
    (event,) = audit_events(db_app, "reveal_identity")
    assert (event.actor, event.role, event.application_id, event.posting_key) == (
        staff.admin,
        "admin",
        application_id,
        HEAD,
    )
    assert "Conflict" not in event.detail and "Ada" not in event.detail


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_reveal_needs_a_reason(db_app, staff, lang):
    (application_id,) = insert(db_app, ada())
    turn_on(db_app)
    admin = staff.client(staff.admin)

    response = post_from(
        admin, app_url(application_id, lang), app_url(application_id, lang, "reveal"), {"reveal-reason": "  "}
    )

    page = parse_page(response, lang=lang)
    summary = page.soup.select_one(".error-summary")
    assert summary.select_one("a[href='#reveal-reason']").get_text() == TEXT[lang]["reason_error"]
    assert page.h1 == TEXT[lang]["candidate"].format(application_id)
    with db_app.app_context():
        assert db.session.scalars(select(NameBlindReveal)).all() == []
    assert audit_events(db_app, "reveal_identity") == []


@pytest.mark.parametrize("who", ["assigned", "unassigned"])
def test_reviewers_cannot_reveal(db_app, staff, who):
    (application_id,) = insert(db_app, ada())
    turn_on(db_app)
    client = staff.client(getattr(staff, who))
    token = form_tokens_csrf(client.get("/en/staff/").get_data(as_text=True))

    response = client.post(
        app_url(application_id, tail="reveal"), data={"csrf_token": token, "reveal-reason": "Curious"}
    )

    assert response.status_code in (403, 404)
    with db_app.app_context():
        assert db.session.scalars(select(NameBlindReveal)).all() == []
    assert audit_events(db_app, "reveal_identity") == []


# The admin's setting --------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_admin_turns_name_blind_review_on_from_the_posting_page(db_app, staff, lang):
    (application_id,) = insert(db_app, ada())
    admin = staff.client(staff.admin)
    page = parse_page(admin.get(posting_url(lang)), lang=lang)
    form = page.soup.select_one(f"form[action='{posting_url(lang, 'name-blind')}']")
    assert form.select_one("input[name=blind-choice][value=content]").has_attr("checked")

    response = post_from(
        admin, posting_url(lang), posting_url(lang, "name-blind"), {"blind-choice": "screening"}
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{posting_url(lang)}#name-blind")
    after = parse_page(admin.get(posting_url(lang)), lang=lang)
    assert TEXT[lang]["saved"] in after.text
    assert after.soup.select_one("input[name=blind-choice][value=screening]").has_attr("checked")
    assert after.soup.select_one("table tbody th a").get_text(strip=True) == TEXT[lang]["candidate"].format(
        application_id
    )
    (event,) = audit_events(db_app, "set_name_blind")
    assert (event.actor, event.posting_key, event.detail) == (staff.admin, HEAD, "name-blind: screening")

    post_from(admin, posting_url(lang), posting_url(lang, "name-blind"), {"blind-choice": "content"})
    with db_app.app_context():
        assert db.session.get(PostingReviewSetting, HEAD) is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_setting_needs_a_choice(db_app, staff, lang):
    admin = staff.client(staff.admin)
    for data in ({}, {"blind-choice": "hired"}):
        response = post_from(admin, posting_url(lang), posting_url(lang, "name-blind"), data)
        page = parse_page(response, lang=lang)
        summary = page.soup.select_one(".error-summary")
        assert summary.select_one("a[href='#blind-choice']") is not None
        if not data:
            assert summary.select_one("a").get_text() == TEXT[lang]["choose"]
    with db_app.app_context():
        assert db.session.get(PostingReviewSetting, HEAD) is None
    assert audit_events(db_app, "set_name_blind") == []


def test_reviewers_see_the_setting_but_cannot_change_it(db_app, staff):
    reviewer = staff.client(staff.assigned)
    page = parse_page(reviewer.get(posting_url()))
    assert page.soup.select_one("#name-blind") is not None
    assert page.soup.select_one("#name-blind-form") is None
    token = form_tokens_csrf(page.response.get_data(as_text=True))
    response = reviewer.post(
        posting_url(tail="name-blind"), data={"csrf_token": token, "blind-choice": "off"}
    )
    assert response.status_code in (403, 404)
    assert audit_events(db_app, "set_name_blind") == []


# The front matter ----------------------------------------------------------------


def test_a_posting_that_says_name_blind_is_reviewed_blind(make_app, content_tree):
    for path, title in (("en/jobs/analyst.md", "Analyst"), ("fr/emplois/analyste.md", "Analyste")):
        content_tree(
            path,
            f"""
            ---
            layout: job-posting
            title: {title}
            translationKey: analyst
            nameBlind: true
            ---
            Body.
            """,
        )
    app = make_app(PORTAL_CONTENT_DIR=str(content_tree.root), RATELIMIT_ENABLED=False)
    staff = create_staff(app)
    (application_id,) = insert(app, ada(posting_key="analyst"))
    admin = staff.client(staff.admin)

    page = parse_page(admin.get(posting_url(posting_key="analyst")))

    assert page.soup.select_one("table tbody th a").get_text(strip=True) == f"Candidate {application_id}"
    assert page.soup.select_one("input[name=blind-choice][value=content]").has_attr("checked")
    assert_no_identity(page.response.get_data(as_text=True))
