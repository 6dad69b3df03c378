"""Configuration: defaults, environment, test settings, and refusing unsafe ones."""

import pytest

from portal import create_app
from portal.domain.mail import reply_address
from portal.plumbing.config import SECRET_KEY_FILE, ConfigurationError, environment_overrides, mail_from


@pytest.fixture
def no_secret(monkeypatch, tmp_path):
    """No SECRET_KEY in the environment and an instance folder without a key file."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_production_without_any_secret_is_refused_with_what_to_do(no_secret):
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert "SECRET_KEY" in str(refused.value) and "scripts/setup" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_secret_written_by_setup_is_read_from_the_instance_folder(no_secret):
    no_secret.mkdir()
    (no_secret / SECRET_KEY_FILE).write_text("b" * 64 + "\n")
    app = create_app()
    assert app.config["SECRET_KEY"] == "b" * 64
    assert app.instance_path == str(no_secret)


def test_the_environment_secret_wins_over_the_instance_file(no_secret, monkeypatch):
    no_secret.mkdir()
    (no_secret / SECRET_KEY_FILE).write_text("b" * 64)
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    assert create_app().config["SECRET_KEY"] == "a" * 64


def test_servers_sharing_a_database_server_need_the_secret_from_the_environment(no_secret, monkeypatch):
    """Each machine's own instance key would sign sessions the others refuse."""
    no_secret.mkdir()
    (no_secret / SECRET_KEY_FILE).write_text("b" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db.internal:5432/portal")
    with pytest.raises(ConfigurationError, match="same long random value on every server"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    assert create_app().config["SECRET_KEY"] == "a" * 64


def test_debug_without_a_secret_gets_a_random_one_per_process(no_secret, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    first, second = create_app().config["SECRET_KEY"], create_app().config["SECRET_KEY"]
    assert len(first) >= 64 and first != second
    assert not (no_secret / SECRET_KEY_FILE).exists()


def test_no_known_development_key_exists(no_secret, monkeypatch):
    """The old fixed development key is gone: two test apps never share a key."""
    assert (
        create_app({"TESTING": True}).config["SECRET_KEY"]
        != create_app({"TESTING": True}).config["SECRET_KEY"]
    )


@pytest.mark.parametrize("setting", ["PORTAL_RETENTION_PERIOD", "PORTAL_RETENTION_CONSENTED_PERIOD"])
def test_a_retention_period_that_is_not_a_period_is_refused(make_app, setting):
    with pytest.raises(ConfigurationError, match=setting):
        make_app(**{setting: "two years"})


def test_environment_then_test_config():
    overrides = environment_overrides(
        {
            "PORTAL_CONTENT_DIR": "/srv/content",
            "DATABASE_URL": "postgresql://db/portal",
            "PORTAL_PAGE_MAX_AGE": "300",
            "PORTAL_ORGANISATION_NAME__fr": "Agence",
            "UNRELATED": "x",
        }
    )
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
    client = make_app(
        PORTAL_ORGANISATION_NAME={"en": "Agency of Examples", "fr": "Agence des exemples"}
    ).test_client()
    assert "Agence des exemples" in page(client.get("/fr/")).soup.title.get_text()
    assert page(client.get("/en/")).soup.select_one(".site-header__brand").get_text() == "Agency of Examples"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"PORTAL_TIMEZONE": "Mars/Olympus_Mons"}, "PORTAL_TIMEZONE"),
        ({"DATABASE_URL": "not a url at all"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/portal"}, "DATABASE_URL"),
    ],
)
def test_a_setting_that_names_nothing_usable_is_refused_by_name(make_app, settings, named):
    with pytest.raises(ConfigurationError, match=named):
        make_app(**settings)


@pytest.mark.parametrize(
    "settings",
    [
        {"PORTAL_DEFAULT_LANGUAGE": "de"},
        {"PORTAL_LANGUAGES": {}},
        {"PORTAL_ORGANISATION_NAME": {"en": "Only English"}},
    ],
)
def test_inconsistent_settings_are_refused(make_app, settings):
    with pytest.raises(ConfigurationError):
        make_app(**settings)


def test_a_language_without_its_url_words_is_refused(make_app):
    languages = {"en": {"name": "English", "paths": {"jobs": "jobs"}}}
    with pytest.raises(ConfigurationError, match="blog"):
        make_app(PORTAL_LANGUAGES=languages, PORTAL_ORGANISATION_NAME={"en": "X"})


@pytest.mark.parametrize(
    ("environ", "senders"),
    [
        ({}, ("Careers <careers@nds-snn.example>", "Carrières <carrieres@nds-snn.example>")),
        (
            {"PORTAL_MAIL_FROM": "Jobs <jobs@example.ca>"},
            ("Jobs <jobs@example.ca>", "Jobs <jobs@example.ca>"),
        ),
        (
            {"PORTAL_MAIL_FROM__fr": "Emplois <emplois@example.ca>"},
            ("Careers <careers@nds-snn.example>", "Emplois <emplois@example.ca>"),
        ),
        (
            # The key lands on top of the whole setting, whatever the order.
            {
                "PORTAL_MAIL_FROM__fr": "Emplois <emplois@example.ca>",
                "PORTAL_MAIL_FROM": "Jobs <jobs@example.ca>",
            },
            ("Jobs <jobs@example.ca>", "Emplois <emplois@example.ca>"),
        ),
        (
            {"PORTAL_MAIL_FROM": '{"en": "Jobs <jobs@example.ca>", "fr": "Emplois <emplois@example.ca>"}'},
            ("Jobs <jobs@example.ca>", "Emplois <emplois@example.ca>"),
        ),
    ],
)
def test_the_mail_sender_is_set_per_language(make_app, environ, senders):
    app = make_app(**environment_overrides(environ))
    assert (mail_from(app.config, "en"), mail_from(app.config, "fr")) == senders


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"en": "Careers <careers@example.ca>"}, "PORTAL_MAIL_FROM has no sender for language 'fr'"),
        ("careers", "PORTAL_MAIL_FROM for language 'en' is not an address"),
        (
            {"en": "Careers <careers@example.ca>", "fr": ""},
            "PORTAL_MAIL_FROM for language 'fr' is not an address",
        ),
        (["careers@example.ca"], "PORTAL_MAIL_FROM must be a sender"),
    ],
)
def test_a_mail_sender_missing_or_unusable_is_refused_at_start(make_app, setting, message):
    with pytest.raises(ConfigurationError, match=message):
        make_app(PORTAL_MAIL_FROM=setting)


@pytest.mark.parametrize(
    ("environ", "replies"),
    [
        ({}, ("", "")),
        ({"PORTAL_MAIL_REPLY_TO": "Hiring <hiring@example.ca>"}, ("Hiring <hiring@example.ca>",) * 2),
        ({"PORTAL_MAIL_REPLY_TO__fr": "embauche@example.ca"}, ("", "embauche@example.ca")),
    ],
)
def test_the_reply_address_is_optional_and_set_per_language(make_app, environ, replies):
    app = make_app(**environment_overrides(environ))
    assert (reply_address(app.config, "en"), reply_address(app.config, "fr")) == replies


def test_a_reply_address_that_is_not_one_is_refused_at_start(make_app):
    with pytest.raises(ConfigurationError, match="PORTAL_MAIL_REPLY_TO is not an address"):
        make_app(PORTAL_MAIL_REPLY_TO={"en": "hiring", "fr": ""})
