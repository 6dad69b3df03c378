"""The application form as a candidate meets it: the page in both languages,
every validation error, résumé checks, size limits, closed postings, CSRF,
rate limits and how screening answers are kept.

Storage itself (what rows an application makes, double posts, concurrency,
emails) is covered in test_applications.py.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from babel.units import format_unit
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.domain.models import Application, Resume, ScreeningAnswer
from portal.plumbing.config import DEFAULTS
from portal.plumbing.db import db
from tests.conftest import PDF, form_tokens

LANGS = ["en", "fr"]
OTHER = {"en": "fr", "fr": "en"}
NBSP = "\u00a0"
JOBS = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
LOCALE = {"en": "en_CA", "fr": "fr_CA"}
FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
TITLE = {"en": "Head of Product Management", "fr": "Cheffe ou chef de la gestion de produits"}
#: The posting whose only question is a required text question.
ACCESSIBILITY_FORM = {
    "en": "/en/jobs/accessibility-specialist/apply",
    "fr": "/fr/emplois/specialiste-de-l-accessibilite/postuler",
}
ARCHIVED_FORM = {
    "en": "/en/jobs/service-designer/apply",
    "fr": "/fr/emplois/conceptrice-ou-concepteur-de-services/postuler",
}
ARCHIVED_TITLE = {"en": "Service Designer", "fr": "Conceptrice ou concepteur de services"}
APPLY_HEADING = {"en": "Apply: {title}", "fr": "Postuler" + NBSP + ": {title}"}
CLOSED_HEADING = {"en": "Applications are closed", "fr": "La période de candidature est terminée"}


# Helpers ---------------------------------------------------------------------


def stored(app, model=Application) -> int:
    """Count the rows of ``model``."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "lxml")


def words(count: int) -> str:
    return " ".join(f"word{n}" for n in range(count))


def upload(content: bytes, filename: str):
    return (io.BytesIO(content), filename)


def field_container(element):
    """Return the ``.field`` block that holds ``element`` (label, hint, error, control)."""
    return element.find_parent(class_="field")


def assert_error_shown(result, field_id: str) -> str:
    """Check that ``field_id`` is in error the accessible way; return its message.

    The summary links to the field, the message sits in the field's block
    with id ``<id>-error``, and the control (or its radio group) says it is
    invalid and is described by the message.
    """
    summary = result.soup.select_one(".error-summary")
    assert summary is not None, "no error summary"
    links = {a["href"]: a.get_text(" ", strip=True) for a in summary.select("a")}
    assert f"#{field_id}" in links, links
    summary_message = links[f"#{field_id}"]
    assert summary_message

    target = result.soup.find(id=field_id)
    assert target is not None, f"the summary links to #{field_id}, which is not on the page"
    message = result.soup.find(id=f"{field_id}-error")
    assert message is not None and message.name == "p" and "error-message" in message["class"]
    # Beside the field the message is short; the summary names the field first
    # ("Full name: enter your full name"), see test_kept_resume.py.
    short = "".join(message.find_all(string=True, recursive=False)).strip()
    assert summary_message.endswith(short[1:]) and summary_message != short
    # Beside the field: in the same block as the control.
    assert target in field_container(message).descendants or field_container(message) is target
    assert "field--error" in field_container(message)["class"]

    if target.name == "fieldset":  # a radio group
        assert f"{field_id}-error" in target["aria-describedby"].split()
        radios = target.select("input[type=radio]")
        assert radios and all(radio.get("aria-invalid") == "true" for radio in radios)
    elif field_id.startswith("equity_"):
        # The employment equity checkboxes: their group is described by the message.
        group = target.find_parent("fieldset")
        assert f"{field_id}-error" in group["aria-describedby"].split()
    else:
        assert target.get("aria-invalid") == "true"
        assert f"{field_id}-error" in target.get("aria-describedby", "").split()
    return short


def error_messages(response) -> dict[str, str]:
    """Return the error summary's messages by field id."""
    return {
        a["href"].lstrip("#"): a.get_text(" ", strip=True)
        for a in soup_of(response).select(".error-summary a")
    }


def browser_data(soup: BeautifulSoup) -> dict:
    """Return what a browser without JavaScript sends for the form as rendered."""
    form = soup.find("form", method="post")
    data = {}
    for control in form.find_all(["input", "textarea"]):
        name = control.get("name")
        kind = control.get("type", "text")
        if not name or kind == "file":
            continue
        if control.name == "textarea":
            data[name] = control.get_text().removeprefix("\n")
        elif kind in ("checkbox", "radio"):
            if control.has_attr("checked"):
                data[name] = control.get("value", "on")
        else:
            data[name] = control.get("value", "")
    return data


# Minimal documents of each accepted type, built by content.

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
WORD_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Ada Tremblay</w:t></w:r></w:p></w:body></w:document>"
)
ODT_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
    "<office:body><office:text><text:p>Ada Tremblay</text:p></office:text></office:body>"
    "</office:document-content>"
)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELS)
        package.writestr("word/document.xml", WORD_DOCUMENT)
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        # The first entry, stored uncompressed, names the type.
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        package.writestr("content.xml", ODT_CONTENT, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip() -> bytes:
    """A ZIP archive that is no document package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "Ada Tremblay")
    return buffer.getvalue()


def doc() -> bytes:
    """An OLE2 compound file whose first sector is a Word document's (refused)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".ljust(512, b"\0")
    return (header + b"\xec\xa5\xc1\x00").ljust(1024, b"\0")


HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 200
TEXT = "Ada Tremblay — développeuse\nExpérience : 10 ans\n".encode()


@pytest.fixture
def build_app(make_app, database_url):
    """Return a factory of apps on the migrated test database, with settings."""

    def build(**settings):
        return make_app(**{"DATABASE_URL": database_url, "RATELIMIT_ENABLED": False, **settings})

    return build


def toronto_today():
    """Today where closing dates are read (the portal's time zone)."""
    return datetime.now(ZoneInfo(DEFAULTS["PORTAL_TIMEZONE"])).date()


def write_posting(content_tree, closing, archived: bool = False) -> dict:
    """Write a posting in both languages closing on ``closing``; return its files."""
    files = {}
    for lang, path, title in (
        ("en", "en/jobs/short-term-role.md", "Short-Term Role"),
        ("fr", "fr/emplois/poste-de-courte-duree.md", "Poste de courte durée"),
    ):
        files[lang] = content_tree(
            path,
            f"""
            ---
            layout: job-posting
            title: {title}
            translationKey: short-term-role
            closingDate: {closing.isoformat()}
            archived: {"true" if archived else "false"}
            ---
            A short posting.
            """,
        )
    return files


DATED_FORM = {"en": "/en/jobs/short-term-role/apply", "fr": "/fr/emplois/poste-de-courte-duree/postuler"}
DATED_TITLE = {"en": "Short-Term Role", "fr": "Poste de courte durée"}


# 1. The form page --------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_form_page_heading_language_and_toggle(client, page, lang):
    result = page(client.get(FORM[lang]), lang=lang)
    assert result.h1 == APPLY_HEADING[lang].format(title=TITLE[lang])
    assert result.toggle() == {OTHER[lang]: FORM[OTHER[lang]]}
    assert result.response.cache_control.no_store


@pytest.mark.parametrize("lang", LANGS)
def test_every_visible_control_has_a_label_or_legend(client, page, lang):
    form = page(client.get(FORM[lang]), lang=lang).soup.find("form", method="post")
    controls = [c for c in form.find_all(["input", "textarea", "select"]) if c.get("type") != "hidden"]
    assert len(controls) > 20
    for control in controls:
        label = form.find("label", attrs={"for": control.get("id")}) if control.get("id") else None
        fieldset = control.find_parent("fieldset")
        legend = fieldset.find("legend") if fieldset else None
        assert (label and label.get_text(strip=True)) or (legend and legend.get_text(strip=True)), control


@pytest.mark.parametrize(("lang", "limit_words"), [("en", "300 words"), ("fr", "300 mots")])
def test_word_limit_is_stated_beside_about(client, page, lang, limit_words):
    soup = page(client.get(FORM[lang]), lang=lang).soup
    about = soup.find(id="about")
    hint = soup.find(id="about-hint")
    assert hint is not None and "about-hint" in about["aria-describedby"].split()
    assert field_container(hint) is field_container(about)
    assert limit_words in hint.get_text(" ", strip=True)


@pytest.mark.parametrize(("lang", "size"), [("en", r"5\sMB"), ("fr", r"5\sMo")])
def test_file_types_and_size_limit_are_stated(client, page, lang, size):
    soup = page(client.get(FORM[lang]), lang=lang).soup
    resume = soup.find(id="resume")
    assert resume["type"] == "file"
    hint = soup.find(id="resume-hint")
    assert "resume-hint" in resume["aria-describedby"].split()
    text = hint.get_text(" ", strip=True)
    for kind in ("PDF", "DOCX", "ODT", "TXT"):
        assert kind in text
    assert "DOC," not in text, "legacy Word files are refused"
    assert "(.doc)" in text, "the hint says what to do with a legacy Word file"
    assert re.search(size, text), text


@pytest.mark.parametrize(
    ("lang", "title", "bank", "acknowledgement"),
    [
        ("en", "Privacy notice", "PSE 902", "I have read the privacy notice"),
        ("fr", "Avis de confidentialité", "POE 902", "J’ai lu l’avis de confidentialité"),
    ],
    ids=LANGS,
)
def test_privacy_notice_and_its_acknowledgement(client, page, lang, title, bank, acknowledgement):
    soup = page(client.get(FORM[lang]), lang=lang).soup
    assert soup.find(id="privacy-notice").get_text(strip=True) == title
    assert bank in soup.select_one(".privacy-notice").get_text(" ", strip=True)
    checkbox = soup.find(id="privacy_acknowledged")
    assert checkbox["type"] == "checkbox" and not checkbox.has_attr("checked")
    label = soup.find("label", attrs={"for": "privacy_acknowledged"})
    assert label.get_text(" ", strip=True).startswith(acknowledgement)


@pytest.mark.parametrize(
    ("settings", "kept", "consented"),
    [
        ({}, (2, "year"), (3, "year")),
        (
            {"PORTAL_RETENTION_PERIOD": "18m", "PORTAL_RETENTION_CONSENTED_PERIOD": "5y"},
            (18, "month"),
            (5, "year"),
        ),
    ],
)
@pytest.mark.parametrize("lang", LANGS)
def test_the_form_and_notice_say_the_configured_retention_periods(
    make_app, page, settings, lang, kept, consented
):
    """How long applications are kept comes from the configuration, said in the
    page's language (the words are Babel's, whatever its CLDR release)."""
    locale = {"en": "en_CA", "fr": "fr_CA"}[lang]

    def words(amount: int, unit: str) -> str:
        return " ".join(format_unit(amount, f"duration-{unit}", length="long", locale=locale).split())

    soup = page(make_app(**settings).test_client().get(FORM[lang]), lang=lang).soup
    hint = " ".join(soup.find(id="keep_for_future-hint").get_text(" ", strip=True).split())
    assert words(*kept) in hint and str(kept[0]) in hint
    notice = " ".join(soup.select_one(".privacy-notice").get_text(" ", strip=True).split())
    assert words(*kept) in notice and words(*consented) in notice
    assert "{" not in notice


@pytest.mark.parametrize(
    ("lang", "heading", "voluntary"),
    [
        ("en", "Employment equity (optional)", "voluntary"),
        ("fr", "Équité en matière d’emploi (facultatif)", "facultatives"),
    ],
    ids=LANGS,
)
def test_equity_section_is_optional_and_explained(client, page, lang, heading, voluntary):
    soup = page(client.get(FORM[lang]), lang=lang).soup
    assert heading in [h2.get_text(" ", strip=True) for h2 in soup.find_all("h2")]
    explanation = soup.find(id="equity-explanation")
    group = explanation.find_parent("fieldset")
    assert "equity-explanation" in group["aria-describedby"].split()
    assert voluntary in explanation.get_text(" ", strip=True).lower()
    boxes = group.select("input[type=checkbox]")
    assert len(boxes) == 5 and not any(box.has_attr("checked") for box in boxes)


@pytest.mark.parametrize("lang", LANGS)
def test_preferred_language_defaults_to_the_page_language(client, page, lang):
    group = page(client.get(FORM[lang]), lang=lang).soup.find(id="preferred_language")
    checked = [radio["value"] for radio in group.select("input[type=radio]") if radio.has_attr("checked")]
    assert checked == [lang]
    assert sorted(radio["value"] for radio in group.select("input[type=radio]")) == ["en", "fr"]


@pytest.mark.parametrize("lang", LANGS)
def test_french_and_english_forms_are_fully_translated(client, page, lang):
    """Every interface string of the form differs between the two languages
    (the posting's own questions aside): nothing is left untranslated."""
    ours = page(client.get(FORM[lang]), lang=lang).soup
    theirs = page(client.get(FORM[OTHER[lang]])).soup

    def interface_texts(soup):
        texts = {}
        for element in soup.select(
            "main label[for], main .hint[id], main legend, main h2, main button, main p.lead, main p.deadline"
        ):
            key = element.get("for") or element.get("id") or element.name
            if (
                key.startswith(("question_", "preferred_language-"))
                or element.find_parent("fieldset", id=re.compile("^question_"))
                or element.find_parent(class_="privacy-notice")
            ):
                continue
            texts.setdefault(key, []).append(element.get_text(" ", strip=True))
        return texts

    mine, other = interface_texts(ours), interface_texts(theirs)
    assert mine.keys() == other.keys()
    same = [
        (key, text) for key in mine for text, theirs_text in zip(mine[key], other[key]) if text == theirs_text
    ]
    assert same == [], f"untranslated on the {lang} form"


@pytest.mark.parametrize("lang", LANGS)
def test_form_needs_no_javascript(db_app, page, lang):
    client = db_app.test_client()
    response = client.get(FORM[lang])
    assert b"<script" not in response.data
    soup = page(response, lang=lang).soup
    form = soup.find("form", method="post")
    assert form["enctype"] == "multipart/form-data"
    assert form.get("action") in (None, "", FORM[lang])
    assert form.find("button", type="submit") is not None
    data = browser_data(soup)
    assert data["preferred_language"] == lang and "csrf_token" in data and "submission_token" in data
    data.update(
        full_name="Ada Tremblay",
        email="ada@example.ca",
        privacy_acknowledged="y",
        question_0="yes",
        question_1="none",
        resume=upload(PDF, "cv.pdf"),
    )
    response = client.post(FORM[lang], data=data)
    assert response.status_code == 303
    assert stored(db_app) == 1


# 2. Validation errors ------------------------------------------------------------


def fresh(overrides: dict) -> dict:
    """Return ``overrides`` with any file given as (bytes, name) made a new upload."""
    return {name: upload(*value) if isinstance(value, tuple) else value for name, value in overrides.items()}


#: (form, overrides, field in error, English message start); files as (bytes, name).
INVALID = {
    "missing name": (FORM, {"full_name": ""}, "full_name", "Enter your full name"),
    "name of only spaces": (FORM, {"full_name": "   "}, "full_name", "Enter your full name"),
    "missing email": (FORM, {"email": None}, "email", "Enter your email address"),
    "malformed email": (
        FORM,
        {"email": "ada.tremblay@@example"},
        "email",
        "Enter an email address in the correct format, like name@example.com",
    ),
    "email without domain": (
        FORM,
        {"email": "ada.tremblay"},
        "email",
        "Enter an email address in the correct format",
    ),
    "missing résumé": (FORM, {"resume": None}, "resume", "Choose your résumé file"),
    # What a browser sends when no file was chosen: an empty part with no file name.
    "résumé input left empty": (FORM, {"resume": (b"", "")}, "resume", "Choose your résumé file"),
    "privacy not acknowledged": (
        FORM,
        {"privacy_acknowledged": None},
        "privacy_acknowledged",
        "Confirm that you have read the privacy notice",
    ),
    "about over 300 words": (FORM, {"about": words(301)}, "about", "Use 300 words or fewer (you used 301)"),
    "javascript link": (
        FORM,
        {"link_1": "javascript:alert(document.cookie)"},
        "link_1",
        "Enter a link that starts with https:// or http://",
    ),
    "ftp link": (
        FORM,
        {"link_2": "ftp://example.org/cv.pdf"},
        "link_2",
        "Enter a link that starts with https:// or http://",
    ),
    "link without scheme": (
        FORM,
        {"link_3": "example.org/portfolio"},
        "link_3",
        "Enter a link that starts with https:// or http://",
    ),
    "yes-no question unanswered": (FORM, {"question_0": None}, "question_0", "Answer this question"),
    "choice question unanswered": (FORM, {"question_1": None}, "question_1", "Answer this question"),
    "required text question unanswered": (
        ACCESSIBILITY_FORM,
        {"question_0": ""},
        "question_0",
        "Answer this question",
    ),
    "required text answer of only spaces": (
        ACCESSIBILITY_FORM,
        {"question_0": "  \n  "},
        "question_0",
        "Answer this question",
    ),
    "choice not among the choices": (
        FORM,
        {"question_1": "a-thousand"},
        "question_1",
        "Choose one of the options",
    ),
    "yes-no answered maybe": (FORM, {"question_0": "maybe"}, "question_0", "Choose one of the options"),
    "unknown preferred language": (
        FORM,
        {"preferred_language": "de"},
        "preferred_language",
        "Choose one of the options",
    ),
    "preferred language missing": (
        FORM,
        {"preferred_language": None},
        "preferred_language",
        "Choose the language we should write to you in",
    ),
    "phone in words": (
        FORM,
        {"phone": "call me"},
        "phone",
        "Enter a phone number using digits, like 613-555-0123",
    ),
    "prefer not to answer with a group": (
        FORM,
        {"equity_prefer_not": "y", "equity_indigenous": "y"},
        "equity_prefer_not",
        "Choose “I prefer not to answer” alone, or the groups you belong to",
    ),
    # A browser sends "y" for a ticked box; anything else was made up.
    "equity group with a made-up value": (
        FORM,
        {"equity_woman": "banana"},
        "equity_prefer_not",
        "Choose from the groups listed, or “I prefer not to answer”",
    ),
    "equity group sent twice": (
        FORM,
        {"equity_disability": ["y", "y"]},
        "equity_prefer_not",
        "Choose from the groups listed, or “I prefer not to answer”",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_form_is_shown_again_with_the_error(db_app, application_form, page, case, lang):
    form, overrides, field_id, english = INVALID[case]
    client = db_app.test_client()
    data = application_form(
        client, form[lang], **{"about": "I build accessible services.", **fresh(overrides)}
    )
    response = client.post(form[lang], data=data)

    result = page(response, status=200, lang=lang)
    message = assert_error_shown(result, field_id)
    assert list(error_messages(result.response)) == [field_id], "only the faulty field is in error"
    if lang == "en":
        assert message.startswith(english)
    assert stored(db_app) == 0
    assert stored(db_app, Resume) == 0
    # What the candidate typed is kept, except the file.
    soup = result.soup
    if field_id != "full_name":
        assert soup.find(id="full_name")["value"] == data["full_name"]
    if field_id != "email" or "email" in data:
        assert soup.find(id="email")["value"].lower() == data.get("email", "").lower()
    assert soup.find(id="about").get_text().strip() == data["about"]
    assert not soup.find(id="resume").has_attr("value")
    # The valid résumé was kept (see test_kept_resume.py): no need to choose it again.
    assert soup.find(id="resume-again") is None
    assert (soup.select_one("fieldset.kept-resume") is None) == (field_id == "resume")
    # The title says there is an error, for screen reader users arriving on the page.
    assert re.search(r"\(1 (error|erreur)\)", soup.title.get_text())


def test_several_errors_are_all_listed_in_page_order(db_app, application_form, page):
    client = db_app.test_client()
    data = application_form(
        client, FORM["en"], full_name="", email="nope", resume=None, privacy_acknowledged=None
    )
    result = page(client.post(FORM["en"], data=data), lang="en")
    assert list(error_messages(result.response)) == ["full_name", "email", "resume", "privacy_acknowledged"]
    assert "There are 4 problems on this page" in result.soup.select_one(".error-summary h2").get_text()
    assert stored(db_app) == 0


@pytest.mark.parametrize(
    ("case", "french"),
    [
        ("missing name", "Entrez votre nom complet"),
        ("name of only spaces", "Entrez votre nom complet"),
        ("missing email", "Entrez votre adresse courriel"),
        ("malformed email", "Entrez une adresse courriel valide, par exemple nom@example.com"),
        ("missing résumé", "Choisissez le fichier de votre curriculum vitæ"),
        ("privacy not acknowledged", "Confirmez que vous avez lu l’avis de confidentialité"),
        ("about over 300 words", "Utilisez au plus 300 mots (vous en avez utilisé 301)"),
        ("link without scheme", "Entrez un lien qui commence par https:// ou http://"),
        ("yes-no question unanswered", "Répondez à cette question"),
        ("phone in words", "Entrez un numéro de téléphone en chiffres, par exemple 613-555-0123"),
        (
            "equity group with a made-up value",
            "Choisissez parmi les groupes proposés, ou «\u00a0Je préfère ne pas répondre\u00a0»",
        ),
    ],
)
def test_errors_are_written_in_french_on_the_french_form(db_app, application_form, page, case, french):
    form, overrides, field_id, _ = INVALID[case]
    client = db_app.test_client()
    result = page(
        client.post(form["fr"], data=application_form(client, form["fr"], **fresh(overrides))), lang="fr"
    )
    message = assert_error_shown(result, field_id)
    assert message == french
    summary_title = result.soup.select_one(".error-summary h2").get_text(" ", strip=True)
    assert summary_title == "Il y a 1 problème sur cette page"


def test_about_of_exactly_300_words_is_accepted(db_app, application_form):
    client = db_app.test_client()
    text = words(300)
    response = client.post(FORM["en"], data=application_form(client, FORM["en"], about=text))
    assert response.status_code == 303
    with db_app.app_context():
        assert db.session.scalars(select(Application)).one().about == text


# 3. Résumés checked by content ---------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "media_type"),
    [
        ("cv.pdf", PDF, "application/pdf"),
        ("CV-Ada.PDF", PDF, "application/pdf"),
        ("cv.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("cv.odt", odt(), "application/vnd.oasis.opendocument.text"),
        ("cv.txt", TEXT, "text/plain; charset=utf-8"),
    ],
)
def test_resume_of_each_accepted_type_is_stored(db_app, application_form, filename, content, media_type):
    client = db_app.test_client()
    data = application_form(client, FORM["en"], resume=upload(content, filename))
    response = client.post(FORM["en"], data=data)
    assert response.status_code == 303, error_messages(response)
    with db_app.app_context():
        resume = db.session.scalars(select(Resume)).one()
        assert (resume.filename, resume.media_type, resume.size) == (filename, media_type, len(content))
        assert resume.content == content


#: (file name, content, English message start)
REFUSED = {
    "HTML named .pdf": ("cv.pdf", HTML, "The file’s content does not match its type"),
    "Windows program named .pdf": ("cv.pdf", EXE, "The file’s content does not match its type"),
    "HTML named .txt": ("cv.txt", HTML, "The file’s content does not match its type"),
    "PDF named .docx": ("cv.docx", PDF, "The file’s content does not match its type"),
    "plain ZIP named .docx": ("cv.docx", plain_zip(), "The file’s content does not match its type"),
    "damaged ZIP named .docx": ("cv.docx", b"PK\x03\x04" + b"\0" * 100, "Your résumé could not be read"),
    "empty file": ("cv.pdf", b"", "The file you chose is empty"),
    "program": ("cv.exe", EXE, "Your résumé must be a PDF, DOCX, ODT or TXT file"),
    "no extension": ("cv", PDF, "Your résumé must be a PDF, DOCX, ODT or TXT file"),
    "legacy Word document": ("cv.doc", doc(), "Word 97–2003 documents (.doc) cannot be accepted"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_resume_whose_content_or_name_is_wrong_is_refused(db_app, application_form, page, case):
    filename, content, english = REFUSED[case]
    client = db_app.test_client()
    data = application_form(client, FORM["en"], resume=upload(content, filename))
    result = page(client.post(FORM["en"], data=data), lang="en")
    assert assert_error_shown(result, "resume").startswith(english)
    assert list(error_messages(result.response)) == ["resume"]
    assert result.soup.find(id="resume-again") is None
    assert result.soup.find(id="full_name")["value"] == "Ada Tremblay"
    assert stored(db_app) == 0 and stored(db_app, Resume) == 0


@pytest.mark.parametrize(
    ("filename", "content", "french"),
    [
        ("cv.pdf", HTML, "Le contenu du fichier ne correspond pas à son type."),
        ("cv.exe", EXE, "Votre curriculum vitæ doit être un fichier PDF, DOCX, ODT ou TXT"),
        ("cv.pdf", b"", "Le fichier choisi est vide"),
    ],
    ids=["html-as-pdf", "exe", "empty"],
)
def test_resume_refusals_are_explained_in_french(db_app, application_form, page, filename, content, french):
    client = db_app.test_client()
    data = application_form(client, FORM["fr"], resume=upload(content, filename))
    message = assert_error_shown(page(client.post(FORM["fr"], data=data), lang="fr"), "resume")
    assert french in message
    assert stored(db_app) == 0


# 4. Size -------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "smaller"), [("en", "smaller than"), ("fr", "moins de")])
def test_resume_over_the_limit_is_refused_beside_the_field(build_app, application_form, page, lang, smaller):
    app = build_app(PORTAL_MAX_RESUME_BYTES=2000)
    client = app.test_client()
    too_big = PDF + b"%" * (3000 - len(PDF))
    data = application_form(client, FORM[lang], resume=upload(too_big, "cv.pdf"))
    result = page(client.post(FORM[lang], data=data), lang=lang)
    message = assert_error_shown(result, "resume")
    assert smaller in message
    limit = {"en": "2" + NBSP + "KB", "fr": "2" + NBSP + "ko"}[lang]  # 2,000 bytes, in the page locale
    assert limit in message
    assert limit in result.soup.find(id="resume-hint").get_text(), "the hint states the limit too"
    assert stored(app) == 0

    just_right = PDF + b"%" * (2000 - len(PDF))
    data = application_form(client, FORM[lang], resume=upload(just_right, "cv.pdf"))
    assert client.post(FORM[lang], data=data).status_code == 303
    assert stored(app) == 1


@pytest.mark.parametrize(
    ("lang", "heading"), [("en", "That file is too large"), ("fr", "Ce fichier est trop volumineux")]
)
def test_request_over_the_body_limit_gets_a_friendly_413(build_app, application_form, page, lang, heading):
    app = build_app(PORTAL_MAX_RESUME_BYTES=2000)
    assert app.config["MAX_CONTENT_LENGTH"] == 2000 + 1024 * 1024
    client = app.test_client()
    huge = PDF + b"%" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    data = application_form(client, FORM[lang], resume=FileStorage(io.BytesIO(huge), "cv.pdf"))
    # Encoded in memory: the test client would spool so large a body to a
    # temporary file that it never closes (a ResourceWarning, an error here).
    boundary, body = encode_multipart(data)
    response = client.post(FORM[lang], data=body, content_type=f"multipart/form-data; boundary={boundary}")
    result = page(response, status=413, lang=lang)
    assert result.h1 == heading
    assert JOBS[lang] in result.links()
    assert stored(app) == 0


# 5. Closed, hidden and draft postings ----------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_archived_posting_form_is_gone_with_a_link_to_open_jobs(db_app, page, lang):
    client = db_app.test_client()
    result = page(client.get(ARCHIVED_FORM[lang]), status=410, lang=lang)
    assert result.h1 == CLOSED_HEADING[lang]
    assert ARCHIVED_TITLE[lang] in result.text
    assert JOBS[lang] in result.links()
    assert result.soup.find("form", method="post") is None

    tokens = form_tokens(client.get(FORM[lang]).get_data(as_text=True))
    data = {
        **tokens,
        "full_name": "Ada Tremblay",
        "email": "ada@example.ca",
        "preferred_language": lang,
        "privacy_acknowledged": "y",
        "resume": upload(PDF, "cv.pdf"),
    }
    result = page(client.post(ARCHIVED_FORM[lang], data=data), status=410, lang=lang)
    assert result.h1 == CLOSED_HEADING[lang]
    assert stored(db_app) == 0


@pytest.mark.parametrize(
    ("url", "lang"),
    [
        ("/en/jobs/data-analyst/apply", "en"),
        ("/fr/emplois/analyste-de-donnees/postuler", "fr"),
        ("/en/jobs/talent-pool-developers/apply", "en"),
        ("/fr/emplois/bassin-de-talents-developpement/postuler", "fr"),
        ("/en/jobs/no-such-job/apply", "en"),
    ],
)
def test_draft_hidden_form_and_unknown_postings_are_not_found(db_app, page, url, lang):
    client = db_app.test_client()
    page(client.get(url), status=404, lang=lang)
    tokens = form_tokens(client.get(FORM[lang]).get_data(as_text=True))
    response = client.post(
        url,
        data={
            **tokens,
            "full_name": "Ada",
            "email": "ada@example.ca",
            "privacy_acknowledged": "y",
            "resume": upload(PDF, "cv.pdf"),
        },
    )
    page(response, status=404, lang=lang)
    assert stored(db_app) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_posting_closed_yesterday_refuses_the_form(build_app, content_tree, page, lang):
    yesterday = toronto_today() - timedelta(days=1)
    write_posting(content_tree, yesterday)
    app = build_app(PORTAL_CONTENT_DIR=str(content_tree.root), PORTAL_CONTENT_RELOAD_INTERVAL=0)
    result = page(app.test_client().get(DATED_FORM[lang]), status=410, lang=lang)
    assert result.h1 == CLOSED_HEADING[lang]
    assert DATED_TITLE[lang] in result.text
    # The date is written with no-break spaces.
    assert " ".join(format_date(yesterday, "long", locale=LOCALE[lang]).split()) in " ".join(
        result.text.split()
    )
    assert JOBS[lang] in result.links()


@pytest.mark.parametrize(("lang", "at"), [("en", "at"), ("fr", "à")])
def test_posting_closing_tomorrow_shows_its_deadline_in_the_page_locale(
    build_app, content_tree, page, lang, at
):
    """The date and time are written as the installed Babel writes them in the page locale."""
    tomorrow = toronto_today() + timedelta(days=1)
    write_posting(content_tree, tomorrow)
    app = build_app(PORTAL_CONTENT_DIR=str(content_tree.root), PORTAL_CONTENT_RELOAD_INTERVAL=0)
    result = page(app.test_client().get(DATED_FORM[lang]), lang=lang)
    assert result.h1 == APPLY_HEADING[lang].format(title=DATED_TITLE[lang])
    deadline = " ".join(result.soup.select_one(".deadline").get_text().split())  # (narrow) no-break spaces
    last_minute = format_time(time(23, 59), "short", locale=LOCALE[lang])
    expected = f"{format_date(tomorrow, 'long', locale=LOCALE[lang])} {at} {last_minute}"
    assert " ".join(expected.split()) in deadline
    assert deadline.startswith(
        {"en": "Applications close on", "fr": "Les candidatures seront acceptées jusqu’au"}[lang]
    )


@pytest.mark.parametrize("lang", LANGS)
def test_posting_archived_while_the_form_was_open_refuses_the_post(
    build_app, content_tree, application_form, page, lang
):
    tomorrow = toronto_today() + timedelta(days=1)
    files = write_posting(content_tree, tomorrow)
    app = build_app(PORTAL_CONTENT_DIR=str(content_tree.root), PORTAL_CONTENT_RELOAD_INTERVAL=0)
    client = app.test_client()
    data = application_form(client, DATED_FORM[lang])

    write_posting(content_tree, tomorrow, archived=True)
    for path in files.values():
        mtime = path.stat().st_mtime_ns + 2_000_000_000
        os.utime(path, ns=(mtime, mtime))

    result = page(client.post(DATED_FORM[lang], data=data), status=410, lang=lang)
    assert result.h1 == CLOSED_HEADING[lang]
    assert {"en": "your answers were not sent", "fr": "vos réponses n’ont pas été envoyées"}[
        lang
    ] in result.text
    assert stored(app) == 0


# 6. CSRF -------------------------------------------------------------------------

CSRF_HEADING = {"en": "This form has expired", "fr": "Ce formulaire a expiré"}


@pytest.mark.parametrize("lang", LANGS)
def test_post_without_csrf_token_is_refused(db_app, application_form, page, lang):
    assert db_app.config.get("WTF_CSRF_ENABLED", True) is True
    client = db_app.test_client()
    data = application_form(client, FORM[lang], csrf_token=None)
    result = page(client.post(FORM[lang], data=data), status=400, lang=lang)
    assert result.h1 == CSRF_HEADING[lang]
    assert stored(db_app) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_post_with_another_sessions_csrf_token_is_refused(db_app, application_form, page, lang):
    someone_else = db_app.test_client()
    their_token = form_tokens(someone_else.get(FORM[lang]).get_data(as_text=True))["csrf_token"]
    client = db_app.test_client()
    data = application_form(client, FORM[lang])
    assert data["csrf_token"] != their_token
    result = page(client.post(FORM[lang], data={**data, "csrf_token": their_token}), status=400, lang=lang)
    assert result.h1 == CSRF_HEADING[lang]
    assert stored(db_app) == 0


# 7. Rate limit --------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "heading"), [("en", "Too many attempts"), ("fr", "Trop de tentatives")])
def test_third_post_in_a_minute_gets_a_friendly_429(build_app, application_form, page, lang, heading):
    app = build_app(RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(2):
        data = application_form(client, FORM[lang])
        assert client.post(FORM[lang], data=data).status_code == 303
    data = application_form(client, FORM[lang])
    result = page(client.post(FORM[lang], data=data), status=429, lang=lang)
    assert result.h1 == heading
    assert stored(app) == 2
    for _ in range(5):
        assert client.get(FORM[lang]).status_code == 200, "reading the form is never limited"


# 8. Canonical URLs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/en/jobs/Head-Of-Product-Management/apply", FORM["en"]),
        ("/fr/emplois/Chef-De-La-Gestion-De-Produits/postuler", FORM["fr"]),
        ("/fr/emplois/head-of-product-management/postuler", FORM["fr"]),
    ],
)
def test_wrong_slug_redirects_permanently_to_the_form(client, url, target):
    response = client.get(url)
    assert response.status_code == 301
    assert response.headers["Location"] == target


# 9. Screening answers as asked -------------------------------------------------------

ASKED = {
    "en": [
        ("clearance", "Are you able to obtain and maintain a Reliability security clearance?", "yes", "Yes"),
        (
            "direct-reports",
            "What is the largest number of people you have managed directly at one time?",
            "up-to-9",
            "1 to 9 people",
        ),
    ],
    "fr": [
        (
            "clearance",
            ("Êtes-vous en mesure d’obtenir et de conserver une cote de fiabilité?"),
            "yes",
            "Oui",
        ),
        (
            "direct-reports",
            (
                "Quel est le plus grand nombre de personnes que vous avez supervisées "
                "directement en même temps?"
            ),
            "up-to-9",
            "De 1 à 9 personnes",
        ),
    ],
}


@pytest.mark.parametrize("lang", LANGS)
def test_screening_answers_are_kept_as_asked_in_the_page_language(db_app, application_form, lang):
    client = db_app.test_client()
    written = "We chose accessibility fixes over new features; complaints fell by half."
    data = application_form(client, FORM[lang], question_0="yes", question_1="up-to-9", question_2=written)
    assert client.post(FORM[lang], data=data).status_code == 303
    with db_app.app_context():
        answers = db.session.scalars(select(ScreeningAnswer).order_by(ScreeningAnswer.position)).all()
        kept = [(a.question_id, a.question_label, a.answer, a.answer_label) for a in answers]
    assert kept[:2] == ASKED[lang]
    assert kept[2][0] == "evidence-trade-off" and kept[2][2:] == (written, written)
    assert kept[2][1].startswith(
        {"en": "Tell us about a difficult trade-off", "fr": "Parlez-nous d’un arbitrage difficile"}[lang]
    )


def test_optional_question_left_blank_stores_no_answer(db_app, application_form):
    client = db_app.test_client()
    data = application_form(client, FORM["en"], question_2="")
    assert client.post(FORM["en"], data=data).status_code == 303
    with db_app.app_context():
        ids = db.session.scalars(select(ScreeningAnswer.question_id)).all()
    assert sorted(ids) == ["clearance", "direct-reports"]
