"""The blank application form served from memory: the same bytes as the page
rendered in full, with tokens of each visitor's own, and nothing of one
visitor's ever shown to another."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.domain.models import Application
from portal.plumbing.db import db
from tests.conftest import form_tokens
from tests.web.apply.test_form import DATED_FORM, FORM, LANGS, toronto_today, write_posting

TOKEN_VALUES = re.compile(r'(name="(?:csrf_token|submission_token)" type="hidden" value=")[^"]*"')


def without_tokens(html: str) -> str:
    """The page with the values of its two tokens blanked out."""
    blanked, count = TOKEN_VALUES.subn(r'\1"', html)
    assert count == 2, "the form has lost a token"
    return blanked


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Application))


@pytest.mark.parametrize("lang", LANGS)
def test_form_from_memory_is_the_page_rendered_in_full(make_app, page, lang):
    kept = make_app().test_client()
    rendered = make_app(PORTAL_PAGE_CACHE_SIZE=0).test_client()
    other = "fr" if lang == "en" else "en"
    # Each language's form is kept apart: the second visit of each comes from memory.
    for code in (lang, other, lang, other):
        served, expected = kept.get(FORM[code]), rendered.get(FORM[code])
        page(served, lang=code)
        assert served.headers["Cache-Control"] == expected.headers["Cache-Control"]
        assert "no-store" in served.headers["Cache-Control"]
        html = served.get_data(as_text=True)
        assert without_tokens(html) == without_tokens(expected.get_data(as_text=True))


@pytest.mark.parametrize("lang", LANGS)
def test_each_visitor_gets_tokens_of_their_own_that_work(db_app, application_form, lang):
    ada, bob = db_app.test_client(), db_app.test_client()
    ada_tokens = form_tokens(ada.get(FORM[lang]).get_data(as_text=True))
    bob_data = application_form(bob, FORM[lang], email="bob@example.ca")
    assert ada_tokens["csrf_token"] != bob_data["csrf_token"]
    # Bob's form from memory carries a CSRF token of his session, and only his.
    refused = bob.post(FORM[lang], data={**bob_data, "csrf_token": ada_tokens["csrf_token"]})
    assert refused.status_code == 400
    again = application_form(bob, FORM[lang], email="bob@example.ca")
    # A new form for every visit: sent twice, one form makes one application.
    assert len({ada_tokens["submission_token"], bob_data["submission_token"], again["submission_token"]}) == 3
    assert bob.post(FORM[lang], data=again).status_code == 303
    assert stored(db_app) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_what_one_visitor_typed_never_reaches_the_next(db_app, application_form, page, lang):
    ada, bob = db_app.test_client(), db_app.test_client()
    ada.get(FORM[lang])
    data = application_form(ada, FORM[lang], full_name="Ada Quiet-Secret", email="not an address")
    shown_again = ada.post(FORM[lang], data=data).get_data(as_text=True)
    assert "Ada Quiet-Secret" in shown_again
    blank = page(bob.get(FORM[lang]), lang=lang)
    assert "Quiet-Secret" not in blank.response.get_data(as_text=True)
    assert blank.soup.select_one(".error-summary") is None
    assert stored(db_app) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_form_asked_at_another_address_names_that_address(app, page, lang):
    page(app.test_client().get(FORM[lang]), lang=lang)
    other = page(app.test_client().get(FORM[lang], base_url="http://127.0.0.1"), lang=lang)
    versions = other.alternates().values()
    assert versions and all(url.startswith("http://127.0.0.1/") for url in versions)


@pytest.mark.parametrize("lang", LANGS)
def test_form_follows_a_new_content_version(make_app, content_tree, page, lang):
    files = write_posting(content_tree, toronto_today() + timedelta(days=30))
    app = make_app(PORTAL_CONTENT_DIR=str(content_tree.root), PORTAL_CONTENT_RELOAD_INTERVAL=0)
    client = app.test_client()
    assert "Short-Term Role" in page(client.get(DATED_FORM["en"]), lang="en").h1
    assert "Poste de courte durée" in page(client.get(DATED_FORM["fr"]), lang="fr").h1
    renamed = {"en": "Short-Term Role, Renamed", "fr": "Poste de courte durée, renommé"}
    for code, path in files.items():
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^title: .*$", f"title: {renamed[code]}", text), encoding="utf-8")
    assert renamed[lang] in page(client.get(DATED_FORM[lang]), lang=lang).h1
