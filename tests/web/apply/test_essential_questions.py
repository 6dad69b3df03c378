"""An essential question on the application form: the candidate is told, in
their language, that it is essential and that their answer never rejects them
automatically; the answer stays required; a "no" is taken like any answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain.models import Application
from portal.plumbing.db import db

NBSP = "\u00a0"
#: The bundled posting whose clearance question (question_0) is essential.
FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
HINT = {
    "en": "Essential requirement of this job. Your answer alone never rejects your application "
    "automatically: people on the hiring team review it.",
    "fr": "Exigence essentielle de cet emploi. Votre réponse ne peut à elle seule entraîner le rejet "
    f"automatique de votre candidature{NBSP}: des membres de l’équipe d’embauche l’examinent.",
}
REQUIRED = {"en": "(required)", "fr": "(obligatoire)"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_essential_question_says_so_in_the_candidates_language(client, page, lang):
    soup = page(client.get(FORM[lang]), lang=lang).soup
    group = soup.find("fieldset", id="question_0")
    hint = soup.find(id="question_0-hint")
    assert hint is not None and hint in group.descendants
    assert "question_0-hint" in group["aria-describedby"].split()
    assert hint.get_text(" ", strip=True) == HINT[lang]
    assert REQUIRED[lang] in group.find("legend").get_text(" ", strip=True)
    # Only the essential question carries it.
    assert soup.get_text().count(HINT[lang]) == 1
    assert soup.find(id="question_1-hint") is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_essential_question_still_needs_an_answer(db_app, application_form, page, lang):
    client = db_app.test_client()
    data = application_form(client, FORM[lang], question_0=None)
    result = page(client.post(FORM[lang], data=data), lang=lang)
    assert result.soup.find(id="question_0-error") is not None
    with db_app.app_context():
        assert db.session.scalar(select(Application)) is None


def test_a_no_is_taken_and_leaves_the_application_received(db_app, application_form):
    client = db_app.test_client()
    data = application_form(client, FORM["en"], question_0="no")
    assert client.post(FORM["en"], data=data).status_code == 303
    with db_app.app_context():
        application = db.session.scalar(select(Application))
        assert application.status == "received"
        assert application.status_changes == []
        answer = next(a for a in application.answers if a.question_id == "clearance")
        assert answer.answer == "no"
