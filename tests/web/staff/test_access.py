"""Who may open which staff page: every staff route, every kind of visitor."""

import pytest
from sqlalchemy import select

from portal.domain import accounts, audit
from portal.domain.models import AuditEvent
from portal.plumbing.db import db
from portal.web.staff.auth import ACCESS_LEVELS
from tests.conftest import STAFF_PASSWORD, form_tokens_csrf, sign_in

ASSIGNED_KEY = "head-product-management"
OTHER_KEY = "senior-python-developer"

# endpoint: (method, URL arguments, access level). URL arguments name either
# the assigned posting ("mine") or another one ("other"), so the matrix checks
# that a reviewer cannot reach another posting by guessing its key or ids.
ROUTES = {
    "staff.sign_in": ("GET", {}, "public"),
    "staff.sign_out": ("POST", {}, "staff"),
    "staff.password": ("GET", {}, "staff"),
    "staff.dashboard": ("GET", {}, "staff"),
    "staff.posting": ("GET", {"posting_key": "mine"}, "staff"),
    "staff.bulk_status": ("POST", {"posting_key": "mine"}, "staff"),
    "staff.application": ("GET", {"application_id": "mine"}, "staff"),
    "staff.change_status": ("POST", {"application_id": "mine"}, "staff"),
    "staff.add_note": ("POST", {"application_id": "mine"}, "staff"),
    "staff.assess": ("POST", {"application_id": "mine"}, "staff"),
    "staff.send_message": ("POST", {"application_id": "mine"}, "staff"),
    "staff.correct_status": ("POST", {"application_id": "mine"}, "admin"),
    "staff.resume": ("GET", {"application_id": "mine"}, "staff"),
    "staff.export": ("GET", {"posting_key": "mine"}, "admin"),
    "staff.export_decisions": ("GET", {"posting_key": "mine"}, "admin"),
    "staff.place_application_hold": ("POST", {"application_id": "mine"}, "admin"),
    "staff.release_application_hold": ("POST", {"application_id": "mine"}, "admin"),
    "staff.place_posting_hold": ("POST", {"posting_key": "mine"}, "admin"),
    "staff.release_posting_hold": ("POST", {"posting_key": "mine"}, "admin"),
    "staff.set_name_blind": ("POST", {"posting_key": "mine"}, "admin"),
    "staff.reveal_identity": ("POST", {"application_id": "mine"}, "admin"),
    "staff.equity": ("GET", {}, "admin"),
    "staff.search": ("GET", {}, "admin"),
    "staff.audit_log": ("GET", {}, "admin"),
    "staff.staff_accounts": ("GET", {}, "admin"),
    "staff.staff_account": ("GET", {"staff_id": "admin"}, "admin"),
    "staff.translations": ("GET", {}, "admin"),
    "staff.sign_in_code": ("GET", {}, "public"),
    "staff.sign_in_enrol": ("GET", {}, "public"),
    "staff.second_factor_settings": ("GET", {}, "staff"),
    "staff.enrol_second_factor": ("GET", {}, "staff"),
    "staff.renew_recovery_codes": ("POST", {}, "staff"),
    "staff.turn_off_second_factor": ("POST", {}, "staff"),
    "staff.invite": ("GET", {}, "admin"),
    "staff.resend_invitation": ("POST", {"staff_id": "admin"}, "admin"),
    "staff.reset_second_factor": ("POST", {"staff_id": "admin"}, "admin"),
    "staff.accept_invitation": ("GET", {"token": "unknown"}, "public"),
    "staff.forgot_password": ("GET", {}, "public"),
    "staff.reset_password": ("GET", {"token": "unknown"}, "public"),
}
#: Public pages that need something a visitor does not bring: a correct
#: password first (sent back to sign in), or a link from an email (404).
PUBLIC_EXPECTED = {
    "staff.sign_in_code": {"sign-in"},
    "staff.sign_in_enrol": {"sign-in"},
    "staff.accept_invitation": {404},
    "staff.reset_password": {404},
}
VISITORS = ("anonymous", "disabled", "unassigned", "assigned", "admin")


def test_every_staff_route_is_guarded_and_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")}
    assert endpoints == set(ROUTES), "add the new staff route to ROUTES with its access level"
    for endpoint in endpoints:
        level = getattr(app.view_functions[endpoint], "access_level", None)
        assert level in ACCESS_LEVELS, f"{endpoint} has no @access(...) guard"
        assert level == ROUTES[endpoint][2], endpoint


def url_arguments(arguments, submitted, staff_ids, target):
    values = {}
    for name in arguments:
        if name == "posting_key":
            values[name] = ASSIGNED_KEY if target == "mine" else OTHER_KEY
        elif name == "application_id":
            values[name] = submitted[ASSIGNED_KEY if target == "mine" else OTHER_KEY]
        elif name == "staff_id":
            values[name] = staff_ids["admin@nds.example"]
        elif name == "token":
            values[name] = "not-a-real-token"
    return values


def expected_status(endpoint, level, visitor, method, target):
    """What the visitor must get: 200 (or a redirect after a POST), 302 to
    sign-in, or 404 (hidden, never 403: a guessed id tells nothing)."""
    if level == "public":
        return PUBLIC_EXPECTED.get(endpoint, {200})
    if visitor in ("anonymous", "disabled"):
        return {"sign-in"}
    if level == "admin" and visitor != "admin":
        return {404}
    if visitor == "unassigned" and target is not None:
        return {404}
    if visitor == "assigned" and target == "other":
        return {404}
    return {200} if method == "GET" else {200, 302, 303}


@pytest.fixture
def signed_in(staff, submitted, db_app):
    """A client per visitor; the disabled one was signed in before being disabled."""
    from portal.domain import accounts

    def set_disabled_account_active(active):
        with db_app.app_context():
            accounts.set_active(db.session, accounts.find_user(db.session, staff.disabled), active)
            db.session.commit()

    set_disabled_account_active(True)
    clients = {
        visitor: staff.client(None if visitor == "anonymous" else getattr(staff, visitor))
        for visitor in VISITORS
    }
    set_disabled_account_active(False)
    with db_app.app_context():
        db.session.commit()
        staff_ids = {user.email: user.id for user in db.session.scalars(select(accounts.StaffUser))}
    return clients, staff_ids


@pytest.mark.parametrize("visitor", VISITORS)
def test_access_matrix(db_app, signed_in, submitted, visitor):
    clients, staff_ids = signed_in
    client = clients[visitor]
    failures = []
    for endpoint, (method, arguments, level) in ROUTES.items():
        if endpoint == "staff.sign_out":
            continue  # signing out would end the session the next rows need
        targets = (
            [None]
            if not any(k in arguments for k in ("posting_key", "application_id"))
            else ["mine", "other"]
        )
        for target in targets:
            with db_app.test_request_context():
                from flask import url_for

                url = url_for(
                    endpoint, lang_code="en", **url_arguments(arguments, submitted, staff_ids, target)
                )
            if method == "GET":
                # buffered: a streamed export is read to its end, as a browser would.
                response = client.get(url, buffered=True)
            else:
                page = client.get("/en/staff/sign-in").get_data(as_text=True)
                response = client.post(
                    url,
                    data={
                        "csrf_token": form_tokens_csrf(page),
                        "body": "A note",
                        "status": "screening",
                        "selected": "1",
                    },
                )
            expected = expected_status(endpoint, level, visitor, method, target)
            got = response.status_code
            if "sign-in" in expected:
                ok = got == 302 and "/en/staff/sign-in" in response.headers["Location"]
            else:
                ok = got in expected
            if not ok:
                failures.append(f"{visitor} {method} {url}: {got}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_sign_out_then_replayed_cookie_gets_the_sign_in_page(staff, db_app):
    client = staff.client(staff.admin)
    assert client.get("/en/staff/").status_code == 200
    old_cookie = client.get_cookie("session").value
    page = client.get("/en/staff/").get_data(as_text=True)
    response = client.post("/en/staff/sign-out", data={"csrf_token": form_tokens_csrf(page)})
    assert response.status_code == 302
    replay = db_app.test_client()
    replay.set_cookie("session", old_cookie)
    response = replay.get("/en/staff/")
    assert response.status_code == 302 and "/en/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("change", ["password", "disable", "demote"])
def test_account_changes_end_every_live_session(staff, db_app, change):
    from portal.domain import accounts

    first, second = staff.client(staff.admin), staff.client(staff.admin)
    assert first.get("/en/staff/equity/").status_code == 200
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.admin)
        if change == "password":
            accounts.set_password(db.session, user, "another long passphrase")
        elif change == "disable":
            accounts.set_active(db.session, user, False)
        else:
            accounts.set_role(db.session, user, "reviewer")
        db.session.commit()
    for client in (first, second):
        response = client.get("/en/staff/equity/")
        assert response.status_code == 302 and "sign-in" in response.headers["Location"]


def test_sign_in_renews_the_session(staff, db_app):
    client = db_app.test_client()
    client.get("/en/staff/sign-in")
    before = client.get_cookie("session").value
    assert sign_in(client, staff.admin, STAFF_PASSWORD).status_code == 302
    assert client.get_cookie("session").value != before
    # Whatever the old cookie carried, it does not sign anyone in.
    stale = db_app.test_client()
    stale.set_cookie("session", before)
    assert stale.get("/en/staff/").status_code == 302


def test_session_cookie_flags(make_app, database_url):
    secure_app = make_app(DATABASE_URL=database_url, PORTAL_SECURE_COOKIES=True, RATELIMIT_ENABLED=False)
    client = secure_app.test_client()
    response = client.get("/en/staff/sign-in")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_idle_session_times_out(staff, db_app, monkeypatch):
    import time as real_time

    client = staff.client(staff.admin)
    assert client.get("/en/staff/").status_code == 200
    later = real_time.time() + db_app.config["PORTAL_STAFF_IDLE_MINUTES"] * 60 + 5
    monkeypatch.setattr("portal.web.staff.auth.time.time", lambda: later)
    response = client.get("/en/staff/")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_one_message_for_wrong_email_or_password(staff, db_app, lang, page):
    client = db_app.test_client()
    wrong_password = sign_in(client, staff.admin, "not the password", lang=lang)
    unknown_email = sign_in(client, "nobody@nds.example", STAFF_PASSWORD, lang=lang)
    disabled = sign_in(client, staff.disabled, STAFF_PASSWORD, lang=lang)
    messages = set()
    for response in (wrong_password, unknown_email, disabled):
        result = page(response, lang=lang)
        messages.add(result.soup.select_one(".error-summary li").get_text(strip=True))
    assert len(messages) == 1
    assert (
        messages.pop()
        == {
            "en": "The email address or password is not right.",
            "fr": "L’adresse courriel ou le mot de passe est erroné.",
        }[lang]
    )


def test_five_failures_make_that_address_wait_but_never_lock_the_owner_out(staff, db_app):
    guesser = db_app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        assert sign_in(guesser, staff.admin, "wrong").status_code == 200
    refused = sign_in(guesser, staff.admin, STAFF_PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 31
    assert "Too many failed attempts. Try again in 1 minute." in refused.get_data(as_text=True)
    # The owner, elsewhere, signs in: guessing cannot lock an account.
    owner = db_app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert sign_in(owner, staff.admin, STAFF_PASSWORD).status_code == 302
    with db_app.app_context():
        actions = [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("sign_in_failed") == 5 and actions.count("sign_in_refused") == 1


def test_an_address_failing_on_many_accounts_waits_for_every_account(staff, db_app):
    sprayer = db_app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "203.0.113.10"
    with db_app.app_context():
        for number in range(accounts.ADDRESS_FAILURES):
            audit.record(
                db.session, "sign_in_failed", actor=f"guess{number}@nds.example", ip_address="203.0.113.10"
            )
        db.session.commit()
    response = sign_in(sprayer, staff.assigned, STAFF_PASSWORD)
    assert response.status_code == 429
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60 + 1


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/en/staff/equity/", "/en/staff/equity/"),
        ("https://evil.example/steal", "/en/staff/"),
        ("//evil.example/steal", "/en/staff/"),
        ("/\\evil.example", "/en/staff/"),
        ("javascript:alert(1)", "/en/staff/"),
    ],
)
def test_next_redirects_only_to_this_site(staff, db_app, target, landing):
    client = db_app.test_client()
    response = sign_in(client, staff.admin, STAFF_PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_staff_pages_are_never_stored(staff, submitted):
    client = staff.client(staff.admin)
    for url in (
        "/en/staff/",
        "/en/staff/sign-in",
        f"/en/staff/applications/{submitted[ASSIGNED_KEY]}/",
        f"/en/staff/applications/{submitted[ASSIGNED_KEY]}/resume",
        f"/en/staff/postings/{ASSIGNED_KEY}/export.csv",
    ):
        assert client.get(url).cache_control.no_store, url


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sign_in_page_in_both_languages(db_app, page, lang):
    url = {"en": "/en/staff/sign-in", "fr": "/fr/personnel/connexion"}[lang]
    result = page(db_app.test_client().get(url), lang=lang)
    assert result.h1 == {"en": "Staff sign-in", "fr": "Connexion du personnel"}[lang]
    other = {"en": "fr", "fr": "en"}[lang]
    assert result.toggle() == {other: {"en": "/en/staff/sign-in", "fr": "/fr/personnel/connexion"}[other]}
    labels = {label["for"] for label in result.soup.select("form label")}
    assert {"email", "password"} <= labels
