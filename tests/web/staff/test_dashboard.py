"""The staff dashboard's figures (both languages): each posting's funnel,
drawn and in a table beside it, the median time at each stage, and the
postings closing soon with applications nobody reviewed, said in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.domain.models import StatusChange
from portal.web.staff import views
from tests.conftest import parse_page
from tests.records import DESIGNER, HEAD, PYTHON, STAFF_HOME, TITLES, insert, new_application

SUBMITTED = datetime(2026, 6, 1, 12, tzinfo=UTC)
#: Six days before the head of product management posting closes (2027-03-31, Toronto).
SIX_DAYS_BEFORE = datetime(2027, 3, 26, 12, tzinfo=UTC)
LABELS = {
    "en": ["Received", "Screening", "Interview", "Offer", "Hired"],
    "fr": ["Reçue", "Présélection", "Entrevue", "Offre présentée", "Embauche"],
}


def history(status, *steps):
    """An application to HEAD moved through ``steps`` of (to, days after submission)."""
    application = new_application(HEAD, submitted_at=SUBMITTED, status=status)
    before = "received"
    for after, days in steps:
        application.status_changes.append(
            StatusChange(
                from_status=before,
                to_status=after,
                reason="",
                changed_at=SUBMITTED + timedelta(days=days),
            )
        )
        before = after
    return application


def funnel(soup, key_title):
    """Return the funnel section of the posting titled ``key_title``: its SVG
    and its table's rows."""
    for section in soup.select("section.funnel"):
        if section.h3.get_text(" ", strip=True) == key_title:
            rows = [
                [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                for row in section.select("table.stage-table tbody tr")
            ]
            return section, rows
    raise AssertionError(f"no funnel for {key_title}")


@pytest.fixture
def pipeline(db_app):
    insert(
        db_app,
        history("received"),
        history("screening", ("screening", 1)),
        history("rejected", ("screening", 2), ("interview", 4), ("rejected", 4.5)),
        history("hired", ("screening", 1), ("interview", 2), ("offer", 3), ("hired", 4)),
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_posting_has_its_funnel_in_a_table_beside_the_chart(db_app, staff, pipeline, lang):
    result = parse_page(staff.client(staff.admin).get(STAFF_HOME[lang]), lang=lang)
    section, rows = funnel(result.soup, TITLES[lang][HEAD])
    # Stage, reached, now at, median time at the stage.
    assert [row[:3] for row in rows] == [
        [LABELS[lang][0], "4", "1"],
        [LABELS[lang][1], "3", "1"],
        [LABELS[lang][2], "2", "0"],
        [LABELS[lang][3], "1", "0"],
        [LABELS[lang][4], "1", "1"],
    ]
    # The chart shows the same figures, and is hidden from screen readers,
    # which read the table; its bars are in proportion.
    chart = section.select_one("svg")
    assert chart["aria-hidden"] == "true" and chart["focusable"] == "false"
    assert [text.get_text() for text in chart.select("text.funnel__count")] == ["4", "3", "2", "1", "1"]
    widths = [float(bar["width"]) for bar in chart.select("rect.funnel__bar")]
    assert widths[0] == 2 * widths[2] == 4 * widths[3]
    region = section.select_one("div.table-scroll")
    assert region["role"] == "region" and region["tabindex"] == "0"
    assert section.find(id=region["aria-labelledby"]).name == "caption"
    # Only postings with applications have a funnel; the table of counts stays.
    titles = [s.h3.get_text(" ", strip=True) for s in result.soup.select("section.funnel")]
    assert titles == [TITLES[lang][HEAD]]
    assert result.soup.select_one("#dashboard-table-1") is not None


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["1 day", "1 day, 12 hours", "18 hours", "1 day", "— none has left it yet"]),
        ("fr", ["1 jour", "1 jour et 12 heures", "18 heures", "1 jour", "— aucune ne l’a encore quittée"]),
    ],
)
def test_the_median_time_at_each_stage_is_written_in_the_page_language(
    db_app, staff, pipeline, lang, expected
):
    """Received: left after 1, 2 and 1 days; screening: after 2 and 1 days
    (one application still there); interview: 12 hours and 1 day; offer: 1
    day; nobody leaves "hired"."""
    result = parse_page(staff.client(staff.admin).get(STAFF_HOME[lang]), lang=lang)
    _, rows = funnel(result.soup, TITLES[lang][HEAD])
    assert [row[3].replace("\u00a0", " ") for row in rows] == expected


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_posting_closing_soon_with_unreviewed_applications_is_flagged_in_words(
    db_app, staff, monkeypatch, lang
):
    insert(db_app, new_application(HEAD), new_application(HEAD), new_application(PYTHON, status="screening"))
    monkeypatch.setattr(views, "_now", lambda: SIX_DAYS_BEFORE)
    result = parse_page(staff.client(staff.admin).get(STAFF_HOME[lang]), lang=lang)
    notice = result.soup.select_one("section.notice--attention")
    assert notice is not None
    items = [li.get_text(" ", strip=True) for li in notice.select("li")]
    assert len(items) == 1 and items[0].startswith(TITLES[lang][HEAD])
    words = {"en": "2 applications not yet reviewed", "fr": "2 candidatures pas encore examinées"}
    assert words[lang] in items[0]
    assert notice.select_one("a")["href"].endswith("?status=received")
    section, _ = funnel(result.soup, TITLES[lang][HEAD])
    assert words[lang] in section.select_one(".attention").get_text(" ", strip=True)
    other, _ = funnel(result.soup, TITLES[lang][PYTHON])
    assert other.select_one(".attention") is None


def test_nothing_is_flagged_when_no_posting_closes_soon(db_app, staff, monkeypatch):
    insert(db_app, new_application(HEAD))
    monkeypatch.setattr(views, "_now", lambda: SIX_DAYS_BEFORE - timedelta(days=2))
    result = parse_page(staff.client(staff.admin).get("/en/staff/"))
    assert result.soup.select_one("section.notice--attention") is None
    assert result.soup.select_one(".attention") is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_reviewer_sees_the_funnel_of_assigned_postings_only(db_app, staff, lang):
    insert(db_app, new_application(HEAD), new_application(PYTHON), new_application(DESIGNER))
    result = parse_page(staff.client(staff.assigned).get(STAFF_HOME[lang]), lang=lang)
    titles = [s.h3.get_text(" ", strip=True) for s in result.soup.select("section.funnel")]
    assert titles == [TITLES[lang][HEAD]]


def test_the_dashboard_explains_reached_and_median(db_app, staff, pipeline):
    text = parse_page(staff.client(staff.admin).get("/en/staff/")).text
    assert "“Reached” counts the applications that got to a stage, whatever happened next" in text
    assert "half of them spent less time there, half more" in text
