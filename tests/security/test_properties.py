"""Property-based probes (Hypothesis): whatever a client sends to a form or
a public URL, the portal answers with a page or a refusal, never a 500.

One portal, one database and one signed-in admin serve the whole module
(module-scoped fixtures: Hypothesis runs many examples in one test call, so
a function-scoped fixture would be shared between them anyway). Examples are
bounded and Hypothesis keeps no database, so the module stays fast and
leaves nothing behind.
"""

from __future__ import annotations

import io
import string
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.domain.models import Application
from portal.plumbing.db import db
from tests.conftest import (
    PDF,
    POSTGRESQL_URL,
    STAFF_PASSWORD,
    create_staff,
    form_tokens,
    form_tokens_csrf,
    lent,
    sign_in,
)

PROBES = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
HEAD = "head-product-management"

#: Any text a client could send: control characters, NUL, right-to-left
#: marks, emoji, markup; never lone surrogates, which no encoding carries.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
#: Text biased toward what breaks parsers and databases.
nasty_text = st.one_of(
    any_text,
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\r\n",
            "'; DROP TABLE application;--",
            "<script>alert(1)</script>",
            "%00",
            "../../etc/passwd",
            "=1+1",
            "9" * 30,
            "2026-13-45",
            "0000-00-00",
            "\u202e\u200f",
            "x" * 6000,
        ]
    ),
)
segment = st.text(string.ascii_letters + string.digits + "-_.~%:@!$&'()*+,;= \\\x00é", max_size=40)


@pytest.fixture(scope="module")
def portal(request, shared_apps):
    """A portal with staff accounts and one application, for the whole module:
    on PostgreSQL when it is configured (it refuses what SQLite lets by)."""
    database = request.getfixturevalue("postgresql_migrated") if POSTGRESQL_URL else "sqlite"
    with lent(shared_apps("properties", database, RATELIMIT_ENABLED=False)) as app:
        staff = create_staff(app)
        client = app.test_client()
        assert client.post(FORM["en"], data=_application(client, "en", {})).status_code == 303
        with app.app_context():
            application_id = db.session.scalars(select(Application.id)).one()
        yield app, staff.client(staff.admin), application_id


def _application(client, lang: str, overrides: dict) -> dict:
    page = client.get(FORM[lang]).get_data(as_text=True)
    return {
        **form_tokens(page),
        "full_name": "Ada Tremblay",
        "email": "ada@example.ca",
        "preferred_language": lang,
        "privacy_acknowledged": "y",
        "question_0": "yes",
        "question_1": "none",
        "resume": (io.BytesIO(PDF), "cv.pdf"),
        **overrides,
    }


@PROBES
@given(
    lang=st.sampled_from(["en", "fr", "de", "", "EN", "en-CA"]),
    segments=st.lists(segment, max_size=4),
    query=st.lists(st.tuples(segment, nasty_text), max_size=4),
)
def test_no_public_url_gives_a_server_error(portal, lang, segments, query):
    app, _admin, _id = portal
    path = "/" + "/".join(quote(part, safe="") for part in [lang, *segments])
    # "//." would be read by the test client as a host name, not a path.
    path = "/" + path.lstrip("/")
    response = app.test_client().get(path + "?" + urlencode(query))
    assert response.status_code < 500, path


APPLY_FIELDS = [
    "full_name",
    "email",
    "phone",
    "pronouns",
    "preferred_language",
    "about",
    "accommodation",
    "link_1",
    "link_5",
    "question_0",
    "question_1",
    "question_2",
    "keep_for_future",
    "privacy_acknowledged",
    "equity_woman",
    "equity_prefer_not",
    "submission_token",
    "website",
]


@PROBES
@given(
    lang=st.sampled_from(["en", "fr"]),
    values=st.dictionaries(st.sampled_from(APPLY_FIELDS), nasty_text, max_size=6),
    with_resume=st.booleans(),
)
def test_no_application_form_gives_a_server_error(portal, lang, values, with_resume):
    app, _admin, _id = portal
    client = app.test_client()
    data = _application(client, lang, values)
    if not with_resume:
        del data["resume"]
    response = client.post(FORM[lang], data=data)
    assert response.status_code in (200, 303), response.status_code


@PROBES
@given(email=nasty_text, password=nasty_text, lang=st.sampled_from(["en", "fr"]))
def test_no_sign_in_gives_a_server_error(portal, email, password, lang):
    app, _admin, _id = portal
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    response = sign_in(client, email, password, lang=lang)
    assert response.status_code in (200, 302, 429)
    # Whatever was typed, only the right password opens the account.
    assert response.status_code != 302 or password == STAFF_PASSWORD


@PROBES
@given(body=nasty_text, status=nasty_text, reason=nasty_text)
def test_no_note_or_status_change_gives_a_server_error(portal, body, status, reason):
    _app, admin, application_id = portal
    url = f"/en/staff/applications/{application_id}/"
    token = form_tokens_csrf(admin.get(url).get_data(as_text=True))
    note = admin.post(url + "notes", data={"csrf_token": token, "body": body})
    assert note.status_code in (200, 302)
    change = admin.post(url + "status", data={"csrf_token": token, "status": status, "reason": reason})
    assert change.status_code in (200, 302)
    bulk = admin.post(
        f"/en/staff/postings/{HEAD}/status",
        data={
            "csrf_token": token,
            "status": status,
            "reason": reason,
            "selected": [body[:20], str(application_id)],
        },
    )
    assert bulk.status_code == 302


FILTERS = ["status", "q", "submitted_from", "submitted_to", "sort", "cursor"]
AUDIT_FILTERS = ["action", "actor", "application", "since", "until", "page"]


@PROBES
@given(
    filters=st.lists(st.tuples(st.sampled_from(FILTERS), nasty_text), max_size=6),
    audit_filters=st.lists(st.tuples(st.sampled_from(AUDIT_FILTERS), nasty_text), max_size=6),
    lang=st.sampled_from(["en", "fr"]),
)
def test_no_filter_gives_a_server_error(portal, filters, audit_filters, lang):
    _app, admin, _id = portal
    staff_root = {"en": "/en/staff/", "fr": "/fr/personnel/"}[lang]
    postings = {"en": "postings", "fr": "offres"}[lang]
    listing = admin.get(f"{staff_root}{postings}/{HEAD}/?{urlencode(filters)}")
    assert listing.status_code == 200
    export = admin.get(f"{staff_root}{postings}/{HEAD}/export.csv?{urlencode(filters)}", buffered=True)
    assert export.status_code == 200
    audit = admin.get(f"{staff_root}{'audit' if lang == 'en' else 'journal'}/?{urlencode(audit_filters)}")
    assert audit.status_code == 200
