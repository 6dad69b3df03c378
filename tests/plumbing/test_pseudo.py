"""Every page and form in the pseudo-locale: any plain interface text left
did not come through the catalog. Content files and people's data are exempt."""

import re
import shutil
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup, NavigableString
from sqlalchemy import select

from portal.domain.models import Application, AuditEvent, StaffUser
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD, form_tokens_csrf

PSEUDO = "qps"
PSEUDO_SEGMENT = re.compile(r"\[[^\[\]]*\]")
# What is not interface text: addresses, numbers, dates, codes, file names.
DATA = re.compile(
    r"[\w.+-]+@[\w.-]+|https?://\S+|\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b"
    r"|\b\d[\d\s,.:/-]*\b|\b[\w-]+\.(?:pdf|docx|doc|odt|txt|csv)\b|[A-Z]{2,3}-\d\d"
)
EXEMPT_ELEMENTS = "time, .prose, [translate=no], script, style"


@pytest.fixture
def pseudo_app(make_app, database_url, tmp_path):
    """The portal with a pseudo language whose content is a copy of the English one."""
    root = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", root)
    shutil.copytree(root / "en", root / PSEUDO)
    app = make_app(
        DATABASE_URL=database_url,
        PORTAL_CONTENT_DIR=str(root),
        PORTAL_PSEUDO_LANGUAGE=PSEUDO,
        RATELIMIT_ENABLED=False,
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def known_values(app) -> set[str]:
    """Text that comes from content, configuration or people, not the catalog."""
    values = set()
    index = app.extensions["portal.content"].index()
    for document in index.documents.values():
        values.update(
            [
                document.title,
                document.description,
                document.author or "",
                *document.tags,
                document.image_alt or "",
                document.facts.compensation,
                document.facts.term,
                *document.facts.classifications,
                *(location.city for location in document.facts.locations),
                *(criterion.label for criterion in document.criteria),
            ]
        )
        for question in document.questions:
            values.update([question.label, question.hint, *(choice.label for choice in question.choices)])
    values.update(app.config["PORTAL_ORGANISATION_NAME"].values())
    values.update(language["name"] for language in app.config["PORTAL_LANGUAGES"].values())
    values.update(notice.title for notice in app.extensions["portal.privacy"].values())
    with app.app_context():
        for application in db.session.scalars(select(Application)):
            values.update(
                [
                    application.full_name,
                    application.posting_title,
                    application.about,
                    application.accommodation or "",
                    application.pronouns or "",
                    application.posting_key,
                    *(a.answer_label for a in application.answers),
                    *(a.question_label for a in application.answers),
                ]
            )
        for event in db.session.scalars(select(AuditEvent)):
            values.update([event.detail, event.posting_key or ""])
        values.update(db.session.scalars(select(StaffUser.email)))
    return {" ".join(value.split()) for value in values if value and value.strip()}


def leaks(html: str, values: set[str]) -> list[str]:
    """Return the visible text pieces that are neither pseudo nor data."""
    soup = BeautifulSoup(html, "lxml")
    for exempt in soup.select(EXEMPT_ELEMENTS):
        exempt.decompose()
    found = []
    texts = [node for node in soup.body.descendants if isinstance(node, NavigableString)]
    texts += [
        element[attribute]
        for element in soup.body.find_all(True)
        for attribute in ("aria-label", "title", "placeholder", "alt")
        if element.get(attribute)
    ]
    for text in texts:
        text = " ".join(str(text).split())
        if not text:
            continue
        rest = PSEUDO_SEGMENT.sub(" ", text)
        for value in sorted(values, key=len, reverse=True):
            if value in rest:
                rest = rest.replace(value, " ")
        rest = DATA.sub(" ", rest)
        if re.search(r"[A-Za-z]{2,}", rest):
            found.append(text)
    return found


def crawl(client, start: list[str], values: set[str], limit: int = 300) -> dict[str, list[str]]:
    """Visit every /qps/ page reachable from ``start``; return the leaks by URL."""
    seen, queue, problems = set(start), deque(start), {}
    while queue and len(seen) <= limit:
        url = queue.popleft()
        response = client.get(url, buffered=True)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        found = leaks(html, values)
        if found:
            problems[url] = found
        for anchor in BeautifulSoup(html, "lxml").find_all("a", href=True):
            target = urlsplit(urljoin(url, anchor["href"]))
            link = target.path + (f"?{target.query}" if target.query else "")
            if (
                not target.netloc
                and target.path.startswith(f"/{PSEUDO}/")
                and link not in seen
                and "sign-out" not in link
            ):
                seen.add(link)
                queue.append(link)
    return problems


def test_every_page_and_form_comes_through_the_catalog(pseudo_app, application_form):
    from portal.domain import accounts

    with pseudo_app.app_context():
        from datetime import UTC, datetime

        accounts.create_user(db.session, "admin@nds.example", STAFF_PASSWORD, "admin", now=datetime.now(UTC))
        db.session.commit()

    candidate = pseudo_app.test_client()
    form_url = f"/{PSEUDO}/jobs/head-of-product-management/apply"
    # The form with every error shown, then a valid submission and its confirmation.
    errors_page = candidate.post(
        form_url, data={"csrf_token": form_tokens_csrf(candidate.get(form_url).get_data(as_text=True))}
    )
    confirmation = candidate.post(
        form_url, data=application_form(candidate, form_url, preferred_language=PSEUDO)
    )
    assert confirmation.status_code == 303

    staff_client = pseudo_app.test_client()
    sign_in_url = f"/{PSEUDO}/staff/sign-in"
    token = form_tokens_csrf(staff_client.get(sign_in_url).get_data(as_text=True))
    failed_sign_in = staff_client.post(
        sign_in_url, data={"csrf_token": token, "email": "x@y.z", "password": "no"}
    )
    token = form_tokens_csrf(failed_sign_in.get_data(as_text=True))
    assert (
        staff_client.post(
            sign_in_url, data={"csrf_token": token, "email": "admin@nds.example", "password": STAFF_PASSWORD}
        ).status_code
        == 302
    )

    values = known_values(pseudo_app)
    problems = {}
    for label, response in (("apply form with errors", errors_page), ("failed sign-in", failed_sign_in)):
        assert response.status_code in (200, 429)
        if found := leaks(response.get_data(as_text=True), values):
            problems[label] = found
    problems.update(
        crawl(
            candidate,
            [
                f"/{PSEUDO}/",
                confirmation.headers["Location"],
                f"/{PSEUDO}/jobs/service-designer/",
                f"/{PSEUDO}/jobs/nowhere/",
                f"/{PSEUDO}/jobs/service-designer/apply",
            ],
            values,
        )
    )
    problems.update(crawl(staff_client, [f"/{PSEUDO}/staff/"], known_values(pseudo_app)))
    assert not problems, "\n".join(f"{url}: {found}" for url, found in problems.items())


def test_pseudo_pages_show_bracketed_accented_text(pseudo_app, page):
    result = page(pseudo_app.test_client().get(f"/{PSEUDO}/jobs/"), lang=PSEUDO)
    assert result.h1 == "[Öþéñ ĵöƀš]"


def test_pseudo_language_is_off_by_default(app):
    assert PSEUDO not in app.config["PORTAL_LANGUAGES"]
    assert app.test_client().get(f"/{PSEUDO}/jobs/").status_code == 404
