"""Staff sign-in: Flask-Login over revocable server-side sessions, and route guards.

The browser's cookie holds a random token; the database holds its hash. A
revoked session (sign-out, password change, disabled or demoted account) is
refused on the very next request, even if an old cookie is replayed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import NoReturn
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user

from ...domain import accounts, second_factor
from ...domain.models import Role, StaffUser
from ...plumbing.db import db
from ..errors import note_refusal

login_manager = LoginManager()
#: Access levels a staff route declares: the access-matrix test reads them.
ACCESS_LEVELS = ("public", "staff", "admin")
_TOKEN_KEY = "staff_token"
_SEEN_KEY = "staff_seen"
#: Between a correct password and the second step (a code, or enrolment).
_PENDING_KEY = "staff_pending"
#: How long the second step waits for its code; enrolment, which means
#: installing an app, gets longer.
PENDING_LIFETIME = {"code": 5 * 60, "enrol": 15 * 60}


class StaffPrincipal:
    """The signed-in staff member, as Flask-Login sees them."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.ADMIN


def init_app(app: Flask) -> None:
    """Set up Flask-Login for the staff pages."""
    # Flask-Login's own context processor loads the user for every template,
    # public pages included, which refreshes the staff session cookie there;
    # templates get the lazy proxy instead, loaded only where a page uses it.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.user_loader(_load_principal)
    login_manager.unauthorized_handler(_to_sign_in)
    # No "remember me": a staff session lives in the session cookie only.
    app.config.setdefault("REMEMBER_COOKIE_DURATION", 0)


def _load_principal(token: str) -> StaffPrincipal | None:
    idle = current_app.config["PORTAL_STAFF_IDLE_MINUTES"] * 60
    seen = session.get(_SEEN_KEY, 0)
    if time.time() - seen > idle:
        # Committed with the request that found the session idle.
        accounts.revoke(db.session, token)
        g.staff_session_ended = "idle"
        return None
    found = accounts.session_user(db.session, token)
    if found is None:
        return None
    staff_session, user = found
    lifetime = timedelta(hours=current_app.config["PORTAL_STAFF_SESSION_HOURS"])
    if datetime.now(UTC) - staff_session.created_at > lifetime:
        accounts.revoke(db.session, token)
        g.staff_session_ended = "lifetime"
        return None
    session[_SEEN_KEY] = int(time.time())
    return StaffPrincipal(user, token)


def _to_sign_in():
    ended = g.pop("staff_session_ended", None)
    if ended == "idle":
        flash(
            _(
                "Your session ended after %(minutes)d minutes without activity. Sign in again.",
                minutes=current_app.config["PORTAL_STAFF_IDLE_MINUTES"],
            )
        )
    elif ended == "lifetime":
        flash(
            _(
                "Your session ended: a session lasts at most %(hours)d hours. Sign in again.",
                hours=current_app.config["PORTAL_STAFF_SESSION_HOURS"],
            )
        )
    return redirect(url_for("staff.sign_in", next=request.full_path.rstrip("?")))


def start_pending(user: StaffUser, step: str, next_url: str | None) -> None:
    """Remember, in the signed session cookie, that ``user`` gave the right
    password and has ``step`` ("code" or "enrol") left to do. No server
    session exists yet. The state names the password hash (by a stamp), so
    it is void once the password changes, and it expires (PENDING_LIFETIME)."""
    session.clear()
    session[_PENDING_KEY] = {
        "user": user.id,
        "stamp": accounts.password_stamp(user),
        "step": step,
        "at": int(time.time()),
        "next": safe_next(next_url) or "",
        "nonce": second_factor.new_nonce(),
    }


def pending(step: str) -> tuple[StaffUser, dict] | None:
    """Return the account waiting for ``step`` and its state, if still valid."""
    state = session.get(_PENDING_KEY)
    if not isinstance(state, dict) or state.get("step") != step:
        return None
    if time.time() - state.get("at", 0) > PENDING_LIFETIME[step]:
        return None
    user = accounts.get_user(db.session, state.get("user"))
    if user is None or not user.active or accounts.password_stamp(user) != state.get("stamp"):
        return None
    return user, state


def forget_pending() -> None:
    """Drop a pending sign-in step."""
    session.pop(_PENDING_KEY, None)


def after_password(user: StaffUser, next_url: str | None):
    """Go on from a correct password: to the code step for an enrolled
    account, to enrolment where the role requires a second factor, else
    straight into a new session. Return the redirect."""
    if second_factor.enrolled(user):
        start_pending(user, "code", next_url)
        return redirect(url_for("staff.sign_in_code"))
    if second_factor.required(user):
        start_pending(user, "enrol", next_url)
        return redirect(url_for("staff.sign_in_enrol"))
    token = accounts.open_session(db.session, user, client_address(), datetime.now(UTC))
    sign_in(user, token)
    return redirect(safe_next(next_url) or url_for("staff.dashboard"))


def sign_in(user, token: str) -> None:
    """Start a fresh browser session for ``user`` (no session fixation)."""
    session.clear()
    login_user(StaffPrincipal(user, token))
    session[_SEEN_KEY] = int(time.time())


def sign_out() -> None:
    """End this browser's server session (audited) and clear its cookie."""
    if current_user.is_authenticated:
        accounts.sign_out(
            db.session,
            current_user.user,
            current_user.token,
            now=datetime.now(UTC),
            ip_address=client_address(),
        )
    logout_user()
    session.clear()


def forget_browser() -> None:
    """Clear this browser's cookie after its server sessions were revoked."""
    logout_user()
    session.clear()


def client_address() -> str:
    """Return the address the request came from (after the trusted proxies)."""
    return request.remote_addr or ""


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # A line break or other control character would end up in the Location header.
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def staff_user() -> StaffUser:
    """Return the signed-in StaffUser (inside a guarded view)."""
    return current_user.user


def refuse(*, application_id: int | None = None, posting_key: str | None = None) -> NoReturn:
    """Answer 404 to a signed-in staff member refused a page (by role or by
    posting assignment), keeping an audit entry of the refusal."""
    note_refusal("access_refused", application_id=application_id, posting_key=posting_key)
    abort(404)


#: What a member who must set up a second factor may still open.
_BEFORE_ENROLMENT = frozenset({"staff.enrol_second_factor", "staff.sign_out"})


def access(level: str) -> Callable:
    """Guard a staff view: "public" (sign-in page), "staff" (any signed-in
    staff member) or "admin". The level is recorded on the view for the
    access-matrix test, which fails for a staff route without one.

    A signed-in member whose role requires a second factor they have not set
    up (the setting changed during their session) is sent to set it up."""
    if level not in ACCESS_LEVELS:
        raise ValueError(level)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if level != "public":
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if level == "admin" and not current_user.is_admin:
                    refuse()
                if (
                    second_factor.required(current_user.user)
                    and not second_factor.enrolled(current_user.user)
                    and request.endpoint not in _BEFORE_ENROLMENT
                ):
                    return redirect(url_for("staff.enrol_second_factor"))
            return view(*args, **kwargs)

        guarded.access_level = level
        return guarded

    return decorator
