"""Configuration: defaults, environment, test settings, and refusing unsafe ones."""

import pytest

from portal import create_app
from portal.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, environment_overrides


def test_refuses_development_secret_key_outside_debug_and_testing(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_starts_with_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    app = create_app()
    assert app.config["SECRET_KEY"] == "a" * 64


def test_debug_allows_the_development_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app().config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY


def test_environment_then_test_config():
    overrides = environment_overrides({
        "PORTAL_CONTENT_DIR": "/srv/content",
        "DATABASE_URL": "postgresql://db/portal",
        "PORTAL_PAGE_MAX_AGE": "300",
        "PORTAL_ORGANISATION_NAME__fr": "Agence",
        "UNRELATED": "x",
    })
    assert overrides["PORTAL_CONTENT_DIR"] == "/srv/content"
    assert overrides["DATABASE_URL"] == "postgresql://db/portal"
    assert overrides["PORTAL_PAGE_MAX_AGE"] == 300
    assert overrides["PORTAL_ORGANISATION_NAME"]["fr"] == "Agence"
    assert overrides["PORTAL_ORGANISATION_NAME"]["en"] == "Northern Digital Service"
    assert "UNRELATED" not in overrides


def test_test_config_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_PAGE_MAX_AGE", "300")
    app = create_app({"TESTING": True, "PORTAL_PAGE_MAX_AGE": 5})
    assert app.config["PORTAL_PAGE_MAX_AGE"] == 5


def test_organisation_name_is_configurable_per_language(make_app, page):
    client = make_app(PORTAL_ORGANISATION_NAME={"en": "Agency of Examples", "fr": "Agence des exemples"}).test_client()
    assert "Agence des exemples" in page(client.get("/fr/")).soup.title.get_text()
    assert page(client.get("/en/")).soup.select_one(".site-header__brand").get_text() == "Agency of Examples"


@pytest.mark.parametrize("settings", [
    {"PORTAL_DEFAULT_LANGUAGE": "de"},
    {"PORTAL_LANGUAGES": {}},
    {"PORTAL_ORGANISATION_NAME": {"en": "Only English"}},
])
def test_inconsistent_settings_are_refused(make_app, settings):
    with pytest.raises(ConfigurationError):
        make_app(**settings)


def test_a_language_without_its_url_words_is_refused(make_app):
    languages = {"en": {"name": "English", "paths": {"jobs": "jobs"}}}
    with pytest.raises(ConfigurationError, match="blog"):
        make_app(PORTAL_LANGUAGES=languages, PORTAL_ORGANISATION_NAME={"en": "X"})
