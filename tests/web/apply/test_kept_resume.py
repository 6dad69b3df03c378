"""After a validation error the form keeps a résumé that passed its checks,
for the same browser and form only, and its error summary names each field.

Kept files are never served at any URL and are deleted by ``flask retention
purge`` some hours after they were kept.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.content import current_index
from portal.domain import kept_resumes, retention
from portal.domain.models import Application, KeptResume
from portal.domain.resumes import CheckedFile
from portal.plumbing.config import ConfigurationError
from portal.plumbing.db import db
from tests.conftest import PDF, form_tokens

LANGS = ["en", "fr"]
NBSP = "\u00a0"
FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
KEPT_TEXT = {
    "en": f"cv-ada.pdf (1{NBSP}KB), uploaded: keep it or choose another.",
    "fr": f"cv-ada.pdf (1{NBSP}ko), téléversé{NBSP}: gardez-le ou choisissez-en un autre.",
}
KEEP_LABEL = {"en": "Keep this file", "fr": "Garder ce fichier"}
MISSING_RESUME = {
    "en": "Résumé: choose your résumé file",
    "fr": f"Curriculum vitæ{NBSP}: choisissez le fichier de votre curriculum vitæ",
}
TEXT_RESUME = b"Ada Tremblay\nProduct leader, 12 years.\n"


def count(app, model=KeptResume) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    return match.group(1) if match else ""


def send_with_an_error(client, application_form, lang: str, **overrides):
    """Send the form with a valid résumé and no answer to the first question;
    return the data sent and the response."""
    data = application_form(client, FORM[lang], question_0=None, **overrides)
    return data, client.post(FORM[lang], data=data)


def again(data: dict, html: str, **overrides) -> dict:
    """Return what the browser sends next from the page shown again: the
    same answers, the first question answered, no new file, the kept one ticked."""
    sent = {name: value for name, value in data.items() if name != "resume"}
    sent.update(form_tokens(html), question_0="yes", kept_resume=hidden(html, "kept_resume"), keep_resume="y")
    sent.update(overrides)
    return {name: value for name, value in sent.items() if value is not None}


def resume_summary(result) -> str:
    """Return the error summary's entry for the résumé."""
    return result.soup.select_one(".error-summary a[href='#resume']").get_text(" ", strip=True)


def stored_resume(app) -> tuple[str, bytes]:
    with app.app_context():
        application = db.session.scalar(select(Application))
        return application.resume.filename, application.resume.content


@pytest.mark.parametrize("lang", LANGS)
def test_a_checked_resume_is_kept_and_shown_after_another_error(db_app, application_form, page, lang):
    client = db_app.test_client()
    _data, response = send_with_an_error(client, application_form, lang)

    result = page(response, lang=lang)
    assert "no-store" in response.headers["Cache-Control"].split(", ")
    kept = result.soup.select_one("fieldset.kept-resume")
    assert kept is not None, "the kept résumé is not shown"
    assert kept.find(id="kept-resume-file").get_text(" ", strip=True) == KEPT_TEXT[lang]
    box = kept.find("input", id="keep_resume")
    assert box["type"] == "checkbox" and box.has_attr("checked")
    assert kept.find("label", attrs={"for": "keep_resume"}).get_text(strip=True) == KEEP_LABEL[lang]
    assert kept.find("input", id="resume", type="file") is not None, "no way to choose another file"
    assert result.soup.find(id="resume-again") is None, "the page asks for the kept résumé again"
    assert count(db_app) == 1 and count(db_app, Application) == 0
    # No address serves the file: the page holds only the opaque key.
    html = response.get_data(as_text=True)
    assert len(hidden(html, "kept_resume")) >= 43
    assert "/kept" not in html.lower()


@pytest.mark.parametrize("lang", LANGS)
def test_sending_again_without_a_file_stores_the_kept_resume(db_app, application_form, lang):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, lang)

    sent = client.post(FORM[lang], data=again(data, response.get_data(as_text=True)))

    assert sent.status_code == 303
    assert stored_resume(db_app) == ("cv-ada.pdf", PDF)
    assert count(db_app) == 0, "the kept row outlived the application"


@pytest.mark.parametrize("lang", LANGS)
def test_another_browser_cannot_use_the_key(db_app, application_form, page, lang):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, lang)
    stolen = again(data, response.get_data(as_text=True))
    other = db_app.test_client()
    other_tokens = form_tokens(other.get(FORM[lang]).get_data(as_text=True))

    # With its own CSRF token, the other browser's form is valid but for the résumé.
    stolen["csrf_token"] = other_tokens["csrf_token"]
    result = page(other.post(FORM[lang], data=stolen), lang=lang)

    assert resume_summary(result) == MISSING_RESUME[lang]
    assert result.soup.select_one("fieldset.kept-resume") is None
    assert count(db_app, Application) == 0 and count(db_app) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_a_tampered_key_is_ignored(db_app, application_form, page, lang):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, lang)
    sent = again(data, response.get_data(as_text=True))
    sent["kept_resume"] = ("A" if sent["kept_resume"][0] != "A" else "B") + sent["kept_resume"][1:]

    result = page(client.post(FORM[lang], data=sent), lang=lang)

    assert resume_summary(result) == MISSING_RESUME[lang]
    assert count(db_app, Application) == 0


def test_the_key_works_only_with_the_form_it_was_kept_for(db_app, application_form, page):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, "en")
    sent = again(data, response.get_data(as_text=True))
    sent["submission_token"] = form_tokens(client.get(FORM["en"]).get_data(as_text=True))["submission_token"]

    result = page(client.post(FORM["en"], data=sent), lang="en")

    assert result.soup.select_one(".error-summary a[href='#resume']") is not None
    assert count(db_app, Application) == 0


def test_unticking_keep_without_a_new_file_asks_for_one(db_app, application_form, page):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, "en")

    unticked = again(data, response.get_data(as_text=True), keep_resume=None)
    result = page(client.post(FORM["en"], data=unticked))

    assert resume_summary(result) == MISSING_RESUME["en"]
    assert count(db_app, Application) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_choosing_another_file_replaces_the_kept_one(db_app, application_form, page, lang):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, lang)
    # Another file, and still an error: the new file is the one kept.
    replaced = again(
        data, response.get_data(as_text=True), question_0=None, resume=(io.BytesIO(TEXT_RESUME), "cv.txt")
    )
    second = page(client.post(FORM[lang], data=replaced), lang=lang)
    assert second.soup.find(id="kept-resume-file").get_text(" ", strip=True).startswith("cv.txt (1")
    assert count(db_app) == 1

    sent = client.post(FORM[lang], data=again(data, second.response.get_data(as_text=True)))

    assert sent.status_code == 303
    assert stored_resume(db_app) == ("cv.txt", TEXT_RESUME)
    assert count(db_app) == 0


def test_a_new_file_sent_with_a_valid_form_replaces_the_kept_one(db_app, application_form):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, "en")

    another = again(data, response.get_data(as_text=True), resume=(io.BytesIO(TEXT_RESUME), "cv.txt"))
    sent = client.post(FORM["en"], data=another)

    assert sent.status_code == 303
    assert stored_resume(db_app) == ("cv.txt", TEXT_RESUME)
    assert count(db_app) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_resume_is_not_kept(db_app, application_form, page, lang):
    client = db_app.test_client()
    _data, response = send_with_an_error(
        client, application_form, lang, resume=(io.BytesIO(b"%PDF-1.4 not really"), "cv.pdf")
    )

    result = page(response, lang=lang)
    assert result.soup.select_one("fieldset.kept-resume") is None
    assert result.soup.select_one(".error-summary a[href='#resume']") is not None
    assert count(db_app) == 0


def test_a_double_click_on_the_kept_resume_form_shows_the_one_application(db_app, application_form):
    client = db_app.test_client()
    data, response = send_with_an_error(client, application_form, "en")
    sent = again(data, response.get_data(as_text=True))

    first = client.post(FORM["en"], data=sent)
    second = client.post(FORM["en"], data=sent)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db_app, Application) == 1


# The error summary ---------------------------------------------------------------

SUMMARY = {
    "en": {
        "question_0": "Are you able to obtain and maintain a Reliability security clearance?: "
        "answer this question",
        "full_name": "Full name: enter your full name",
    },
    "fr": {
        "question_0": f"Êtes-vous en mesure d’obtenir et de conserver une cote de fiabilité?{NBSP}: "
        "répondez à cette question",
        "full_name": f"Nom complet{NBSP}: entrez votre nom complet",
    },
}
INLINE = {"en": "Answer this question", "fr": "Répondez à cette question"}


@pytest.mark.parametrize("lang", LANGS)
def test_each_summary_entry_names_its_field_or_question(db_app, application_form, page, lang):
    client = db_app.test_client()
    data = application_form(client, FORM[lang], question_0=None, full_name="")

    result = page(client.post(FORM[lang], data=data), lang=lang)

    entries = {
        a["href"].lstrip("#"): a.get_text(" ", strip=True) for a in result.soup.select(".error-summary a")
    }
    assert entries == SUMMARY[lang]
    # Beside the question, the message stays short.
    inline = result.soup.find(id="question_0-error").get_text(" ", strip=True)
    assert inline.endswith(INLINE[lang])


# Retention -----------------------------------------------------------------------


def keep_one(app, at: datetime) -> None:
    with app.app_context():
        kept_resumes.keep(
            db.session,
            CheckedFile("cv.pdf", "application/pdf", PDF),
            binding=kept_resumes.new_binding(),
            form_token=kept_resumes.new_binding(),
            now=at,
        )
        db.session.commit()


def test_purge_deletes_kept_resumes_older_than_the_setting_and_keeps_newer(db_app):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    keep_one(db_app, now - timedelta(hours=3, minutes=1))
    keep_one(db_app, now - timedelta(hours=2, minutes=59))

    with db_app.app_context():
        period = retention.parse_period("2y")
        arguments = {"now": now, "period": period, "consented_period": period, "kept_resume_hours": 3}
        dry = retention.purge(db.session, current_index(), dry_run=True, **arguments)
        db.session.commit()
    assert dry.kept_resumes == 1 and count(db_app) == 2
    with db_app.app_context():
        report = retention.purge(db.session, current_index(), dry_run=False, **arguments)
        db.session.commit()

    assert report.kept_resumes == 1
    assert count(db_app) == 1


def test_flask_retention_purge_reports_the_kept_resumes(db_app):
    keep_one(db_app, datetime.now(UTC) - timedelta(hours=5))
    keep_one(db_app, datetime.now(UTC))
    runner = db_app.test_cli_runner()

    result = runner.invoke(args=["retention", "purge"])

    assert result.exit_code == 0, result.output
    assert "removed 1 résumés kept for forms never submitted (after 3 hours)" in result.stdout.splitlines()
    assert count(db_app) == 1


def test_a_kept_resume_older_than_the_setting_is_not_used(db_app):
    binding, token = kept_resumes.new_binding(), kept_resumes.new_binding()
    then = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with db_app.app_context():
        checked = CheckedFile("cv.pdf", "application/pdf", PDF)
        kept = kept_resumes.keep(db.session, checked, binding=binding, form_token=token, now=then)
        lookup = {"binding": binding, "form_token": token, "hours": 3}
        assert kept_resumes.find(db.session, kept.key, now=then + timedelta(hours=2), **lookup) == kept
        assert kept_resumes.find(db.session, kept.key, now=then + timedelta(hours=3), **lookup) is None


@pytest.mark.parametrize("hours", [0, 73, "3", True])
def test_a_kept_resume_time_outside_1_to_72_hours_is_refused(make_app, hours):
    with pytest.raises(ConfigurationError, match="PORTAL_KEPT_RESUME_HOURS"):
        make_app(PORTAL_KEPT_RESUME_HOURS=hours)
