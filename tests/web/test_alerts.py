"""Job alert pages as a candidate meets them, in both languages: the link on
the jobs list (which stays public and cacheable), the sign-up form and its
errors, the confirmation page, managing, one-click unsubscribe, broken and
expired links, private caching and headers, and the rate limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from portal.domain.models import JobAlert, OutboxEmail
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf
from tests.web.test_french import assert_good_french, french_text

LANGS = ["en", "fr"]
OTHER = {"en": "fr", "fr": "en"}
JOBS = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
ALERTS = {"en": "/en/job-alerts/", "fr": "/fr/alertes-emploi/"}
#: Each alert page's URL word, by language.
WORDS = {
    "new": {"en": "new", "fr": "nouvelle"},
    "confirm": {"en": "confirm", "fr": "confirmer"},
    "manage": {"en": "manage", "fr": "gerer"},
    "unsubscribe": {"en": "unsubscribe", "fr": "desabonnement"},
}
NEW = {lang: ALERTS[lang] + WORDS["new"][lang] for lang in LANGS}
HEADINGS = {
    "subscribe": {"en": "Get new jobs by email", "fr": "Recevoir les nouveaux emplois par courriel"},
    "requested": {"en": "Check your email", "fr": "Consultez vos courriels"},
    "confirm": {"en": "Confirm your job alert", "fr": "Confirmez votre alerte-emploi"},
    "manage": {"en": "Your job alert", "fr": "Votre alerte-emploi"},
    "unsubscribe": {"en": "Unsubscribe from job alerts", "fr": "Se désabonner des alertes-emploi"},
    "unsubscribed": {"en": "Your job alert is cancelled", "fr": "Votre alerte-emploi est annulée"},
    "unknown": {"en": "This link does not work", "fr": "Ce lien ne fonctionne pas"},
    "expired": {"en": "This link has expired", "fr": "Ce lien a expiré"},
}
NO_EMAIL = {"en": "Enter your email address", "fr": "Entrez votre adresse courriel"}
BAD_EMAIL = {
    "en": "Enter an email address in the correct format, like name@example.com",
    "fr": "Entrez une adresse courriel valide, par exemple nom@example.com",
}


@pytest.fixture
def alerts_app(db_app):
    return db_app


def alerts_stored(app) -> list[JobAlert]:
    with app.app_context():
        rows = list(db.session.scalars(select(JobAlert).order_by(JobAlert.id)))
        db.session.expunge_all()
        return rows


def emails(app) -> list[OutboxEmail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
        db.session.expunge_all()
        return rows


def ask(client, url: str, email: str = "ada@example.ca", **fields):
    """Fill in and send the sign-up form at ``url``."""
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": form_tokens_csrf(page.get_data(as_text=True)), "email": email, **fields}
    return client.post(url, data=data)


def link_path(email: OutboxEmail, page: str) -> str:
    """Return the path and query of the link to ``page`` in an email."""
    words = "|".join(WORDS[page].values())
    return re.search(rf"https?://[^/\s]+(/\S+/(?:{words})\?token=[\w-]+)", email.body_text).group(1)


def swap(path: str, page: str, other: str, lang: str) -> str:
    """Return the path of another alert page with the same token."""
    return path.replace(f"/{WORDS[page][lang]}?", f"/{WORDS[other][lang]}?")


def confirmed(app, client, lang: str = "en") -> str:
    """Subscribe and confirm through the pages; return the manage page's path."""
    assert ask(client, NEW[lang], language=lang).status_code == 303
    confirm_path = link_path(emails(app)[-1], "confirm")
    page = client.get(confirm_path).get_data(as_text=True)
    response = client.post(confirm_path, data={"csrf_token": form_tokens_csrf(page)})
    assert response.status_code == 303
    return swap(confirm_path, "confirm", "manage", lang)


def assert_private(response) -> None:
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


# 1. From the jobs list -------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_jobs_list_links_to_alerts_for_its_search_and_stays_cacheable(client, page, lang):
    result = page(client.get(JOBS[lang] + "?q=python&where=ON&sort=closing"), lang=lang)
    link = result.soup.select_one(".alert-signup a")
    assert link["href"] == NEW[lang] + "?q=python&where=ON"
    assert "Set-Cookie" not in result.response.headers
    assert result.response.cache_control.public
    everything = page(client.get(JOBS[lang]), lang=lang).soup.select_one(".alert-signup a")
    assert everything["href"] == NEW[lang]
    assert everything.get_text(strip=True) != link.get_text(strip=True)


# 2. Signing up ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_sign_up_page_offers_the_search_and_the_page_language(alerts_app, page, lang):
    client = alerts_app.test_client()
    response = client.get(NEW[lang] + "?q=python&where=ON")
    result = page(response, lang=lang)
    assert result.h1 == HEADINGS["subscribe"][lang]
    assert result.soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert result.soup.find("input", id=f"language-{['en', 'fr'].index(lang)}").has_attr("checked")
    assert result.soup.find("input", id="use_filters").has_attr("checked")
    assert "python" in result.soup.find(id="use_filters-hint").get_text()
    assert_private(response)
    # The toggle keeps the search.
    assert result.toggle()[OTHER[lang]] == NEW[OTHER[lang]] + "?q=python&where=ON"
    # Without a search there is nothing to keep.
    assert page(client.get(NEW[lang]), lang=lang).soup.find("input", id="use_filters") is None


@pytest.mark.parametrize("lang", LANGS)
def test_signing_up_emails_a_confirmation_in_the_chosen_language_and_nothing_else(alerts_app, page, lang):
    client = alerts_app.test_client()
    response = ask(client, NEW[lang] + "?q=python", language=OTHER[lang], use_filters="y")
    assert response.status_code == 303
    assert response.headers["Location"] == ALERTS[lang]
    assert page(client.get(ALERTS[lang]), lang=lang).h1 == HEADINGS["requested"][lang]
    (alert,) = alerts_stored(alerts_app)
    assert (alert.email, alert.language, alert.filters, alert.confirmed_at) == (
        "ada@example.ca",
        OTHER[lang],
        '{"q": "python"}',
        None,
    )
    (email,) = emails(alerts_app)
    assert email.language == OTHER[lang]
    assert email.subject == HEADINGS["confirm"][OTHER[lang]]
    assert f"{ALERTS[OTHER[lang]]}{WORDS['confirm'][OTHER[lang]]}?token=" in email.body_text


def test_unticking_the_search_subscribes_to_every_new_job(alerts_app):
    client = alerts_app.test_client()
    assert ask(client, NEW["en"] + "?q=python", language="en").status_code == 303
    assert [alert.filters for alert in alerts_stored(alerts_app)] == ["{}"]


@pytest.mark.parametrize("lang", LANGS)
def test_asking_twice_looks_the_same_and_stores_one_subscription(alerts_app, lang):
    client = alerts_app.test_client()
    first = ask(client, NEW[lang], language=lang)
    second = ask(client, NEW[lang], email="ADA@example.ca", language=lang)
    assert (first.status_code, first.headers["Location"]) == (second.status_code, second.headers["Location"])
    assert len(alerts_stored(alerts_app)) == 1
    assert len(emails(alerts_app)) == 2


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("address", ["not-an-address", "ada@", ""])
def test_a_bad_address_is_explained_in_the_page_language_and_nothing_is_stored(
    alerts_app, page, lang, address
):
    client = alerts_app.test_client()
    result = page(ask(client, NEW[lang], email=address, language=lang), lang=lang)
    summary = result.soup.select_one(".error-summary a[href='#email']").get_text(" ", strip=True)
    assert summary == (BAD_EMAIL if address else NO_EMAIL)[lang]
    assert result.soup.find("input", id="email")["aria-invalid"] == "true"
    assert alerts_stored(alerts_app) == [] and emails(alerts_app) == []


# 3. Confirming and managing -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_opening_the_link_confirms_nothing_until_the_button_is_pressed(alerts_app, page, lang):
    client = alerts_app.test_client()
    ask(client, NEW[lang] + "?where=ON", language=lang, use_filters="y")
    confirm_path = link_path(emails(alerts_app)[0], "confirm")
    opened = client.get(confirm_path)
    result = page(opened, lang=lang)
    assert result.h1 == HEADINGS["confirm"][lang]
    assert "ada@example.ca" in result.text and "Ontario" in result.text
    assert_private(opened)
    assert alerts_stored(alerts_app)[0].confirmed_at is None
    # The toggle keeps the link.
    assert "token=" in result.toggle()[OTHER[lang]]
    response = client.post(confirm_path, data={"csrf_token": form_tokens_csrf(opened.get_data(as_text=True))})
    assert response.status_code == 303
    assert alerts_stored(alerts_app)[0].confirmed_at is not None
    manage = page(client.get(response.headers["Location"]), lang=lang)
    assert manage.h1 == HEADINGS["manage"][lang]
    assert manage.soup.select_one("p.notice[role=status]") is not None


@pytest.mark.parametrize("lang", LANGS)
def test_the_manage_page_changes_the_language_and_drops_the_search(alerts_app, page, lang):
    client = alerts_app.test_client()
    manage_path = confirmed(alerts_app, client, lang)
    html = client.get(manage_path).get_data(as_text=True)
    response = client.post(manage_path, data={"csrf_token": form_tokens_csrf(html), "language": OTHER[lang]})
    assert response.status_code == 303
    (alert,) = alerts_stored(alerts_app)
    assert alert.language == OTHER[lang]
    assert page(client.get(response.headers["Location"]), lang=lang).soup.select_one("p.notice") is not None


@pytest.mark.parametrize("lang", LANGS)
def test_a_broken_link_and_an_expired_one_say_so(alerts_app, page, lang):
    client = alerts_app.test_client()
    unknown = page(client.get(ALERTS[lang] + WORDS["manage"][lang] + "?token=nothing"), status=404, lang=lang)
    assert unknown.h1 == HEADINGS["unknown"][lang]
    ask(client, NEW[lang], language=lang)
    with alerts_app.app_context():
        db.session.execute(update(JobAlert).values(requested_at=datetime.now(UTC) - timedelta(days=8)))
        db.session.commit()
    expired = page(client.get(link_path(emails(alerts_app)[0], "confirm")), status=410, lang=lang)
    assert expired.h1 == HEADINGS["expired"][lang]


# 4. Unsubscribing -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_unsubscribe_link_shows_a_button_and_one_click_post_deletes(alerts_app, page, lang):
    client = alerts_app.test_client()
    manage_path = confirmed(alerts_app, client, lang)
    unsubscribe_path = swap(manage_path, "manage", "unsubscribe", lang)
    # A link scanner opening the URL unsubscribes nobody.
    opened = client.get(unsubscribe_path)
    assert page(opened, lang=lang).h1 == HEADINGS["unsubscribe"][lang]
    assert_private(opened)
    assert len(alerts_stored(alerts_app)) == 1
    # RFC 8058: what a mail provider sends, from a fresh client, without any token of ours.
    provider = alerts_app.test_client()
    response = provider.post(unsubscribe_path, data={"List-Unsubscribe": "One-Click"})
    assert page(response, lang=lang).h1 == HEADINGS["unsubscribed"][lang]
    assert alerts_stored(alerts_app) == []
    # Again: harmless.
    assert provider.post(unsubscribe_path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    gone = page(client.get(manage_path), status=404, lang=lang)
    assert gone.h1 == HEADINGS["unknown"][lang]


def test_other_alert_forms_still_need_their_csrf_token(alerts_app):
    client = alerts_app.test_client()
    client.get(NEW["en"])
    response = client.post(NEW["en"], data={"email": "ada@example.ca", "language": "en"})
    assert response.status_code == 400
    assert alerts_stored(alerts_app) == []


# 5. Rate limit --------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "heading"), [("en", "Too many attempts"), ("fr", "Trop de tentatives")])
def test_sign_ups_are_rate_limited_like_the_application_form(make_app, database_url, page, lang, heading):
    app = make_app(DATABASE_URL=database_url, RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for number in range(2):
        assert ask(client, NEW[lang], email=f"a{number}@example.ca", language=lang).status_code == 303
    result = page(ask(client, NEW[lang], email="a3@example.ca", language=lang), status=429, lang=lang)
    assert result.h1 == heading
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobAlert)) == 2
    # Mail providers send many one-click unsubscribes from one address.
    for _ in range(3):
        assert (
            client.post(
                ALERTS[lang] + WORDS["unsubscribe"][lang] + "?token=x", data={"List-Unsubscribe": "One-Click"}
            ).status_code
            == 200
        )


# 6. French ------------------------------------------------------------------------------


def test_every_french_alert_page_meets_the_house_rules(alerts_app):
    client = alerts_app.test_client()
    pages = {"sign-up": client.get(NEW["fr"] + "?q=python&where=ON")}
    pages["bad address"] = ask(client, NEW["fr"], email="ada@", language="fr")
    manage_path = confirmed(alerts_app, client, "fr")
    pages["requested"] = client.get(ALERTS["fr"])
    pages["manage"] = client.get(manage_path + "&done=confirmed")
    unsubscribe_path = manage_path.replace("/gerer?", "/desabonnement?")
    pages["unsubscribe"] = client.get(unsubscribe_path)
    pages["unsubscribed"] = client.post(unsubscribe_path)
    pages["unknown link"] = client.get(manage_path)
    for name, response in pages.items():
        assert_good_french(french_text(response.get_data(as_text=True)), name)
