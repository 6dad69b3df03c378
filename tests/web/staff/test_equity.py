"""The employment equity report (both languages): totals per posting, never
a list of people, counts that could single out fewer than 5 people shown
as "hidden" (small counts, a count equal to its total, and any count that
subtraction would give away), with the reasons on the page; admins only,
and reading it is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.domain import review
from portal.plumbing.db import db
from tests.conftest import parse_page
from tests.records import HEAD, PYTHON, TITLES, add_equity, audit_events, service_user

EQUITY = {"en": "/en/staff/equity/", "fr": "/fr/personnel/equite/"}
HIDDEN = {"en": "hidden", "fr": "masqué"}
HEADERS = {
    "en": [
        "Posting",
        "Applications",
        "Answered",
        "Women",
        "Indigenous peoples",
        "Persons with disabilities",
        "Members of visible minorities",
        "Prefer not to answer",
    ],
    "fr": [
        "Offre d’emploi",
        "Candidatures",
        "Ont répondu",
        "Femmes",
        "Autochtones",
        "Personnes en situation de handicap",
        "Membres de minorités visibles",
        "Préfère ne pas répondre",
    ],
}


def equity_table(soup) -> dict[str, list[str]]:
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in soup.select("table.data-table tbody tr")
    ]
    return {cells[0]: cells[1:] for cells in rows}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_counts_per_group_and_hides_what_could_single_people_out(db_app, staff, lang):
    head = add_equity(
        db_app,
        HEAD,
        [{"woman", "visible_minority"}] * 5
        + [{"woman", "indigenous"}] * 2
        + [{"visible_minority"}] * 3
        + [{"prefer_not_to_answer"}] * 2,
        extra_applications=1,
    )
    python = add_equity(db_app, PYTHON, [{"woman"}, {"disability"}])
    result = parse_page(staff.client(staff.admin).get(EQUITY[lang]), lang=lang)
    table = equity_table(result.soup)
    headers = [th.get_text(" ", strip=True) for th in result.soup.select("table.data-table thead th")]
    assert headers == HEADERS[lang]
    hidden = HIDDEN[lang]
    # 12 answered: 7 women (5 are not), 2 indigenous, 0 with a disability,
    # 8 of a visible minority (4 are not: hidden), 2 prefer not to answer.
    #                                     apps  answered woman indigenous disability minority prefer-not
    assert table[TITLES[lang][HEAD]] == ["13", "12", "7", hidden, hidden, hidden, hidden]
    assert table[TITLES[lang][PYTHON]] == ["2", hidden, hidden, hidden, hidden, hidden, hidden]
    assert set(table) == {TITLES[lang][HEAD], TITLES[lang][PYTHON]}  # postings with applications

    # Never a list of people.
    text = result.text
    for application in head + python:
        assert application.full_name not in text and application.email not in text
        assert application.reference not in text
    assert not any("/applications/" in href or "/candidatures/" in href for href in result.links())
    # Reading the report is audited.
    assert len(audit_events(db_app, "view_equity_report")) == 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_group_equal_to_everyone_who_answered_is_hidden(db_app, staff, lang):
    """ "Answered 7, Women 7" would tell that every respondent is a woman."""
    add_equity(
        db_app, HEAD, [{"woman", "indigenous", "disability", "visible_minority"}] * 5 + [{"woman"}] * 2
    )
    table = equity_table(parse_page(staff.client(staff.admin).get(EQUITY[lang]), lang=lang).soup)
    hidden = HIDDEN[lang]
    # Women 7 of 7; indigenous, disability, minority 5 (so 2 are not); nobody preferred not to answer.
    assert table[TITLES[lang][HEAD]] == ["7", "7", hidden, hidden, hidden, hidden, hidden]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_five_or_more_on_both_sides_are_shown(db_app, staff, lang):
    add_equity(db_app, HEAD, [{"woman", "indigenous"}] * 5 + [{"disability"}] * 5)
    table = equity_table(parse_page(staff.client(staff.admin).get(EQUITY[lang]), lang=lang).soup)
    hidden = HIDDEN[lang]
    assert table[TITLES[lang][HEAD]] == ["10", "10", "5", "5", "5", hidden, hidden]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_page_says_why_numbers_are_hidden(db_app, staff, lang):
    add_equity(db_app, HEAD, [{"woman"}] * 7)
    result = parse_page(staff.client(staff.admin).get(EQUITY[lang]), lang=lang)
    section = result.soup.select_one("section[aria-labelledby=why-hidden]")
    assert section is not None and section.h2["id"] == "why-hidden"
    words = {
        "en": ("Why some numbers are hidden", "Answered 7, Women 7", "subtracting"),
        "fr": ("Pourquoi certains nombres sont masqués", "Ont répondu 7, Femmes 7", "soustrayant"),
    }[lang]
    text = section.get_text(" ", strip=True)
    assert all(word in text for word in words), text


@pytest.mark.parametrize("path", EQUITY.values())
def test_reviewers_cannot_see_the_equity_report(db_app, staff, path):
    add_equity(db_app, HEAD, [{"woman"}] * 6)
    assert staff.client(staff.assigned).get(path).status_code == 404
    assert staff.client(staff.admin).get(path).status_code == 200
    assert staff.client(None).get(path).status_code == 302


def test_the_service_hides_zero_small_and_complementary_counts(db_app):
    add_equity(db_app, HEAD, [{"woman"}] * 5 + [{"indigenous"}] * 4)
    with db_app.app_context():
        user = service_user()
        (row,) = review.equity_report(db.session, [HEAD], user=user, now=datetime.now(UTC), ip_address="")
        assert (row.applications, row.respondents) == (9, 9)
        # Women 5, but 4 are not: hidden with the 4 indigenous respondents.
        assert row.groups == dict.fromkeys(review.EQUITY_GROUPS)
        (empty,) = review.equity_report(db.session, [PYTHON], user=user, now=datetime.now(UTC), ip_address="")
        assert (empty.applications, empty.respondents) == (0, None)
