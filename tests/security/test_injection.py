"""Injection: stored cross-site scripting through every candidate field as
staff see it (both languages), Markdown content sanitising, spreadsheet
formulas in exports, and header injection through CR/LF.

Also proven elsewhere: render-level sanitising (tests/content/test_render.py
test_scripts_handlers_and_javascript_urls_are_removed), every formula start
in every exported column (tests/web/staff/test_review.py
test_export_neutralises_formulas), safe résumé download names
(test_a_resume_with_any_name_downloads_with_an_ascii_header).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.content.render import render_markdown
from portal.domain.models import Application
from portal.plumbing.db import db
from tests.conftest import PDF, form_tokens_csrf

HEAD = "head-product-management"
FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
APPLICATION = {"en": "/en/staff/applications/{id}/", "fr": "/fr/personnel/candidatures/{id}/"}
POSTING = {"en": "/en/staff/postings/{key}/", "fr": "/fr/personnel/offres/{key}/"}
SCRIPT = "<script>alert('xss')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(2)>"
TEMPLATE = "{{ config.SECRET_KEY }}{% raw %}"


def assert_inert(html: str) -> BeautifulSoup:
    """Check that a page holds nothing a browser would run from a candidate's text."""
    soup = BeautifulSoup(html, "lxml")
    for script in soup.find_all("script"):
        if script.get("type") == "application/ld+json":
            # Data for search engines, never run: it must stay JSON, with no "<" to end the element.
            json.loads(script.string)
            assert "<" not in script.string, script
            continue
        assert "alert" not in script.get_text(), script
    for element in soup.find_all(True):
        handlers = [name for name in element.attrs if name.lower().startswith("on")]
        assert not handlers, element
        for name in ("href", "src", "action", "formaction"):
            value = str(element.get(name, "")).strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), element
    assert soup.find("svg") is None and soup.find("img", src="x") is None
    return soup


@pytest.fixture
def hostile(db_app, application_form):
    """An application whose every text field carries a payload; returns its id."""
    client = db_app.test_client()
    data = application_form(
        client,
        FORM["en"],
        full_name=f"Ada {SCRIPT}",
        pronouns=IMAGE[:50],
        about=f"{SCRIPT} {IMAGE} {SVG} {TEMPLATE}",
        accommodation=f"{IMAGE} {SVG}",
        link_1="https://example.org/?q=\"><script>alert('link')</script>",
        link_2="https://example.org/#' onmouseover='alert(3)",
        question_2=f"{SCRIPT} {SVG}",
        resume=(io.BytesIO(PDF), "<img src=x onerror=alert(1)>.pdf"),
    )
    response = client.post(FORM["en"], data=data)
    assert response.status_code == 303, re.findall(r"error-message.*", response.get_data(as_text=True))
    with db_app.app_context():
        return db.session.scalars(select(Application.id)).one()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_candidate_text_is_shown_to_staff_as_text(db_app, staff, hostile, lang):
    client = staff.client(staff.assigned)
    response = client.get(APPLICATION[lang].format(id=hostile))
    assert response.status_code == 200
    soup = assert_inert(response.get_data(as_text=True))
    text = soup.get_text(" ")
    # Shown, literally, as the candidate typed it.
    for payload in (SCRIPT, SVG, TEMPLATE):
        assert payload in text
    assert "SECRET_KEY" in text and db_app.config["SECRET_KEY"] not in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_list_of_applications_shows_names_as_text(db_app, staff, hostile, lang):
    response = staff.client(staff.assigned).get(POSTING[lang].format(key=HEAD))
    assert response.status_code == 200
    assert SCRIPT in assert_inert(response.get_data(as_text=True)).get_text(" ")


def test_a_note_is_shown_to_other_staff_as_text(db_app, staff, hostile):
    writer = staff.client(staff.assigned)
    url = APPLICATION["en"].format(id=hostile)
    token = form_tokens_csrf(writer.get(url).get_data(as_text=True))
    note = f"{SCRIPT} {IMAGE} [x](javascript:alert(4))"
    assert writer.post(url + "notes", data={"csrf_token": token, "body": note}).status_code == 302
    response = staff.client(staff.admin).get(url)
    assert note in assert_inert(response.get_data(as_text=True)).get_text(" ")


def test_exported_candidate_text_never_starts_a_formula(db_app, staff, application_form):
    """Through the real form, as a candidate would try it."""
    client = db_app.test_client()
    data = application_form(
        client,
        FORM["en"],
        full_name='=HYPERLINK("http://evil.example","Click")',
        pronouns="@SUM(1+1)",
        about="+cmd|' /C calc'!A0",
        accommodation="-2+3",
        question_2="=1+1",
    )
    assert client.post(FORM["en"], data=data).status_code == 303
    response = staff.client(staff.admin).get(POSTING["en"].format(key=HEAD) + "export.csv")
    header, row = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = dict(zip(header, row))
    assert cells["Full name"] == "'" + data["full_name"]
    assert cells["Pronouns"] == "'@SUM(1+1)"
    assert cells["Accommodation"] == "'-2+3"
    assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<svg onload=alert(1)></svg>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        "![x](javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        '<form action="https://evil.example"><input name="password"></form>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        '<base href="https://evil.example/">',
        '<object data="x.swf"></object><embed src="x.swf">',
        "<style>body{display:none}</style>",
        '<details open ontoggle="alert(1)">x</details>',
        '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    ],
)
def test_markdown_content_cannot_carry_active_html(markdown):
    html = str(render_markdown(markdown))
    soup = assert_inert(html)
    for tag in ("script", "form", "input", "meta", "base", "object", "embed", "style", "iframe", "math"):
        assert soup.find(tag) is None, (tag, html)


def test_a_posting_with_active_html_is_served_inert(make_app, content_tree, page):
    content_tree(
        "en/jobs/role.md",
        """
        ---
        layout: job-posting
        title: Role
        ---
        <script>alert(1)</script>

        <img src="/a.png" alt="" onerror="alert(2)">

        [Apply](javascript:alert(3))
        """,
    )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    result = page(client.get("/en/jobs/role/"), lang="en")
    assert_inert(str(result.soup))


def test_a_posting_key_with_a_line_break_cannot_add_a_header_to_the_export(db_app, staff):
    client = staff.client(staff.admin)
    response = client.get("/en/staff/postings/x%0d%0aSet-Cookie:%20stolen=1/export.csv", buffered=True)
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"] == "attachment; filename=applications-xSet-Cookiestolen1.csv"
    )
    assert "stolen" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ["/en/staff/%0d%0aSet-Cookie:%20stolen=1", "/en/staff/\r\nX-Evil: 1"])
def test_a_line_break_in_next_adds_no_header(db_app, staff, target):
    from tests.conftest import STAFF_PASSWORD, sign_in

    response = sign_in(db_app.test_client(), staff.assigned, STAFF_PASSWORD, next_url=target)
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "\r" not in response.headers["Location"]
    assert "X-Evil" not in response.headers
    assert "stolen" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_line_break_in_a_candidates_name_stays_out_of_the_email_headers(db_app, application_form):
    from portal.domain.models import OutboxEmail

    client = db_app.test_client()
    data = application_form(client, FORM["en"], full_name="Ada\r\nBcc: everyone@evil.example")
    assert client.post(FORM["en"], data=data).status_code == 303
    with db_app.app_context():
        email = db.session.scalars(select(OutboxEmail)).one()
        assert email.recipient == "Ada.Tremblay@example.ca"
        assert "\n" not in email.subject and "\r" not in email.subject
        application = db.session.scalars(select(Application)).one()
        assert application.full_name == "Ada Bcc: everyone@evil.example"
