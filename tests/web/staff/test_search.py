"""Admins find an application in every posting by name, email or reference
(both languages): a plain GET form, a results table linking to each
application, a count when more match, a clear message for an odd search,
and one audit entry per search without the words searched for."""

from __future__ import annotations

import pytest

from portal.domain import finder
from tests.conftest import parse_page
from tests.records import DESIGNER, HEAD, PYTHON, TITLES, audit_events, insert, new_application

SEARCH = {"en": "/en/staff/search/", "fr": "/fr/personnel/recherche/"}
APPLICATION = {"en": "/en/staff/applications/{}/", "fr": "/fr/personnel/candidatures/{}/"}
#: What the page says, per language, for the assertions below.
WORDS = {
    "en": {
        "h1": "Find an application",
        "one": "1 application matches.",
        "none": "No application matches.",
        "received": "Received",
        "screening": "Screening",
        "too_long": f"Use {finder.MAX_QUERY} characters or fewer",
        "more": "51 applications match; the newest 50 are listed.",
    },
    "fr": {
        "h1": "Trouver une candidature",
        "one": "1 candidature correspond.",
        "none": "Aucune candidature ne correspond.",
        "received": "Reçue",
        "screening": "Présélection",
        "too_long": f"Utilisez au plus {finder.MAX_QUERY} caractères",
        "more": "51 candidatures correspondent; les 50 plus récentes sont affichées.",
    },
}


def results(soup) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in soup.select("table.data-table tbody tr")
    ]


@pytest.fixture
def candidates(db_app):
    """Ada applied to two postings; Marc to a closed one."""
    return insert(
        db_app,
        new_application(HEAD, full_name="Ada Tremblay", email="ada@example.ca", reference="7KQ4-M9XP-2HTD"),
        new_application(
            PYTHON,
            full_name="Ada Tremblay",
            email="ada@example.ca",
            reference="ABCD-EFGH-JKMN",
            status="screening",
        ),
        new_application(
            DESIGNER, full_name="Marc Ouellet", email="marc@example.com", reference="PQRS-TUVW-XYZ2"
        ),
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_empty_form_searches_nothing_and_records_nothing(db_app, staff, candidates, lang):
    result = parse_page(staff.client(staff.admin).get(SEARCH[lang]), lang=lang)
    assert result.h1 == WORDS[lang]["h1"]
    field = result.soup.select_one("form[method=get] input#q")
    assert field["name"] == "q" and field["type"] == "search"
    assert result.soup.find("label", attrs={"for": "q"}) is not None
    assert "q-hint" in field["aria-describedby"]
    assert not result.soup.select("table.data-table")
    assert audit_events(db_app, "search_applications") == []
    assert result.toggle()[{"en": "fr", "fr": "en"}[lang]] == SEARCH[{"en": "fr", "fr": "en"}[lang]]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_name_finds_every_posting_and_each_row_links_to_the_application(db_app, staff, candidates, lang):
    result = parse_page(
        staff.client(staff.admin).get(SEARCH[lang], query_string={"q": "ada TREMBLAY"}), lang=lang
    )
    words = WORDS[lang]
    assert results(result.soup)[0][:4] == [
        "ABCD-EFGH-JKMN",
        "Ada Tremblay",
        TITLES[lang][PYTHON],
        words["screening"],
    ]
    assert results(result.soup)[1][:4] == [
        "7KQ4-M9XP-2HTD",
        "Ada Tremblay",
        TITLES[lang][HEAD],
        words["received"],
    ]
    links = [a["href"] for a in result.soup.select("table.data-table tbody th a")]
    assert links == [APPLICATION[lang].format(candidates[1]), APPLICATION[lang].format(candidates[0])]
    assert result.soup.select_one("table.data-table time")["datetime"].startswith("2026-06-01")
    # The table scrolls in its own labelled region on a narrow screen.
    region = result.soup.select_one("div.table-scroll")
    assert region["role"] == "region" and result.soup.find(id=region["aria-labelledby"]).name == "caption"
    # The words stay in the field, to change them.
    assert result.soup.select_one("input#q")["value"] == "ada TREMBLAY"


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("typed", ["pqrs-tuvw-xyz2", "PQRSTUVWXYZ2", "pqrs tuvw xyz2"])
def test_a_reference_is_found_however_it_is_typed(db_app, staff, candidates, lang, typed):
    result = parse_page(staff.client(staff.admin).get(SEARCH[lang], query_string={"q": typed}), lang=lang)
    assert [row[0] for row in results(result.soup)] == ["PQRS-TUVW-XYZ2"]
    assert result.soup.find(attrs={"role": "status"}).get_text(" ", strip=True) == WORDS[lang]["one"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_search_is_audited_with_its_count_only(db_app, staff, candidates, lang):
    admin = staff.client(staff.admin)
    admin.get(SEARCH[lang], query_string={"q": "Ada Tremblay"})
    page = parse_page(admin.get(SEARCH[lang], query_string={"q": "nobody@example.ca"}), lang=lang)
    assert WORDS[lang]["none"] in page.text
    events = audit_events(db_app, "search_applications")
    assert [(event.actor, event.role, event.detail) for event in events] == [
        (staff.admin, "admin", "matches: 2; listed: 2"),
        (staff.admin, "admin", "matches: 0; listed: 0"),
    ]
    for event in events:
        assert "ada" not in event.detail.lower() and "nobody" not in event.detail
    # The audit log names the action.
    log = parse_page(admin.get({"en": "/en/staff/audit/", "fr": "/fr/personnel/journal/"}[lang]), lang=lang)
    label = {
        "en": "Searched every posting's applications",
        "fr": "Recherche dans les candidatures de toutes les offres",
    }
    assert label[lang] in log.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_more_matches_than_listed_are_counted_and_said(db_app, staff, lang):
    insert(db_app, *(new_application(HEAD, full_name=f"Sam Roy {n:02d}") for n in range(51)))
    result = parse_page(staff.client(staff.admin).get(SEARCH[lang], query_string={"q": "sam roy"}), lang=lang)
    assert len(results(result.soup)) == finder.RESULT_LIMIT == 50
    assert WORDS[lang]["more"] in result.soup.find(attrs={"role": "status"}).get_text(" ", strip=True)
    assert audit_events(db_app, "search_applications")[0].detail == "matches: 51; listed: 50"


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("query", ["a" * (finder.MAX_QUERY + 1), "ada\x07"])
def test_an_odd_search_gets_a_clear_message_and_is_not_run(db_app, staff, candidates, lang, query):
    result = parse_page(staff.client(staff.admin).get(SEARCH[lang], query_string={"q": query}), lang=lang)
    error = result.soup.select_one("#q-error")
    assert error is not None
    if len(query) > finder.MAX_QUERY:
        assert WORDS[lang]["too_long"] in error.get_text()
    field = result.soup.select_one("input#q")
    assert field["aria-invalid"] == "true" and "q-error" in field["aria-describedby"]
    assert not result.soup.select("table.data-table")
    assert audit_events(db_app, "search_applications") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_only_admins_have_the_search_in_their_menu(db_app, staff, lang):
    home = {"en": "/en/staff/", "fr": "/fr/personnel/"}[lang]
    admin_links = parse_page(staff.client(staff.admin).get(home), lang=lang).links()
    reviewer_links = parse_page(staff.client(staff.assigned).get(home), lang=lang).links()
    assert SEARCH[lang] in admin_links
    assert SEARCH[lang] not in reviewer_links
    assert staff.client(staff.assigned).get(SEARCH[lang], query_string={"q": "ada"}).status_code == 404
    assert audit_events(db_app, "search_applications") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_name_blind_posting_is_searched_by_reference_only_and_shows_numbers(
    db_app, staff, candidates, lang
):
    from datetime import UTC, datetime

    from portal.domain import accounts, name_blind
    from portal.plumbing.db import db

    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        name_blind.set_rule(db.session, HEAD, "interview", user=admin, now=datetime.now(UTC))
        db.session.commit()
    client = staff.client(staff.admin)
    by_name = parse_page(client.get(SEARCH[lang], query_string={"q": "Ada Tremblay"}), lang=lang)
    assert [row[0] for row in results(by_name.soup)] == ["ABCD-EFGH-JKMN"]  # not the name-blind one
    by_email = parse_page(client.get(SEARCH[lang], query_string={"q": "ada@example.ca"}), lang=lang)
    assert [row[0] for row in results(by_email.soup)] == ["ABCD-EFGH-JKMN"]
    by_reference = parse_page(client.get(SEARCH[lang], query_string={"q": "7kq4m9xp2htd"}), lang=lang)
    (row,) = results(by_reference.soup)
    assert row[0] == "7KQ4-M9XP-2HTD"
    assert "Ada" not in row[1] and str(candidates[0]) in row[1]
    assert "Ada" not in by_reference.text
