"""The staff screens' markup: every control keeps a unique id, the menu is a
named navigation landmark, and tables name their headers (both languages)."""

from __future__ import annotations

from collections import Counter

import pytest
from bs4 import BeautifulSoup

from tests.records import HEAD, insert, new_application

PAGES = {
    "en": (
        "/en/staff/",
        f"/en/staff/postings/{HEAD}/",
        "/en/staff/applications/{id}/",
        "/en/staff/audit/",
        "/en/staff/equity/",
        "/en/staff/accounts/",
        "/en/staff/accounts/invite",
        "/en/staff/two-factor/",
        "/en/staff/two-factor/set-up",
        "/en/staff/translations/",
        "/en/staff/password",
    ),
    "fr": (
        "/fr/personnel/",
        f"/fr/personnel/offres/{HEAD}/",
        "/fr/personnel/candidatures/{id}/",
        "/fr/personnel/journal/",
        "/fr/personnel/equite/",
        "/fr/personnel/comptes/",
        "/fr/personnel/comptes/inviter",
        "/fr/personnel/deux-facteurs/",
        "/fr/personnel/deux-facteurs/configuration",
        "/fr/personnel/traductions/",
        "/fr/personnel/mot-de-passe",
    ),
}


@pytest.fixture
def staff_pages(db_app, staff, request):
    """(path, parsed page) for every staff page an admin sees, with one application listed."""
    lang = request.param
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client("admin@nds.example")
    pages = []
    for path in PAGES[lang]:
        path = path.format(id=application_id)
        response = client.get(path)
        assert response.status_code == 200, path
        pages.append((path, BeautifulSoup(response.get_data(as_text=True), "html.parser")))
    return pages


@pytest.mark.parametrize("staff_pages", ["en", "fr"], indirect=True)
def test_no_id_repeats_on_a_staff_page(staff_pages):
    repeated = {}
    for path, soup in staff_pages:
        counts = Counter(tag["id"] for tag in soup.find_all(id=True))
        if twice := sorted(name for name, count in counts.items() if count > 1):
            repeated[path] = twice
    assert not repeated


@pytest.mark.parametrize("staff_pages", ["en", "fr"], indirect=True)
def test_every_label_points_at_one_control(staff_pages):
    for path, soup in staff_pages:
        for label in soup.find_all("label", attrs={"for": True}):
            assert soup.find(id=label["for"]) is not None, (path, label["for"])


@pytest.mark.parametrize("staff_pages", ["en", "fr"], indirect=True)
def test_the_staff_menu_is_a_named_navigation_landmark(staff_pages):
    for path, soup in staff_pages:
        menu = soup.select_one("nav.staff-nav")
        assert menu is not None, path
        assert menu.get("aria-label"), path
        assert menu.select("a"), path


@pytest.mark.parametrize("staff_pages", ["en", "fr"], indirect=True)
def test_staff_tables_have_a_caption_and_scoped_headers(staff_pages):
    tables = 0
    for path, soup in staff_pages:
        for table in soup.select("table"):
            tables += 1
            assert table.caption is not None and table.caption.get_text(strip=True), path
            headers = table.select("th")
            assert headers, path
            assert all(header.get("scope") in {"col", "row", "colgroup", "rowgroup"} for header in headers), (
                path
            )
    assert tables >= 2


@pytest.mark.parametrize("staff_pages", ["en", "fr"], indirect=True)
def test_a_wide_table_scrolls_in_its_own_labelled_region(staff_pages):
    for path, soup in staff_pages:
        for region in soup.select(".table-scroll"):
            assert region.get("role") == "region", path
            assert region.get("tabindex") == "0", path
            assert soup.find(id=region.get("aria-labelledby")) is not None, path


@pytest.mark.parametrize("staff_pages", ["en", "fr"], indirect=True)
def test_statuses_are_shown_as_text_tags(staff_pages):
    posting = dict(staff_pages)[staff_pages[1][0]]
    application = dict(staff_pages)[staff_pages[2][0]]
    for soup in (posting, application):
        tag = soup.select_one(".status-tag")
        assert tag is not None and tag.get_text(strip=True)
