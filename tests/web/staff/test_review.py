"""Reviewing applications: dashboard, lists, pipeline, notes, the application page,
CSV export, equity report and audit log (through HTTP, and the service where the
rule is the point). Every test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from flask import request_finished
from flask_babel import format_datetime
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from portal.domain import accounts, review
from portal.domain.models import (
    Application,
    ApplicationLink,
    EquityResponse,
    Resume,
)
from portal.plumbing.db import db
from tests.conftest import PDF, form_tokens_csrf, notice_version, parse_page, sign_in
from tests.records import (
    DESIGNER,
    HEAD,
    PYTHON,
    STAFF_HOME,
    STATUSES,
    TITLES,
    audit_events,
    fetch,
    insert,
    new_application,
)

TRADE_OFF = (
    "Tell us about a difficult trade-off you had to make between a product's priorities "
    "based on evidence. What did you decide, and what was the outcome?"
)
EQUITY_LABELS = (
    "Women",
    "Indigenous peoples",
    "Persons with disabilities",
    "Members of visible minorities",
    "Femmes",
    "Autochtones",
)


# Helpers ------------------------------------------------------------------------


def post_from(client, page_url: str, action: str, data: dict, **options):
    """POST a form the way a browser does: with the CSRF token of the page showing it."""
    token = form_tokens_csrf(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data}, **options)


def app_url(application_id: int, lang: str = "en", tail: str = "") -> str:
    base = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}[lang]
    return f"{base}/{application_id}/{tail}"


def posting_url(posting_key: str, lang: str = "en", tail: str = "") -> str:
    base = {"en": "/en/staff/postings", "fr": "/fr/personnel/offres"}[lang]
    return f"{base}/{posting_key}/{tail}"


def table_rows(soup) -> list[list[str]]:
    """Return the body rows of the page's data table, cells as text."""
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in soup.select("table.data-table tbody tr")
    ]


def listed_ids(soup) -> list[int]:
    """Return the application ids in a posting's list, in page order."""
    return [
        int(re.search(r"/(\d+)/$", a["href"]).group(1)) for a in soup.select("table.data-table tbody th a")
    ]


def match_count(soup) -> int:
    status = soup.select_one("p[role=status]:not(.notice)")
    return int(re.search(r"\d+", status.get_text()).group(0))


def notices(soup) -> list[str]:
    return [p.get_text(" ", strip=True) for p in soup.select("p.notice")]


def staff_member(email: str):
    return accounts.find_user(db.session, email)


# 1. Dashboard -------------------------------------------------------------------


def dashboard_table(soup) -> dict[str, dict]:
    """Map each listed posting title to its state and counts."""
    table = {}
    for cells in table_rows(soup):
        title, state, *numbers = cells
        table[title] = {
            "state": state,
            "counts": dict(zip(STATUSES, map(int, numbers[:-1]))),
            "total": int(numbers[-1]),
        }
    return table


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_dashboard_lists_open_and_closed_postings_with_counts(db_app, staff, lang):
    insert(
        db_app,
        new_application(HEAD),
        new_application(HEAD),
        new_application(HEAD, status="screening"),
        new_application(HEAD, status="rejected"),
        new_application(DESIGNER, status="hired"),
        new_application(DESIGNER, status="withdrawn"),
    )
    result = parse_page(staff.client(staff.admin).get(STAFF_HOME[lang]), lang=lang)
    table = dashboard_table(result.soup)
    titles = TITLES[lang]

    assert table[titles[HEAD]]["counts"] == dict.fromkeys(STATUSES, 0) | {
        "received": 2,
        "screening": 1,
        "rejected": 1,
    }
    assert table[titles[HEAD]]["total"] == 4
    assert table[titles[DESIGNER]]["counts"]["hired"] == 1
    assert table[titles[DESIGNER]]["counts"]["withdrawn"] == 1
    assert table[titles[DESIGNER]]["total"] == 2
    # Postings without applications are listed too, with zeros.
    assert table[titles[PYTHON]]["total"] == 0
    # Open and closed postings, told apart; open ones first.
    assert table[titles[HEAD]]["state"] != table[titles[DESIGNER]]["state"]
    order = list(table)
    assert order.index(titles[HEAD]) < order.index(titles[DESIGNER])
    if lang == "en":
        assert table[titles[HEAD]]["state"] == "Open"
        assert table[titles[DESIGNER]]["state"] == "Closed"
    # A draft is not a posting yet.
    assert not any("Data Analyst" in title or "Analyste" in title for title in table)
    links = {a.get_text(strip=True): a["href"] for a in result.soup.select("table.data-table tbody th a")}
    assert links[titles[HEAD]] == posting_url(HEAD, lang)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_reviewer_sees_only_assigned_postings(db_app, staff, lang):
    ids = insert(db_app, new_application(HEAD), new_application(PYTHON), new_application(DESIGNER))
    assigned = staff.client(staff.assigned)
    result = parse_page(assigned.get(STAFF_HOME[lang]), lang=lang)
    assert list(dashboard_table(result.soup)) == [TITLES[lang][HEAD]]
    assert assigned.get(posting_url(HEAD, lang)).status_code == 200
    assert assigned.get(app_url(ids[0], lang)).status_code == 200
    for key, application_id in ((PYTHON, ids[1]), (DESIGNER, ids[2])):
        assert assigned.get(posting_url(key, lang)).status_code == 404
        assert assigned.get(app_url(application_id, lang)).status_code == 404
        assert assigned.get(app_url(application_id, lang, "resume")).status_code == 404

    unassigned = parse_page(staff.client(staff.unassigned).get(STAFF_HOME[lang]), lang=lang)
    assert table_rows(unassigned.soup) == []


def test_a_posting_removed_from_the_content_keeps_its_applications_listed(db_app, staff):
    (application_id,) = insert(
        db_app, new_application("retired-role", posting_title="Retired Role", status="offer")
    )
    admin = staff.client(staff.admin)
    table = dashboard_table(parse_page(admin.get("/en/staff/")).soup)
    assert table["Retired Role"]["counts"]["offer"] == 1
    assert table["Retired Role"]["state"] == "Closed"
    listing = parse_page(admin.get(posting_url("retired-role")))
    assert listing.h1 == "Retired Role"
    assert listed_ids(listing.soup) == [application_id]
    header, row = export_rows(admin.get(posting_url("retired-role", tail="export.csv")))
    assert header == EN_HEADERS  # no screening questions left to name
    assert dict(zip(header, row))["Status"] == "Offer"


def test_staff_pages_need_a_signed_in_account(db_app, staff):
    anonymous = staff.client(None)
    response = anonymous.get(posting_url(HEAD))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/en/staff/sign-in")


# 2. A posting's list: filters, sorting, keyset pages ----------------------------

FILTER_SET = {
    # name: (email, status, submitted at UTC)
    "Ada Lovelace": ("ada@example.org", "received", datetime(2026, 1, 10, 15, tzinfo=UTC)),
    "Grace Hopper": ("grace@NAVY.example", "screening", datetime(2026, 2, 15, 15, tzinfo=UTC)),
    # 22:30 on February 28 in Toronto, already March 1 in UTC.
    "Night Owl": ("owl@example.org", "screening", datetime(2026, 3, 1, 3, 30, tzinfo=UTC)),
    "Alan Turing": ("alan@example.org", "rejected", datetime(2026, 3, 20, 15, tzinfo=UTC)),
    "Percent 100% Sure": ("pct@example.org", "received", datetime(2026, 4, 1, 15, tzinfo=UTC)),
    "Rita 1000 Sure": ("pct2@example.org", "received", datetime(2026, 4, 2, 15, tzinfo=UTC)),
    "Under_score": ("u1@example.org", "received", datetime(2026, 4, 3, 15, tzinfo=UTC)),
    "Underxscore": ("u2@example.org", "received", datetime(2026, 4, 4, 15, tzinfo=UTC)),
}


@pytest.fixture
def filter_set(db_app):
    """The FILTER_SET applications to HEAD, plus one to another posting; ids by name."""
    applications = [
        new_application(HEAD, full_name=name, email=email, status=status, submitted_at=at)
        for name, (email, status, at) in FILTER_SET.items()
    ]
    other = new_application(PYTHON, full_name="Ada Elsewhere", email="ada2@example.org")
    ids = insert(db_app, *applications, other)
    return dict(zip([*FILTER_SET, "Ada Elsewhere"], ids))


FILTER_CASES = [
    ({}, set(FILTER_SET)),
    ({"status": "screening"}, {"Grace Hopper", "Night Owl"}),
    ({"status": "rejected"}, {"Alan Turing"}),
    ({"q": "ADA"}, {"Ada Lovelace"}),  # case-insensitive, other posting left out
    ({"q": "navy.example"}, {"Grace Hopper"}),  # email, whatever its case
    ({"q": "  grace  "}, {"Grace Hopper"}),  # spaces around are not searched
    ({"q": "100%"}, {"Percent 100% Sure"}),  # % typed literally
    ({"q": "r_s"}, {"Under_score"}),  # _ typed literally
    ({"q": "nobody"}, set()),
    ({"submitted_from": "2026-02-01", "submitted_to": "2026-02-28"}, {"Grace Hopper", "Night Owl"}),
    (
        {"submitted_from": "2026-03-01"},
        {"Alan Turing", "Percent 100% Sure", "Rita 1000 Sure", "Under_score", "Underxscore"},
    ),
    ({"submitted_to": "2026-01-31"}, {"Ada Lovelace"}),
    ({"status": "screening", "submitted_from": "2026-02-16"}, {"Night Owl"}),
    ({"status": "bogus"}, set(FILTER_SET)),  # an unknown status filters nothing
    ({"submitted_from": "not-a-date"}, set(FILTER_SET)),
]
SORT_CASES = [
    (
        "newest",
        [
            "Underxscore",
            "Under_score",
            "Rita 1000 Sure",
            "Percent 100% Sure",
            "Alan Turing",
            "Night Owl",
            "Grace Hopper",
            "Ada Lovelace",
        ],
    ),
    (
        "oldest",
        [
            "Ada Lovelace",
            "Grace Hopper",
            "Night Owl",
            "Alan Turing",
            "Percent 100% Sure",
            "Rita 1000 Sure",
            "Under_score",
            "Underxscore",
        ],
    ),
    (
        "name",
        [
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Night Owl",
            "Percent 100% Sure",
            "Rita 1000 Sure",
            "Under_score",
            "Underxscore",
        ],
    ),
    (
        "",
        [
            "Underxscore",
            "Under_score",
            "Rita 1000 Sure",
            "Percent 100% Sure",
            "Alan Turing",
            "Night Owl",
            "Grace Hopper",
            "Ada Lovelace",
        ],
    ),  # newest by default
]


def test_posting_list_filters(db_app, staff, filter_set, subtests):
    client = staff.client(staff.admin)
    for query, expected in FILTER_CASES:
        with subtests.test(**query):
            result = parse_page(client.get(posting_url(HEAD), query_string=query))
            assert {cells[1] for cells in table_rows(result.soup)} == expected
            assert match_count(result.soup) == len(expected)


def test_posting_list_sorts(db_app, staff, filter_set, subtests):
    client = staff.client(staff.admin)
    for sort, expected in SORT_CASES:
        with subtests.test(sort=sort):
            result = parse_page(client.get(posting_url(HEAD), query_string={"sort": sort}))
            assert [cells[1] for cells in table_rows(result.soup)] == expected


def many_applications(count: int = 120) -> list[Application]:
    """Applications with tied submission times and tied names, so the order
    needs the id as a tie-breaker; statuses alternate."""
    base = datetime(2026, 5, 1, 12, tzinfo=UTC)
    return [
        new_application(
            HEAD,
            full_name=f"Candidate {(n * 37) % (count // 2):03d}",
            submitted_at=base + timedelta(minutes=n // 3),
            status=("received", "screening")[n % 2],
        )
        for n in range(count)
    ]


def expected_order(app, ids: list[int], sort: str, status: str = "") -> list[int]:
    with app.app_context():
        rows = [db.session.get(Application, i) for i in ids]
        rows = [row for row in rows if not status or row.status == status]
        if sort == "name":
            return [row.id for row in sorted(rows, key=lambda r: (r.full_name, r.id))]
        ordered = sorted(rows, key=lambda r: (r.submitted_at, r.id), reverse=sort == "newest")
        return [row.id for row in ordered]


def walk_pages(client, url: str, query: dict) -> list:
    """Follow "Next page" from the first page to the last; return each page's soup."""
    pages = [parse_page(client.get(url, query_string=query)).soup]
    while (following := pages[-1].select_one("nav.pager a[rel=next]")) is not None:
        assert len(pages) < 10, "the Next page links go round in circles"
        pages.append(parse_page(client.get(following["href"])).soup)
    return pages


@pytest.mark.parametrize(
    ("sort", "status"),
    [
        ("newest", ""),
        ("oldest", ""),
        ("name", ""),
        ("newest", "screening"),
    ],
)
def test_keyset_pages_show_every_application_once_in_order(db_app, staff, sort, status):
    ids = insert(db_app, *many_applications(120))
    expected = expected_order(db_app, ids, sort, status)
    client = staff.client(staff.admin)
    query = {"sort": sort, "status": status}

    pages = walk_pages(client, posting_url(HEAD), query)
    seen = [i for soup in pages for i in listed_ids(soup)]
    assert seen == expected
    assert [len(listed_ids(soup)) for soup in pages] == [
        min(review.PAGE_SIZE, len(expected) - start) for start in range(0, len(expected), review.PAGE_SIZE)
    ]
    assert all(match_count(soup) == len(expected) for soup in pages)
    # The filters stay on every page.
    assert all(f"sort={sort}" in a["href"] for soup in pages for a in soup.select("nav.pager a"))

    # "Previous page" goes back one page at a time, to a first page without one.
    soup = pages[-1]
    for earlier in reversed(pages[:-1]):
        soup = parse_page(client.get(soup.select_one("nav.pager a[rel=prev]")["href"])).soup
        assert listed_ids(soup) == listed_ids(earlier)
    assert soup.select_one("nav.pager a[rel=prev]") is None


def test_the_first_page_has_no_previous_link_and_one_page_no_pager(db_app, staff):
    insert(db_app, *[new_application(HEAD) for _ in range(3)])
    soup = parse_page(staff.client(staff.admin).get(posting_url(HEAD))).soup
    assert len(listed_ids(soup)) == 3
    assert soup.select("nav.pager a") == []


def cursor(direction, value, identifier, sort="newest") -> str:
    """Build a cursor as review.encode_cursor does, with any values."""
    raw = json.dumps([direction, sort, value, identifier]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_CURSORS = {
    "not base64": "!!!not base64!!!",
    "plain word": "garbage",
    "not JSON": base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
    "a number": base64.urlsafe_b64encode(b"42").decode(),
    "an object": base64.urlsafe_b64encode(json.dumps({"after": 1, "b": 2, "c": 3}).encode()).decode(),
    "too short": base64.urlsafe_b64encode(json.dumps(["after"]).encode()).decode(),
    "unknown direction": cursor("sideways", "2026-05-01T12:00:00+00:00", 3),
    "text id": cursor("after", "2026-05-01T12:00:00+00:00", "3"),
}


def test_a_malformed_cursor_shows_the_first_page(db_app, staff, subtests):
    insert(db_app, *many_applications(60))
    client = staff.client(staff.admin)
    first = listed_ids(parse_page(client.get(posting_url(HEAD))).soup)
    for label, malformed in MALFORMED_CURSORS.items():
        with subtests.test(cursor=label):
            result = parse_page(client.get(posting_url(HEAD), query_string={"cursor": malformed}))
            assert listed_ids(result.soup) == first


def backend(app) -> str:
    return "postgresql" if app.config["DATABASE_URL"].startswith("postgresql") else "sqlite"


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param(cursor("after", "not a date", 3), id="text-for-a-date"),
        pytest.param(cursor("after", ["a", "list"], 3), id="list-for-a-date"),
        pytest.param(cursor("after", "2026-05-01T12:00:00", 3), id="date-without-zone"),
        pytest.param(cursor("after", "2026-05-01T12:00:00+00:00", 10**30), id="huge-id"),
        pytest.param(cursor("after", "Ada", 3, sort="name"), id="made-for-another-sort"),
    ],
)
def test_a_cursor_with_wrong_values_does_not_fail(db_app, staff, malformed):
    """Cursors are opaque but arrive from the URL: values of the wrong type or
    range must be ignored like any malformed cursor, not sent to the database."""
    insert(db_app, *many_applications(60))
    client = staff.client(staff.admin)
    first = listed_ids(parse_page(client.get(posting_url(HEAD))).soup)
    response = client.get(posting_url(HEAD), query_string={"cursor": malformed})
    assert listed_ids(parse_page(response).soup) == first


def test_name_pages_go_past_a_name_that_looks_like_a_date(db_app, staff):
    names = (
        [f"Aaron {n:03d}" for n in range(review.PAGE_SIZE - 1)]
        + ["Jean-Marc Thibodeau"]
        + [f"Zoé {n:02d}" for n in range(10)]
    )
    ids = insert(db_app, *[new_application(HEAD, full_name=name) for name in names])
    pages = walk_pages(staff.client(staff.admin), posting_url(HEAD), {"sort": "name"})
    assert [i for soup in pages for i in listed_ids(soup)] == expected_order(db_app, ids, "name")


# 3. Bulk status change ----------------------------------------------------------


def bulk(client, posting_key: str, ids: list[int], status: str, reason: str = ""):
    return post_from(
        client,
        posting_url(posting_key),
        posting_url(posting_key, tail="status"),
        {"selected": [str(i) for i in ids], "status": status, "reason": reason},
        follow_redirects=True,
    )


def test_bulk_change_moves_the_allowed_and_skips_the_others(db_app, staff):
    fresh, also_fresh, screened, hired = insert(
        db_app,
        new_application(HEAD),
        new_application(HEAD),
        new_application(HEAD, status="screening"),
        new_application(HEAD, status="hired"),
    )
    response = bulk(staff.client(staff.assigned), HEAD, [fresh, also_fresh, screened, hired], "screening")
    result = parse_page(response)
    assert "2 moved to “Screening”; 2 could not move there from their status." in notices(result.soup)
    assert [fetch(db_app, i)["status"] for i in (fresh, also_fresh, screened, hired)] == [
        "screening",
        "screening",
        "screening",
        "hired",
    ]
    assert fetch(db_app, fresh)["history"] == [("received", "screening", "", staff.assigned)]
    assert fetch(db_app, screened)["history"] == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "screening"}, "Select at least one application"),
        ({"status": "received", "selected": ["{id}"]}, "Not a valid choice"),
    ],
)
def test_bulk_change_needs_a_selection_and_a_status_to_move_to(db_app, staff, data, message):
    (application_id,) = insert(db_app, new_application(HEAD))
    data = {
        key: [v.format(id=application_id) for v in value] if isinstance(value, list) else value
        for key, value in data.items()
    }
    client = staff.client(staff.admin)
    response = post_from(
        client, posting_url(HEAD), posting_url(HEAD, tail="status"), data, follow_redirects=True
    )
    assert any(message in notice for notice in notices(parse_page(response).soup))
    assert fetch(db_app, application_id)["status"] == "received"


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_bulk_rejection_needs_a_reason(db_app, staff, reason):
    ids = insert(db_app, new_application(HEAD), new_application(HEAD))
    result = parse_page(bulk(staff.client(staff.admin), HEAD, ids, "rejected", reason))
    assert "Write the reason for the rejection." in notices(result.soup)
    assert [fetch(db_app, i)["status"] for i in ids] == ["received", "received"]


def test_bulk_rejection_with_a_reason_records_it(db_app, staff):
    ids = insert(db_app, new_application(HEAD), new_application(HEAD, status="interview"))
    bulk(staff.client(staff.admin), HEAD, ids, "rejected", "Does not meet the essential criteria.")
    assert [fetch(db_app, i)["history"] for i in ids] == [
        [("received", "rejected", "Does not meet the essential criteria.", staff.admin)],
        [("interview", "rejected", "Does not meet the essential criteria.", staff.admin)],
    ]


@pytest.mark.parametrize("who", ["admin", "assigned"])
def test_bulk_change_cannot_reach_another_postings_applications(db_app, staff, who):
    mine, theirs = insert(db_app, new_application(HEAD), new_application(PYTHON))
    result = parse_page(bulk(staff.client(getattr(staff, who)), HEAD, [mine, theirs], "screening"))
    assert "1 moved to “Screening”; 0 could not move there from their status." in notices(result.soup)
    assert fetch(db_app, mine)["status"] == "screening"
    assert fetch(db_app, theirs) == {"status": "received", "history": [], "notes": []}


def test_bulk_change_on_an_unassigned_posting_is_not_found(db_app, staff):
    (theirs,) = insert(db_app, new_application(PYTHON))
    client = staff.client(staff.assigned)
    token = form_tokens_csrf(client.get(posting_url(HEAD)).get_data(as_text=True))
    response = client.post(
        posting_url(PYTHON, tail="status"),
        data={"csrf_token": token, "selected": [str(theirs)], "status": "screening"},
    )
    assert response.status_code == 404
    assert fetch(db_app, theirs)["status"] == "received"


# 4. The pipeline ----------------------------------------------------------------


def test_a_rejection_without_a_reason_shows_the_error_beside_the_field(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client(staff.assigned)
    response = post_from(
        client,
        app_url(application_id),
        app_url(application_id, tail="status"),
        {"status": "rejected", "reason": "   "},
    )
    result = parse_page(response)
    error = result.soup.select_one("#reason-error")
    assert error is not None and "Write the reason for the rejection" in error.get_text()
    assert result.soup.select_one("#reason")["aria-invalid"] == "true"
    assert "reason-error" in result.soup.select_one("#reason")["aria-describedby"]
    assert fetch(db_app, application_id) == {"status": "received", "history": [], "notes": []}


def test_a_forbidden_move_through_the_page_is_refused(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client(staff.assigned)
    response = post_from(
        client,
        app_url(application_id),
        app_url(application_id, tail="status"),
        {"status": "hired", "reason": "Skipping ahead"},
    )
    result = parse_page(response)
    assert result.soup.select_one("#status-error") is not None
    assert fetch(db_app, application_id)["status"] == "received"


def test_status_history_is_recorded_and_shown(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    before = datetime.now(UTC)
    for who, status, reason in (
        (staff.assigned, "screening", "Strong portfolio"),
        (staff.admin, "rejected", "Another candidate was a better fit."),
    ):
        response = post_from(
            staff.client(who),
            app_url(application_id),
            app_url(application_id, tail="status"),
            {"status": status, "reason": reason},
        )
        assert response.status_code == 302
    after = datetime.now(UTC)

    with db_app.app_context():
        changes = db.session.get(Application, application_id).status_changes
        assert [(c.from_status, c.to_status, c.reason, c.author.email) for c in changes] == [
            ("received", "screening", "Strong portfolio", staff.assigned),
            ("screening", "rejected", "Another candidate was a better fit.", staff.admin),
        ]
        assert all(before <= c.changed_at <= after for c in changes)
        with db_app.test_request_context("/en/staff/"):
            times = [format_datetime(c.changed_at, "short") for c in changes]

    result = parse_page(staff.client(staff.admin).get(app_url(application_id)))
    items = [li.get_text(" ", strip=True) for li in result.soup.select("ol.history li")]
    assert len(items) == 2
    assert times[0] in items[0] and "Received → Screening" in items[0] and staff.assigned in items[0]
    assert "Strong portfolio" in items[0]
    assert times[1] in items[1] and "Screening → Rejected" in items[1] and staff.admin in items[1]
    assert "Another candidate was a better fit." in items[1]
    # At the end of the pipeline there is no form to move it further.
    assert result.soup.select_one("form[action$='/status']") is None


# 5. Notes -----------------------------------------------------------------------


def test_no_staff_route_can_edit_or_delete(db_app):
    rules = [rule for rule in db_app.url_map.iter_rules() if rule.endpoint.startswith("staff.")]
    assert rules
    for rule in rules:
        assert not rule.methods & {"PUT", "DELETE", "PATCH"}, rule
    note_rules = [rule for rule in rules if rule.endpoint == "staff.add_note"]
    assert {frozenset(rule.methods - {"OPTIONS"}) for rule in note_rules} == {frozenset({"POST"})}


def test_notes_are_appended_and_shown_with_author_and_time(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    for who, body in ((staff.assigned, "Call back on Monday."), (staff.admin, "References checked.")):
        response = post_from(
            staff.client(who),
            app_url(application_id),
            app_url(application_id, tail="notes"),
            {"body": f"  {body}  "},
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(app_url(application_id) + "#notes")

    with db_app.app_context():
        notes = db.session.get(Application, application_id).notes
        assert [(n.body, n.author.email) for n in notes] == [
            ("Call back on Monday.", staff.assigned),
            ("References checked.", staff.admin),
        ]
        with db_app.test_request_context("/en/staff/"):
            times = [format_datetime(n.created_at, "short") for n in notes]

    client = staff.client(staff.assigned)
    result = parse_page(client.get(app_url(application_id)))
    shown = [
        (a.select_one(".meta").get_text(" ", strip=True), a.select_one(".free-text").get_text(strip=True))
        for a in result.soup.select("article.note")
    ]
    assert shown == [
        (f"{staff.assigned}, {times[0]}", "Call back on Monday."),
        (f"{staff.admin}, {times[1]}", "References checked."),
    ]
    for method in (client.put, client.delete, client.patch):
        assert method(app_url(application_id, tail="notes")).status_code == 405


@pytest.mark.parametrize("body", ["", "   \n\t "], ids=["empty", "spaces only"])
def test_an_empty_note_is_refused_beside_the_field(db_app, staff, body):
    (application_id,) = insert(db_app, new_application(HEAD))
    response = post_from(
        staff.client(staff.assigned),
        app_url(application_id),
        app_url(application_id, tail="notes"),
        {"body": body},
    )
    result = parse_page(response)
    assert result.soup.select_one("#body-error") is not None
    assert fetch(db_app, application_id)["notes"] == []


# 6. The application page and the résumé -----------------------------------------


@pytest.fixture
def full_application(db_app, application_form):
    """Submit a complete application through the public form (with equity answers),
    then add a link the form would never accept; return its id."""
    client = db_app.test_client()
    url = "/en/jobs/head-of-product-management/apply"
    data = application_form(
        client, url, link_2="http://example.com/code", equity_woman="y", equity_disability="y"
    )
    assert client.post(url, data=data).status_code == 303
    with db_app.app_context():
        application = db.session.scalars(select(Application)).one()
        application.links.append(ApplicationLink(position=9, url="javascript:alert(1)"))
        db.session.commit()
        return application.id


def test_the_application_page_shows_every_answer(db_app, staff, full_application):
    result = parse_page(staff.client(staff.assigned).get(app_url(full_application)))
    assert result.h1 == "Ada Tremblay"
    record = {
        dt.get_text(" ", strip=True): dd.get_text(" ", strip=True)
        for dt, dd in zip(result.soup.select("dl.record dt"), result.soup.select("dl.record dd"))
    }
    assert record["Email address"] == "Ada.Tremblay@example.ca"
    assert record["Phone number"] == "613-555-0123"
    assert record["Pronouns"] == "she/her"
    assert record["Preferred language"] == "English"
    assert record["Keep for future opportunities"] == "Yes"
    assert record["Privacy notice version accepted"] == notice_version()
    assert record["Status"] == "Received"
    text = result.text
    assert "I build accessible services." in text
    assert "Extra time for written tests." in text

    answers = {
        dt.get_text(" ", strip=True): dd.get_text(" ", strip=True)
        for dt, dd in zip(result.soup.select("dl.answers dt"), result.soup.select("dl.answers dd"))
    }
    assert answers == {
        "Are you able to obtain and maintain a Reliability security clearance?": "Yes",
        "What is the largest number of people you have managed directly at one time?": "None yet",
        TRADE_OFF: "A thoughtful answer.",
    }

    download = result.soup.select_one("dl.record a[href$='/resume']")
    assert download["href"] == app_url(full_application, tail="resume")
    assert "cv-ada.pdf" in download.get_text()


def test_links_are_safe_and_only_web_links_are_links(db_app, staff, full_application):
    result = parse_page(staff.client(staff.assigned).get(app_url(full_application)))
    links = {a["href"]: a for a in result.soup.find_all("a", href=True)}
    for url in ("https://example.org/portfolio", "http://example.com/code"):
        rel = links[url].get("rel") or []
        assert {"noopener", "noreferrer"} <= set(rel), rel
    assert not any(href.lower().startswith("javascript:") for href in links)


def test_equity_answers_never_appear_on_the_application_page(db_app, staff, full_application):
    with db_app.app_context():
        assert db.session.scalar(select(func.count(EquityResponse.id))) == 1
    for who in (staff.assigned, staff.admin):
        for lang in ("en", "fr"):
            html = staff.client(who).get(app_url(full_application, lang)).get_data(as_text=True)
            body = BeautifulSoup(html, "lxml").select_one("main")
            # The admin menu links to the equity report; the application itself says nothing.
            for nav in body.select("nav.staff-nav"):
                nav.decompose()
            for label in EQUITY_LABELS:
                assert label not in body.get_text(" "), (who, lang, label)


@pytest.mark.parametrize(
    ("filename", "media_type", "content"),
    [
        pytest.param("cv.pdf", "application/pdf", PDF, id="pdf"),
        pytest.param(
            "cv.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK\x03\x04 docx",
            id="docx",
        ),
        pytest.param("cv.txt", "text/plain", "Résumé de Zoé".encode(), id="txt"),
    ],
)
def test_the_resume_is_a_download_with_its_stored_type(db_app, staff, filename, media_type, content):
    resume = Resume(
        filename=filename,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    (application_id,) = insert(db_app, new_application(HEAD, resume=resume))
    response = staff.client(staff.assigned).get(app_url(application_id, tail="resume"))
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == media_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and filename in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.no_store


#: (stored name, the ASCII fallback every WSGI server can send)
NAMES = {
    "apostrophe and accent": ("CV d’Amélie.pdf", "CV d'Amelie.pdf"),
    "dash and diaereses": ("CV – Éloïse.pdf", "CV - Eloise.pdf"),
    "Cyrillic": ("Резюме Ольга.pdf", "resume.pdf"),
    "CJK": ("履歴書 山田.pdf", "resume.pdf"),
    "emoji": ("CV 🚀 Zoé.pdf", "CV _ Zoe.pdf"),
    "quotes and semicolon": ('CV "Ada"; x.pdf', "CV _Ada_; x.pdf"),
}


@pytest.mark.parametrize("case", list(NAMES))
def test_a_resume_with_any_name_downloads_with_an_ascii_header(db_app, staff, case):
    """RFC 6266: a plain ASCII filename and the real one in filename* (UTF-8,
    percent-encoded), so the header is one every WSGI server sends."""
    filename, fallback = NAMES[case]
    resume = Resume(
        filename=filename,
        media_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        content=PDF,
    )
    (application_id,) = insert(db_app, new_application(HEAD, resume=resume))
    response = staff.client(staff.assigned).get(app_url(application_id, tail="resume"))
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    disposition.encode("ascii")  # nothing a server would have to encode
    plain = re.fullmatch(r'attachment; filename=("[^"]*"|[^";]*); filename\*=(.*)', disposition)
    assert plain is not None, disposition
    assert plain[1].strip('"') == fallback
    assert plain[2] == "UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")
    # What a browser reads from it: the real name.
    assert parse_options_header(disposition)[1]["filename"] == filename
    assert [event.application_id for event in audit_events(db_app, "download_resume")] == [application_id]


STAFF_PATHS = [
    "/en/staff/",
    "/fr/personnel/",
    "/en/staff/postings/head-product-management/",
    "/en/staff/applications/{id}/",
    "/fr/personnel/candidatures/{id}/",
    "/en/staff/applications/{id}/resume",
    "/en/staff/postings/head-product-management/export.csv",
    "/fr/personnel/offres/head-product-management/export.csv",
    "/en/staff/equity/",
    "/en/staff/audit/",
    "/en/staff/accounts/",
    "/en/staff/password",
]


def test_staff_responses_are_never_stored(db_app, staff, subtests):
    (application_id,) = insert(db_app, new_application(HEAD))
    client = staff.client(staff.admin)
    for path in STAFF_PATHS:
        with subtests.test(path=path):
            response = client.get(path.format(id=application_id))
            response.get_data()  # read it all, as a browser does (the export is streamed)
            assert response.status_code == 200
            assert response.cache_control.no_store


def test_the_sign_in_page_is_never_stored(db_app, staff):
    assert staff.client(None).get("/en/staff/sign-in").cache_control.no_store


# 7. CSV export ------------------------------------------------------------------


def export_rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    text = body[len(codecs.BOM_UTF8) :].decode("utf-8")
    assert "\ufeff" not in text
    return list(csv.reader(io.StringIO(text, newline="")))


EN_HEADERS = [
    "Reference",
    "Submitted",
    "Full name",
    "Email address",
    "Phone number",
    "Pronouns",
    "Preferred language",
    "Status",
    "Keep for future opportunities",
    "About the candidate",
    "Accommodation",
    "Privacy notice version",
    "Links",
    "Signs of automation",
]


def test_export_is_utf8_with_a_bom_and_keeps_accents(db_app, staff, application_form):
    client = db_app.test_client()
    url = "/en/jobs/head-of-product-management/apply"
    assert (
        client.post(
            url,
            data=application_form(
                client,
                url,
                full_name="Geneviève Côté-Ouellet",
                email="genevieve@example.ca",
                accommodation="Salle calme, s’il vous plaît.",
            ),
        ).status_code
        == 303
    )

    response = staff.client(staff.admin).get(posting_url(HEAD, tail="export.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    header, row = export_rows(response)
    cells = dict(zip(header, row))
    assert cells["Full name"] == "Geneviève Côté-Ouellet"
    assert cells["Accommodation"] == "Salle calme, s’il vous plaît."
    assert cells["Links"] == "https://example.org/portfolio"
    assert cells["Status"] == "Received"
    assert cells["Privacy notice version"] == notice_version()


def test_export_headers_in_english(db_app, staff, submitted):
    header, *rows = export_rows(staff.client(staff.admin).get(posting_url(HEAD, tail="export.csv")))
    assert header == [
        *EN_HEADERS,
        "Are you able to obtain and maintain a Reliability security clearance?",
        "What is the largest number of people you have managed directly at one time?",
        TRADE_OFF,
    ]
    assert len(rows) == 1 and rows[0][2] == "Ada Tremblay"


def test_export_headers_in_french_from_the_french_url(db_app, staff, submitted):
    response = staff.client(staff.admin).get(posting_url(HEAD, "fr", "export.csv"))
    assert response.status_code == 200
    header, _ = export_rows(response)
    assert len(header) == len(EN_HEADERS) + 3
    # Already in the catalog, and the questions come from the French posting.
    assert {"Nom complet", "Adresse courriel", "Mesures d’adaptation"} <= set(header)
    assert header[-3] == "Êtes-vous en mesure d’obtenir et de conserver une cote de fiabilité?"
    # No column left in English.
    assert [name for name in header if name in EN_HEADERS] == []


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def test_export_neutralises_formulas(db_app, staff, subtests):
    for n, start in enumerate(FORMULA_STARTS):
        insert(
            db_app,
            new_application(
                HEAD,
                full_name=f'{start}HYPERLINK("http://evil.example")',
                pronouns=f"{start}1+1",
                accommodation=f"{start}cmd|' /C calc'!A0",
                submitted_at=datetime(2026, 7, 1 + n, tzinfo=UTC),
                answers=[("evidence-trade-off", "Trade-off?", f"{start}SUM(A1:A9)")],
            ),
        )
    insert(
        db_app,
        new_application(
            HEAD,
            full_name="Plain = Name",
            pronouns="they/them",
            submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
        ),
    )
    header, *rows = export_rows(staff.client(staff.admin).get(posting_url(HEAD, tail="export.csv")))
    assert len(rows) == len(FORMULA_STARTS) + 1
    for start, row in zip(FORMULA_STARTS, rows):
        with subtests.test(start=repr(start)):
            cells = dict(zip(header, row))
            assert cells["Full name"] == f'\'{start}HYPERLINK("http://evil.example")'
            assert cells["Pronouns"] == f"'{start}1+1"
            assert cells["Accommodation"] == f"'{start}cmd|' /C calc'!A0"
            assert row[-1] == f"'{start}SUM(A1:A9)"
    plain = dict(zip(header, rows[-1]))
    assert (plain["Full name"], plain["Pronouns"]) == ("Plain = Name", "they/them")


def test_export_is_streamed(db_app, staff, submitted):
    client = staff.client(staff.admin)
    streamed = []

    def record(sender, response, **extra):
        streamed.append(response.is_streamed)

    with request_finished.connected_to(record, db_app):
        export = client.get(posting_url(HEAD, tail="export.csv"))
        export.get_data()
        client.get(posting_url(HEAD))  # an ordinary page, for comparison
    assert streamed == [True, False]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_long_export_is_sent_in_pieces_of_many_rows(db_app, staff, lang):
    # One write per row would cost a server a system call per candidate.
    insert(db_app, *(new_application(HEAD, full_name=f"Candidate {n:04d}") for n in range(1500)))
    client = staff.client(staff.admin)
    response = client.get(posting_url(HEAD, lang, "export.csv"), buffered=False)
    pieces = [piece for piece in response.response]
    response.close()
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert len(rows) == 1501
    assert sorted(row[2] for row in rows[1:]) == [f"Candidate {n:04d}" for n in range(1500)]
    assert 1 < len(pieces) < 15
    assert all(len(piece) >= 64 * 1024 for piece in pieces[:-1])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reviewers_cannot_export(db_app, staff, submitted, lang):
    reviewer = staff.client(staff.assigned)
    assert reviewer.get(posting_url(HEAD, lang, "export.csv")).status_code == 404
    page = parse_page(reviewer.get(posting_url(HEAD, lang)), lang=lang)
    assert not any(href.endswith("export.csv") for href in page.links())
    assert audit_events(db_app, "export_csv") == []


# 8. Equity report: tests/web/staff/test_equity.py ---------------------------------


# 9. Audit log -------------------------------------------------------------------


def test_every_access_and_action_is_audited(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    assert sign_in(db_app.test_client(), "ASSIGNED@nds.example", "wrong password").status_code == 200
    reviewer = staff.client(staff.assigned)
    reviewer.get(app_url(application_id))
    reviewer.get(app_url(application_id, tail="resume"))
    token = form_tokens_csrf(reviewer.get(app_url(application_id)).get_data(as_text=True))
    reviewer.post(app_url(application_id, tail="status"), data={"csrf_token": token, "status": "screening"})
    reviewer.post(app_url(application_id, tail="notes"), data={"csrf_token": token, "body": "Promising."})
    admin = staff.client(staff.admin)
    admin.get(posting_url(HEAD, tail="export.csv")).get_data()
    admin.get("/en/staff/equity/")

    events = audit_events(db_app)
    recorded = {(e.action, e.actor, e.application_id, e.posting_key, e.ip_address) for e in events}
    expected = {
        ("sign_in_failed", staff.assigned, None, None, "127.0.0.1"),
        ("sign_in", staff.assigned, None, None, "127.0.0.1"),
        ("view_application", staff.assigned, application_id, HEAD, "127.0.0.1"),
        ("download_resume", staff.assigned, application_id, HEAD, "127.0.0.1"),
        ("change_status", staff.assigned, application_id, HEAD, "127.0.0.1"),
        ("add_note", staff.assigned, application_id, HEAD, "127.0.0.1"),
        ("export_csv", staff.admin, None, HEAD, "127.0.0.1"),
        ("view_equity_report", staff.admin, None, None, "127.0.0.1"),
    }
    assert expected <= recorded, expected - recorded
    with db_app.app_context():
        users = {email: staff_member(email).id for email in (staff.admin, staff.assigned)}
    for event in events:
        assert event.at is not None and event.at.tzinfo is not None
        if event.action != "sign_in_failed":
            assert event.staff_user_id == users[event.actor]
    counts = {
        action: sum(e.action == action for e in events)
        for action in ("change_status", "add_note", "download_resume", "export_csv")
    }
    assert counts == dict.fromkeys(counts, 1)
    assert next(e for e in events if e.action == "change_status").detail == "received -> screening"
    outcomes = {(e.action, e.role, e.outcome) for e in events}
    assert ("sign_in_failed", "reviewer", "failed") in outcomes  # a known account: its role
    assert ("change_status", "reviewer", "done") in outcomes
    assert ("export_csv", "admin", "done") in outcomes
    assert next(e for e in events if e.action == "export_csv").detail == "1 rows"


def audit_page(client, **query) -> list[dict]:
    """Return the entries the audit page lists, actions as their codes."""
    soup = parse_page(client.get("/en/staff/audit/", query_string=query)).soup
    # The page may name actions in words: the action filter's options say which code each is.
    codes = {
        option.get_text(" ", strip=True): option["value"]
        for option in soup.select("select#action option")
        if option["value"]
    }
    rows = []
    for row in soup.select("table.data-table tbody tr"):
        cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
        if len(cells) == 9:
            entry = dict(
                zip(
                    ("at", "actor", "role", "action", "outcome", "application", "posting", "ip", "detail"),
                    cells,
                )
            )
            entry["action"] = codes.get(entry["action"], entry["action"])
            rows.append(entry)
    return rows


def test_the_audit_page_filters_by_action_and_actor(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    sign_in(db_app.test_client(), "intruder@example.com", "guess one")
    sign_in(db_app.test_client(), staff.unassigned, "guess two")
    staff.client(staff.assigned).get(app_url(application_id))
    admin = staff.client(staff.admin)

    failed = audit_page(admin, action="sign_in_failed")
    assert sorted(row["actor"] for row in failed) == ["intruder@example.com", staff.unassigned]
    assert all(row["ip"] == "127.0.0.1" for row in failed)

    assert [(row["actor"], row["action"]) for row in audit_page(admin, actor="INTRUDER")] == [
        ("intruder@example.com", "sign_in_failed")
    ]
    # The actor filter finds what contains the text: "assigned@" is in "unassigned@" too.
    reviewers = audit_page(admin, actor="assigned@nds")
    assert {row["actor"] for row in reviewers} == {staff.assigned, staff.unassigned}
    assert {(row["actor"], row["action"]) for row in reviewers} == {
        (staff.unassigned, "sign_in_failed"),
        (staff.assigned, "sign_in"),
        (staff.assigned, "view_application"),
    }
    viewed = next(row for row in reviewers if row["action"] == "view_application")
    assert (viewed["application"], viewed["posting"]) == (str(application_id), HEAD)

    both = audit_page(admin, action="sign_in", actor="assigned@nds")
    assert [(row["actor"], row["action"]) for row in both] == [(staff.assigned, "sign_in")]
    assert audit_page(admin, action="view_application", actor="admin@") == []
    assert audit_page(admin, actor="assigned_nds") == []  # _ typed literally
    everything = audit_page(admin)
    assert len(audit_page(admin, action="not-an-action")) == len(everything)  # ignored
    # Newest first: the admin's own sign-in is the latest entry.
    assert (everything[0]["actor"], everything[0]["action"]) == (staff.admin, "sign_in")
    assert (everything[-1]["actor"], everything[-1]["action"]) == ("intruder@example.com", "sign_in_failed")


def test_there_is_no_way_to_change_the_audit_log(db_app, staff):
    audit_rules = [
        rule
        for rule in db_app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.") and ("audit" in rule.rule or "journal" in rule.rule)
    ]
    assert {rule.endpoint for rule in audit_rules} == {"staff.audit_log"}
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in audit_rules)
    admin = staff.client(staff.admin)
    for method in (admin.post, admin.put, admin.delete, admin.patch):
        assert method("/en/staff/audit/").status_code == 405
    assert staff.client(staff.assigned).get("/en/staff/audit/").status_code == 404


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_export_follows_the_lists_filters_and_is_audited_with_them(db_app, staff, lang):
    insert(
        db_app,
        new_application(HEAD, full_name="Ada Screening", status="screening"),
        new_application(HEAD, full_name="Bob Screening", status="screening"),
        new_application(HEAD, full_name="Ada Received"),
    )
    admin = staff.client(staff.admin)
    query = {"status": "screening", "q": "ada", "submitted_from": "2026-05-01", "sort": "name"}
    listing = parse_page(admin.get(posting_url(HEAD, lang), query_string=query), lang=lang)
    (link,) = [href for href in listing.links() if "export.csv" in href]
    assert link.startswith(posting_url(HEAD, lang, "export.csv") + "?")
    assert {"status=screening", "q=ada", "submitted_from=2026-05-01"} <= set(link.split("?")[1].split("&"))
    assert "sort=" not in link
    _header, *rows = export_rows(admin.get(link))
    assert [row[2] for row in rows] == ["Ada Screening"]
    (event,) = audit_events(db_app, "export_csv")
    assert event.detail == '1 rows; status=screening; search="ada"; from=2026-05-01'
    assert "Ada Screening" not in event.detail and "@" not in event.detail

    everything = parse_page(admin.get(posting_url(HEAD, lang)))
    (plain,) = [href for href in everything.links() if "export.csv" in href]
    assert plain == posting_url(HEAD, lang, "export.csv")
    export_rows(admin.get(plain))
    assert audit_events(db_app, "export_csv")[-1].detail == "3 rows"
