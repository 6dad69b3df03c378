"""The database goes away: public pages keep answering from memory, a
submission gets a bilingual 503 with the form filled in again (nothing saved),
staff pages and /healthz say 503, and the portal recovers by itself."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event, func, select, text

from portal.domain import accounts
from portal.domain.models import Application
from portal.plumbing.db import db
from tests.conftest import BACKENDS, STAFF_PASSWORD, form_tokens_csrf
from tests.faults.conftest import FORM, Client, Proxy, dispose, fill_form, stored_applications, submit

pytestmark = pytest.mark.faults

FORMS = {
    "en": FORM,
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
NOT_SENT = {"en": "Your application was not sent", "fr": "Votre candidature n’a pas été envoyée"}
#: Seconds within which a request meets a database that is down (the SQLite
#: busy timeout is 5 s; a frozen PostgreSQL costs a 3 s ping and a 3 s connect), with room to spare.
FAILS_WITHIN = 12
#: Seconds within which the portal serves again once the database is back.
RECOVERS_WITHIN = 5
STAFF = "admin@nds.example"


def assert_form_again(answer, filled, lang: str) -> None:
    """A 503 showing the form again with every typed value, saying in every
    language that nothing was saved, and asking for the résumé again."""
    assert answer.status == 503, answer.body[:500]
    assert int(answer.headers["Retry-After"]) > 0
    soup = BeautifulSoup(answer.body, "lxml")
    assert soup.html["lang"] == lang
    for name, value in filled.fields.items():
        if name in ("csrf_token", "submission_token", "privacy_acknowledged"):
            continue
        element = soup.find(attrs={"name": name})
        shown = (
            element.get_text()
            if element.name == "textarea"
            else soup.find(attrs={"name": name, "value": value}).get("value")
        )
        assert shown.strip() == value, name
    assert soup.find("input", attrs={"name": "submission_token"})["value"] == filled.token
    assert soup.find(attrs={"name": "privacy_acknowledged"}).has_attr("checked")
    notice = soup.find(id="not-saved")
    assert notice is not None and notice.get("role") == "alert"
    assert [section["lang"] for section in notice.find_all("div")] == [lang, "fr" if lang == "en" else "en"]
    assert NOT_SENT["en"] in notice.get_text() and NOT_SENT["fr"] in notice.get_text()
    assert soup.find(id="resume-again") is not None, "the form asks for the résumé again"
    assert len(soup.find_all("h1")) == 1


def long_resume():
    """A plain-text résumé longer than a database page: storing it needs new pages."""
    return (io.BytesIO("Zoë Gagnon\n".encode() + b"Led a team of designers.\n" * 2000), "cv.txt")


# In one process: a full disk ----------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_full_disk_gives_the_form_back_with_503_and_nothing_saved(make_app, lang, application_form):
    app = make_app()
    client = app.test_client()
    data = application_form(
        client,
        FORMS[lang],
        full_name="Zoë Gagnon",
        about="Ten years of service design.",
        resume=long_resume(),
    )
    with app.app_context():
        pages = db.session.execute(text("PRAGMA page_count")).scalar()
        db.session.remove()

    def full(dbapi_connection, record):
        # No page can be added: what SQLite says when the disk is full.
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with app.app_context():
        event.listen(db.engine, "connect", full)
        db.engine.dispose()
    response = client.post(FORMS[lang], data=dict(data))
    assert response.status_code == 503
    soup = BeautifulSoup(response.get_data(as_text=True), "lxml")
    assert soup.find("input", attrs={"name": "full_name"})["value"] == "Zoë Gagnon"
    assert soup.find("textarea", attrs={"name": "about"}).get_text().strip() == "Ten years of service design."
    assert NOT_SENT["en"] in soup.get_text() and NOT_SENT["fr"] in soup.get_text()
    with app.app_context():
        event.remove(db.engine, "connect", full)
        db.engine.dispose()
        assert db.session.scalar(select(func.count(Application.id))) == 0
    data["resume"] = long_resume()
    assert client.post(FORMS[lang], data=data).status_code == 303, (
        "the same form goes through once there is room"
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1


# gunicorn: the database down, then back ------------------------------------------------


class SQLiteWriteLock:
    """Another process holding SQLite's write lock (stuck, or a long maintenance)."""

    def __init__(self, url: str) -> None:
        self.connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)

    def take(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.release()
        self.connection.close()


def create_admin(database) -> None:
    app = database.app(PORTAL_PASSWORD_HASH_METHOD="argon2id:1:8:1")
    with app.app_context():
        accounts.create_user(db.session, STAFF, STAFF_PASSWORD, "admin", now=datetime.now(UTC))
        db.session.commit()
    dispose(app)


def outage_then_recovery(database, server, go_down, come_back) -> None:
    """What everyone sees while the database is down, and how fast it comes back."""
    candidate, staff = Client(server), Client(server)
    filled = fill_form(candidate, 1)
    sign_in_page = staff.get("/en/staff/sign-in")
    sign_in = {"csrf_token": form_tokens_csrf(sign_in_page.body), "email": STAFF, "password": STAFF_PASSWORD}
    go_down()
    with ThreadPoolExecutor(3) as pool:
        submitted = pool.submit(submit, candidate, filled)
        signed_in = pool.submit(
            staff.request,
            "POST",
            "/en/staff/sign-in",
            urlencode(sign_in).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        health = pool.submit(Client(server).get, "/healthz")
        for path in ("/en/jobs/", "/fr/emplois/", FORM):
            assert Client(server).get(path).status == 200, "public pages answer from memory"
        answer, reference = submitted.result()
        assert reference is None and answer.seconds < FAILS_WITHIN
        assert_form_again(answer, filled, "en")
        refused = signed_in.result()
        assert refused.status == 503 and refused.seconds < FAILS_WITHIN
        assert "Error 503" in refused.body and "Erreur 503" in refused.body
        checked = health.result()
    assert checked.status == 503
    report = json.loads(checked.body)
    assert report["checks"]["database"]["status"] == "fail"
    assert "database" in report["checks"]["database"]["problem"]
    assert report["checks"]["content"]["status"] == "ok"

    come_back()
    back_at = time.monotonic()
    while True:
        answer, reference = submit(candidate, filled)
        if reference is not None:
            break
        assert time.monotonic() - back_at < RECOVERS_WITHIN, "the portal did not recover by itself"
        time.sleep(0.2)
    assert time.monotonic() - back_at < RECOVERS_WITHIN
    assert Client(server).get("/healthz").status == 200
    stored = stored_applications(database)
    assert list(stored) == [filled.token] and stored[filled.token].reference == reference


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_locked_by_another_process(database, serve):
    create_admin(database)
    server = serve(database.url, workers=3)
    lock = SQLiteWriteLock(database.url)
    try:
        outage_then_recovery(database, server, lock.take, lock.release)
    finally:
        lock.close()


@pytest.mark.parametrize("database", [BACKENDS[1]], indirect=True)
@pytest.mark.parametrize("failure", ["refused", "hung", "frozen"])
def test_postgresql_unreachable_or_hung(database, serve, failure):
    """Refused: nothing listens. Hung: it accepts connections and never
    answers. Frozen: it stops answering on the connections already open too."""
    create_admin(database)
    proxy = Proxy(database.host, database.port)
    try:
        server = serve(database.through(proxy.port), workers=3)
        go_down = {"refused": proxy.refuse, "hung": proxy.hang, "frozen": proxy.freeze}[failure]
        outage_then_recovery(database, server, go_down, proxy.forward)
    finally:
        proxy.close()
