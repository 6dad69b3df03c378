"""Essential questions for hiring staff: an application whose answer differs
from the one an essential question needs is flagged in the list and on its
page, the list (and its pages and CSV export) can be narrowed to those that
do or do not meet every one, and nothing is ever rejected automatically.

The bundled posting head-product-management marks its clearance question
essential (answer needed: yes); senior-python-developer marks none."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import parse_page
from tests.records import HEAD, PYTHON, audit_events, fetch, insert, new_application

NBSP = "\u00a0"
CLEARANCE = {
    "en": "Are you able to obtain and maintain a Reliability security clearance?",
    "fr": "Êtes-vous en mesure d’obtenir et de conserver une cote de fiabilité?",
}
FLAG = {
    "en": "Does not meet an essential requirement:",
    "fr": f"Ne répond pas à une exigence essentielle{NBSP}:",
}
MARK = {"en": "Does not meet this essential requirement", "fr": "Ne répond pas à cette exigence essentielle"}
FILTER = {
    "en": ("Essential requirements", ["All applications", "Does not meet one or more", "Meets all"]),
    "fr": (
        "Exigences essentielles",
        ["Toutes les candidatures", "Ne répond pas à une ou plusieurs", "Répond à toutes"],
    ),
}
NEVER_REJECTED = {
    "en": "Nothing is rejected automatically",
    "fr": "Aucune candidature n’est rejetée automatiquement",
}
LANGS = ["en", "fr"]


def posting_url(posting_key: str, lang: str = "en", tail: str = "") -> str:
    base = {"en": "/en/staff/postings", "fr": "/fr/personnel/offres"}[lang]
    return f"{base}/{posting_key}/{tail}"


def app_url(application_id: int, lang: str = "en") -> str:
    base = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}[lang]
    return f"{base}/{application_id}/"


def listed(soup) -> dict[int, str]:
    """Map each listed application id to the text of its name cell."""
    return {
        int(cell.a["href"].rstrip("/").rsplit("/", 1)[1]): cell.get_text(" ", strip=True)
        for cell in soup.select("table.data-table tbody th")
    }


def answering(answer: str | None, posting_key: str = HEAD, **fields):
    """An application answering the clearance question ``answer`` (None: not asked then)."""
    answers = [("direct-reports", "Managed", "none")]
    if answer is not None:
        answers.insert(0, ("clearance", CLEARANCE["en"], answer))
    return new_application(posting_key, answers=answers, **fields)


@pytest.fixture
def three(db_app):
    """Ids of applications to HEAD answering yes, no, and not at all."""
    meets, misses, unanswered = insert(db_app, answering("yes"), answering("no"), answering(None))
    return {"meets": meets, "misses": misses, "unanswered": unanswered}


@pytest.mark.parametrize("lang", LANGS)
def test_an_answer_that_misses_an_essential_question_is_flagged_in_the_list(db_app, staff, three, lang):
    soup = parse_page(staff.client(staff.assigned).get(posting_url(HEAD, lang)), lang=lang).soup
    cells = listed(soup)
    assert f"{FLAG[lang]} {CLEARANCE[lang]}" in cells[three["misses"]]
    assert FLAG[lang] not in cells[three["meets"]]
    assert FLAG[lang] not in cells[three["unanswered"]]
    flag = soup.select_one("table.data-table strong.flag")
    assert flag.get_text(" ", strip=True) == f"{FLAG[lang]} {CLEARANCE[lang]}"
    # Explained under the table, and it never rejects.
    assert any(NEVER_REJECTED[lang] in hint.get_text(" ", strip=True) for hint in soup.select("p.hint"))


@pytest.mark.parametrize("lang", LANGS)
def test_the_list_filters_on_essential_requirements(db_app, staff, three, lang):
    client = staff.client(staff.assigned)
    soup = parse_page(client.get(posting_url(HEAD, lang)), lang=lang).soup
    label, options = FILTER[lang]
    select = soup.find("select", id="essential")
    assert soup.find("label", attrs={"for": "essential"}).get_text(" ", strip=True) == label
    assert [option.get_text(strip=True) for option in select.find_all("option")] == options
    assert [option["value"] for option in select.find_all("option")] == ["", "unmet", "met"]

    def ids(**query):
        page = parse_page(client.get(posting_url(HEAD, lang), query_string=query), lang=lang)
        return set(listed(page.soup))

    assert ids() == set(three.values())
    assert ids(essential="unmet") == {three["misses"]}
    # "Meets all": every essential question answered as needed (not merely no wrong answer).
    assert ids(essential="met") == {three["meets"]}
    assert ids(essential="unmet", status="screening") == set()
    assert ids(essential="anything") == set(three.values())


def test_the_filter_is_offered_only_where_a_question_is_essential(db_app, staff):
    insert(db_app, answering("no", PYTHON))
    soup = parse_page(staff.client(staff.admin).get(posting_url(PYTHON))).soup
    assert soup.find("select", id="essential") is None
    assert soup.select("table.data-table strong.flag") == []


def test_the_filter_stays_on_every_page(db_app, staff):
    base = datetime(2026, 5, 1, 12, tzinfo=UTC)
    ids = insert(
        db_app,
        *[answering(("yes", "no")[n % 2], submitted_at=base + timedelta(minutes=n)) for n in range(110)],
    )
    missing = set(ids[1::2])
    client = staff.client(staff.admin)
    pages = [parse_page(client.get(posting_url(HEAD), query_string={"essential": "unmet"})).soup]
    while (following := pages[-1].select_one("nav.pager a[rel=next]")) is not None:
        assert "essential=unmet" in following["href"]
        assert len(pages) < 5
        pages.append(parse_page(client.get(following["href"])).soup)
    assert len(pages) > 1
    seen = [i for soup in pages for i in listed(soup)]
    assert len(seen) == len(missing) and set(seen) == missing
    assert all(FLAG["en"] in cell for soup in pages for cell in listed(soup).values())


@pytest.mark.parametrize("lang", LANGS)
def test_the_export_link_keeps_the_filter_and_the_export_is_audited_with_it(db_app, staff, three, lang):
    admin = staff.client(staff.admin)
    listing = parse_page(admin.get(posting_url(HEAD, lang), query_string={"essential": "unmet"}), lang=lang)
    (link,) = [href for href in listing.links() if "export.csv" in href]
    assert link == posting_url(HEAD, lang, "export.csv") + "?essential=unmet"
    body = admin.get(link).get_data()
    _header, *rows = list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))
    assert len(rows) == 1
    with db_app.app_context():
        from portal.domain.models import Application
        from portal.plumbing.db import db

        reference = db.session.get(Application, three["misses"]).reference
    assert rows[0][0] == reference
    assert audit_events(db_app, "export_csv")[-1].detail == "1 rows; essential=unmet"


@pytest.mark.parametrize("lang", LANGS)
def test_the_application_page_marks_the_answer_and_rejects_nothing(db_app, staff, three, lang):
    client = staff.client(staff.assigned)
    result = parse_page(client.get(app_url(three["misses"], lang)), lang=lang)
    answers = result.soup.select_one("dl.answers")
    (clearance,) = [div for div in answers.find_all("div") if div.dt.get_text(strip=True) == CLEARANCE["en"]]
    assert [dd.get_text(" ", strip=True) for dd in clearance.find_all("dd")] == ["no", MARK[lang]]
    assert MARK[lang] not in answers.get_text().replace(clearance.get_text(), "")
    assert fetch(db_app, three["misses"])["status"] == "received"

    other = parse_page(client.get(app_url(three["meets"], lang)), lang=lang)
    assert MARK[lang] not in other.text


def test_a_no_through_the_form_leaves_the_application_received_and_flagged(db_app, staff, application_form):
    candidate = db_app.test_client()
    url = "/en/jobs/head-of-product-management/apply"
    assert candidate.post(url, data=application_form(candidate, url, question_0="no")).status_code == 303
    soup = parse_page(staff.client(staff.assigned).get(posting_url(HEAD))).soup
    ((application_id, cell),) = listed(soup).items()
    assert FLAG["en"] in cell
    assert fetch(db_app, application_id) == {"status": "received", "history": [], "notes": []}
    assert soup.select_one("table.data-table tbody td .status-tag").get_text(strip=True) == "Received"
