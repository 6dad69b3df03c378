"""The length caps of the application form (portal.domain.limits): a value at
its cap is stored whole, one character more is refused beside the field, in
the candidate's language, and nothing is stored. On PostgreSQL, the stored
value at the cap also proves the column is wide enough."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from sqlalchemy import select

from portal.domain import limits
from portal.domain.models import Application, ApplicationLink, ScreeningAnswer
from portal.plumbing.db import db
from tests.web.apply.test_form import ACCESSIBILITY_FORM, FORM, assert_error_shown, error_messages, stored

LOCALE = {"en": "en_CA", "fr": "fr_CA"}
LINK_START = "https://example.org/"


def value_of(field: str, length: int) -> str:
    """Return a valid value of ``field`` exactly ``length`` characters long."""
    if field == "phone":
        return "6" * length
    if field == "link_1":
        return LINK_START + "a" * (length - len(LINK_START))
    if field == "email":
        return "a" * (length - len("@example.ca")) + "@example.ca"
    # One long "word": the word limit of "about" does not stop it.
    return "x" * length


#: field: (form, cap, how to read the stored value)
FIELDS = {
    "full_name": (FORM, limits.FULL_NAME, lambda a: a.full_name),
    "phone": (FORM, limits.PHONE, lambda a: a.phone),
    "pronouns": (FORM, limits.PRONOUNS, lambda a: a.pronouns),
    "about": (FORM, limits.ABOUT, lambda a: a.about),
    "accommodation": (FORM, limits.ACCOMMODATION, lambda a: a.accommodation),
    "link_1": (FORM, limits.LINK, lambda a: a.links[0].url),
    "question_0": (ACCESSIBILITY_FORM, limits.TEXT_ANSWER, lambda a: a.answers[0].answer),
}


def expected_message(lang: str, limit: int, count: int) -> str:
    number = {n: format_decimal(n, locale=LOCALE[lang]) for n in (limit, count)}
    return {
        "en": f"Use {number[limit]} characters or fewer (you used {number[count]})",
        "fr": f"Utilisez au plus {number[limit]} caractères (vous en avez utilisé {number[count]})",
    }[lang]


@pytest.mark.parametrize("field", list(FIELDS))
def test_a_value_at_its_cap_is_stored_whole(db_app, application_form, field):
    form, cap, read = FIELDS[field]
    client = db_app.test_client()
    value = value_of(field, cap)
    response = client.post(form["en"], data=application_form(client, form["en"], **{field: value}))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    with db_app.app_context():
        assert read(db.session.scalars(select(Application)).one()) == value


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("field", [*FIELDS, "email"])
def test_one_character_over_the_cap_is_refused_beside_the_field(db_app, application_form, page, field, lang):
    form, cap, _read = FIELDS.get(field, (FORM, limits.EMAIL, None))
    client = db_app.test_client()
    data = application_form(client, form[lang], **{field: value_of(field, cap + 1)})
    result = page(client.post(form[lang], data=data), lang=lang)
    assert list(error_messages(result.response)) == [field]
    assert assert_error_shown(result, field) == expected_message(lang, cap, cap + 1)
    assert stored(db_app) == 0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_half_a_megabyte_of_one_word_about_yourself_is_refused(db_app, application_form, page, lang):
    """The attack that found the gap: 499,000 characters are one "word"."""
    client = db_app.test_client()
    data = application_form(client, FORM[lang], about="x" * 499_000)
    result = page(client.post(FORM[lang], data=data), lang=lang)
    assert assert_error_shown(result, "about") == expected_message(lang, limits.ABOUT, 499_000)
    assert stored(db_app) == 0 and stored(db_app, ApplicationLink) == 0
    assert stored(db_app, ScreeningAnswer) == 0


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("full_name", limits.FULL_NAME),
        ("email", limits.EMAIL),
        ("phone", limits.PHONE),
        ("pronouns", limits.PRONOUNS),
        ("accommodation", limits.ACCOMMODATION),
        ("link_1", limits.LINK),
        ("about", limits.ABOUT),
    ],
)
def test_the_browser_is_told_each_cap(client, page, field, limit):
    result = page(client.get(FORM["en"]), lang="en")
    assert result.soup.find(id=field)["maxlength"] == str(limit)


def test_too_many_words_are_counted_in_words_though_the_text_is_long(db_app, application_form, page):
    """The candidate is told "300 words": that is the message they get, not
    the character cap behind it."""
    client = db_app.test_client()
    about = " ".join(["paragraph"] * 600)
    assert len(about) > limits.ABOUT
    result = page(client.post(FORM["en"], data=application_form(client, FORM["en"], about=about)), lang="en")
    assert error_messages(result.response) == {
        "about": "Tell us about yourself (optional): use 300 words or fewer (you used 600)"
    }
    assert stored(db_app) == 0
