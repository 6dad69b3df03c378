"""Signs of automated submissions: a honeypot field and a minimum fill time.
Neither refuses anything: the application is stored with its flags, and staff
see them on the posting's list, the application page and the CSV export."""

from __future__ import annotations

import codecs
import csv
import io
import time

import pytest
from sqlalchemy import select

from portal.domain.models import Application
from portal.plumbing.config import ConfigurationError
from portal.plumbing.db import db
from portal.web.apply.forms import new_submission_token, served_at
from tests.conftest import form_tokens, parse_page

FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
HONEYPOT_LABEL = {"en": "Leave this field empty", "fr": "Laissez ce champ vide"}
HEAD = "head-product-management"


def stored_flags(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Application.flags).order_by(Application.id)))


def served_ago(app, seconds: float) -> str:
    """A submission token for a form served ``seconds`` ago."""
    return new_submission_token(app.secret_key, time.time() - seconds)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_honeypot_is_hidden_from_sight_and_keyboard_but_labelled(client, page, lang):
    form = page(client.get(FORM[lang]), lang=lang).soup.select_one("main form")
    field = form.select_one("input[name=website]")
    assert field["autocomplete"] == "off" and field["tabindex"] == "-1"
    assert field.get("type", "text") == "text" and not field.get("value")
    label = form.select_one(f"label[for={field['id']}]")
    assert label.get_text(strip=True) == HONEYPOT_LABEL[lang]
    # Hidden by the stylesheet's visually-hidden class (screen readers still read the label).
    assert "visually-hidden" in field.find_parent("div")["class"]
    assert form.find("script") is None


def test_a_form_filled_in_like_a_person_has_no_flag(db_app, application_form):
    client = db_app.test_client()
    data = application_form(client, FORM["en"], submission_token=served_ago(db_app, 60))
    assert client.post(FORM["en"], data=data).status_code == 303
    assert stored_flags(db_app) == [""]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_filled_honeypot_is_stored_with_its_flag_not_refused(db_app, application_form, lang):
    client = db_app.test_client()
    data = application_form(
        client, FORM[lang], website="https://spam.example", submission_token=served_ago(db_app, 60)
    )
    response = client.post(FORM[lang], data=data)
    assert response.status_code == 303  # the confirmation, as for anyone
    assert stored_flags(db_app) == ["honeypot"]


@pytest.mark.parametrize(
    ("minimum", "seconds_ago", "flags"),
    [(5, 0, "too_fast"), (5, 60, ""), (120, 60, "too_fast"), (0, 0, "")],
)
def test_a_form_sent_sooner_than_the_minimum_is_flagged(
    db_app, application_form, minimum, seconds_ago, flags
):
    db_app.config["PORTAL_MIN_FILL_SECONDS"] = minimum
    client = db_app.test_client()
    data = application_form(client, FORM["en"], submission_token=served_ago(db_app, seconds_ago))
    assert client.post(FORM["en"], data=data).status_code == 303
    assert stored_flags(db_app) == [flags]


def test_the_form_served_carries_its_time_signed(db_app):
    before = time.time()
    page = db_app.test_client().get(FORM["en"]).get_data(as_text=True)
    token = form_tokens(page)["submission_token"]
    assert len(token) <= 64
    assert int(before) <= served_at(token, db_app.secret_key).timestamp() <= time.time()
    assert served_at(token, "another key") is None


@pytest.mark.parametrize(
    "token",
    [
        "aZ3" * 10,  # an old token: no time in it
        "not.signed.atall",
        "é" * 30,
        "x" * 64,
        "..",
    ],
)
def test_a_missing_or_tampered_time_counts_as_too_fast(db_app, application_form, token):
    db_app.config["PORTAL_MIN_FILL_SECONDS"] = 0
    client = db_app.test_client()
    data = application_form(client, FORM["en"], submission_token=token, website="filled")
    assert client.post(FORM["en"], data=data).status_code == 303
    assert stored_flags(db_app) == ["honeypot,too_fast"]


def test_a_time_moved_back_by_hand_is_refused_as_too_fast(db_app, application_form):
    client = db_app.test_client()
    real = served_ago(db_app, 0)
    value, _stamp, signature = real.split(".")
    old = served_ago(db_app, 3600).split(".")[1]
    data = application_form(client, FORM["en"], submission_token=f"{value}.{old}.{signature}")
    assert client.post(FORM["en"], data=data).status_code == 303
    assert stored_flags(db_app) == ["too_fast"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_staff_see_the_flags_and_what_they_mean(db_app, staff, application_form, lang):
    client = db_app.test_client()
    bot = application_form(client, FORM["en"], website="x", submission_token=served_ago(db_app, 0))
    assert client.post(FORM["en"], data=bot).status_code == 303
    person = application_form(
        client,
        FORM["en"],
        full_name="Paula Person",
        email="paula@example.ca",
        submission_token=served_ago(db_app, 60),
    )
    assert client.post(FORM["en"], data=person).status_code == 303
    with db_app.app_context():
        ids = {a.full_name: a.id for a in db.session.scalars(select(Application))}

    admin = staff.client(staff.admin)
    listing = parse_page(
        admin.get(f"/{lang}/{'staff/postings' if lang == 'en' else 'personnel/offres'}/{HEAD}/")
    )
    names = {
        row.select_one("th a").get_text(strip=True): row.select_one("th").get_text(" ", strip=True)
        for row in listing.soup.select("table.data-table tbody tr")
    }
    expected = {
        "en": "Possibly automated: Hidden field filled in, Sent too fast",
        "fr": "Peut-être automatisée\u00a0: Champ caché rempli, Envoyée trop vite",
    }[lang]
    assert names["Ada Tremblay"].endswith(expected)
    assert names["Paula Person"] == "Paula Person"

    base = "/en/staff/applications" if lang == "en" else "/fr/personnel/candidatures"
    flagged = parse_page(admin.get(f"{base}/{ids['Ada Tremblay']}/"), lang=lang)
    notice = flagged.soup.select_one("#flags").get_text(" ", strip=True)
    meanings = {
        "en": ("Hidden field filled in: A field that people do not see", "Sent too fast: The form was sent"),
        "fr": (
            "Champ caché rempli\u00a0: Un champ que les personnes",
            "Envoyée trop vite\u00a0: Le formulaire",
        ),
    }[lang]
    assert all(meaning in notice for meaning in meanings)
    assert parse_page(admin.get(f"{base}/{ids['Paula Person']}/")).soup.select_one("#flags") is None

    export = admin.get(
        f"/{lang}/{'staff/postings' if lang == 'en' else 'personnel/offres'}/{HEAD}/export.csv"
    )
    text = export.get_data()[len(codecs.BOM_UTF8) :].decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    column = header.index({"en": "Signs of automation", "fr": "Signes d’automatisation"}[lang])
    by_name = {row[2]: row[column] for row in rows}
    assert by_name == {
        "Ada Tremblay": {
            "en": "Hidden field filled in; Sent too fast",
            "fr": "Champ caché rempli; Envoyée trop vite",
        }[lang],
        "Paula Person": "",
    }


@pytest.mark.parametrize("value", ["soon", -1, 86400, None])
def test_a_minimum_fill_time_that_is_not_a_number_of_seconds_is_refused(make_app, value):
    with pytest.raises(ConfigurationError, match="PORTAL_MIN_FILL_SECONDS"):
        make_app(PORTAL_MIN_FILL_SECONDS=value)
