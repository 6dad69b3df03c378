"""Job alerts: candidates get an email when new postings match their search.

A subscription is one address, one official language and optionally the
filters of a search of the jobs list (:class:`JobQuery`, without its order).
It is confirmed by a link sent to the address (double opt-in); until then
nothing else is sent, and an unconfirmed one is deleted after
``PORTAL_ALERT_CONFIRM_DAYS`` (:func:`purge_unconfirmed`, run by ``flask
retention purge``). Asking again for the same address, language and filters
sends a new link and creates nothing, and the answer never says whether the
address was subscribed.

Which postings an alert sends: those open and listed in the subscriber's
language that match the filters and that this subscription has never had.
The postings already on the list when it asked to subscribe count as had
(the candidate has just seen them): at confirmation they are recorded as
seen, so the first alert holds only postings that appeared since. Each
posting sent is recorded, unique per subscription, in the transaction that
queues the email: a posting is emailed to a subscription once, whatever
runs overlap (:func:`send_alert`).

Every email carries its own link token (only its SHA-256 is kept), valid
until the subscription is deleted: the link confirms, manages, or (one click,
RFC 8058) unsubscribes, which deletes the address. Functions take a session
and flush; the request or command commits once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..content import ContentIndex, Document, Kind
from ..content.search import QUERY_PARAMETERS, JobQuery, search_postings
from ..plumbing.i18n import LANG_ARG
from . import accounts, mail
from .models import JobAlert, JobAlertLink, JobAlertPosting

#: The query parameter that orders a listing: an alert has no order.
_SORT = QUERY_PARAMETERS["sort"]


class AlertError(ValueError):
    """A link that cannot be used; ``code`` is ``unknown`` or ``expired``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Links:
    """The absolute URLs an alert email carries, on the site the subscriber
    used (``site_url``); built without a request, so ``flask alerts send``
    writes the same links as a page would."""

    site_url: str

    def _build(self, endpoint: str, lang: str, **values) -> str:
        parts = urlsplit(self.site_url)
        adapter = current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
        )
        return adapter.build(endpoint, {**values, LANG_ARG: lang}, force_external=True)

    def confirm(self, lang: str, token: str) -> str:
        """The page that confirms a subscription."""
        return self._build("alerts.confirm", lang, token=token)

    def manage(self, lang: str, token: str) -> str:
        """The page that shows a subscription and changes or cancels it."""
        return self._build("alerts.manage", lang, token=token)

    def unsubscribe(self, lang: str, token: str) -> str:
        """The one-click unsubscribe URL (List-Unsubscribe)."""
        return self._build("alerts.unsubscribe", lang, token=token)

    def posting(self, document: Document) -> str:
        """A posting's page."""
        return self._build("public.posting", document.lang, slug=document.slug)

    def jobs(self, lang: str, query: JobQuery) -> str:
        """The jobs list with the alert's search."""
        return self._build("public.jobs", lang, **query.to_args())


def filters_of(query: JobQuery) -> str:
    """Return the stored form of a search: its parameters as JSON, without its order."""
    args = {name: value for name, value in query.to_args().items() if name != _SORT}
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def query_of(alert: JobAlert) -> JobQuery:
    """Return the search of a subscription (every posting when it has none)."""
    return JobQuery.from_args(json.loads(alert.filters or "{}"))


def _identity(email: str, language: str, filters: str) -> str:
    return hashlib.sha256("\0".join((email, language, filters)).encode()).hexdigest()


def subscribe(
    session: Session,
    email: str,
    language: str,
    query: JobQuery,
    *,
    now: datetime,
    site_url: str,
    confirm_days: int,
) -> None:
    """Ask for alerts: email a confirmation link in ``language``.

    A new address, language and search makes an unconfirmed subscription.
    The same ones again make nothing new: an unconfirmed subscription gets a
    new link (its expiry starts again), a confirmed one an email saying it
    is already active, with the link to manage it. The caller cannot tell
    which happened, so neither can whoever typed the address.
    """
    email = accounts.normalise_email(email)
    filters = filters_of(query)
    identity = _identity(email, language, filters)
    alert = session.scalar(select(JobAlert).where(JobAlert.identity == identity))
    if alert is None:
        alert = JobAlert(
            identity=identity,
            email=email,
            language=language,
            filters=filters,
            site_url=site_url,
            requested_at=now,
        )
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            # The same request, sent twice at once, made it first.
            alert = session.scalar(select(JobAlert).where(JobAlert.identity == identity))
    elif alert.confirmed_at is None:
        alert.requested_at = now
        alert.site_url = site_url
    token = _new_link(session, alert, now)
    links = Links(alert.site_url)
    mail.queue(
        session,
        recipient=alert.email,
        language=alert.language,
        template="job_alert_confirm",
        already_confirmed=alert.confirmed_at is not None,
        query=query,
        confirm_url=links.confirm(alert.language, token),
        manage_url=links.manage(alert.language, token),
        confirm_days=confirm_days,
    )
    session.flush()


def open_link(session: Session, token: str, *, now: datetime, confirm_days: int | None) -> JobAlert:
    """Return the subscription a link names; raises AlertError("unknown")
    (never was, or deleted) or AlertError("expired") (not confirmed within
    ``confirm_days``; None: never)."""
    alert = session.scalar(
        select(JobAlert).join(JobAlertLink).where(JobAlertLink.token_hash == _digest(token[:200]))
    )
    if alert is None:
        raise AlertError("unknown")
    expired = confirm_days is not None and alert.requested_at + timedelta(days=confirm_days) <= now
    if alert.confirmed_at is None and expired:
        raise AlertError("expired")
    return alert


def confirm(session: Session, alert: JobAlert, index: ContentIndex, *, now: datetime) -> None:
    """Confirm a subscription (again: nothing changes). The postings on the
    list when the subscriber asked are recorded as seen: only postings that
    appear later are emailed."""
    if alert.confirmed_at is not None:
        return
    alert.confirmed_at = now
    for document in index.listed(Kind.POSTING, alert.language, now):
        if document.date is not None and document.date > alert.requested_at:
            continue
        session.add(
            JobAlertPosting(job_alert_id=alert.id, posting_key=document.posting_key, at=now, emailed=False)
        )
    session.flush()


def change(session: Session, alert: JobAlert, *, language: str, query: JobQuery) -> JobAlert:
    """Change a subscription's language or search; return the subscription
    that now holds them. When the address already has one with these, the
    two become one: the other is kept, and this one's links lead to it."""
    filters = filters_of(query)
    identity = _identity(alert.email, language, filters)
    if identity == alert.identity:
        return alert
    other = session.scalar(select(JobAlert).where(JobAlert.identity == identity))
    if other is None:
        alert.language, alert.filters, alert.identity = language, filters, identity
        session.flush()
        return alert
    session.execute(
        update(JobAlertLink).where(JobAlertLink.job_alert_id == alert.id).values(job_alert_id=other.id)
    )
    if other.confirmed_at is None:
        other.confirmed_at = alert.confirmed_at
    session.execute(delete(JobAlert).where(JobAlert.id == alert.id))
    session.flush()
    session.expire(other)
    return other


def unsubscribe(session: Session, token: str) -> bool:
    """Delete the subscription a link names, with its links and history;
    False when there is none (already deleted: nothing to do)."""
    alert_id = session.scalar(
        select(JobAlertLink.job_alert_id).where(JobAlertLink.token_hash == _digest(token[:200]))
    )
    if alert_id is None:
        return False
    session.execute(delete(JobAlert).where(JobAlert.id == alert_id))
    session.flush()
    return True


def confirmed_alert_ids(session: Session) -> list[int]:
    """Return the ids of the confirmed subscriptions, oldest first."""
    return list(
        session.scalars(select(JobAlert.id).where(JobAlert.confirmed_at.is_not(None)).order_by(JobAlert.id))
    )


def send_alert(session: Session, alert_id: int, index: ContentIndex, *, now: datetime) -> int:
    """Queue one email to a confirmed subscription with the open postings
    that match it and that it never had; return how many (0: no email).

    The subscription is locked for the transaction: on PostgreSQL another
    run skips it (FOR UPDATE SKIP LOCKED) and, once this one has committed,
    sees what it recorded; on SQLite the transaction holds the write lock
    (BEGIN IMMEDIATE), so runs take their turns. The unique (subscription,
    posting) record is the last guard: a run that would send a posting again
    fails to record it, and its email is rolled back with it.
    """
    alert = session.scalar(
        select(JobAlert)
        .where(JobAlert.id == alert_id, JobAlert.confirmed_at.is_not(None))
        .with_for_update(skip_locked=True)
    )
    if alert is None:
        return 0
    had = set(
        session.scalars(select(JobAlertPosting.posting_key).where(JobAlertPosting.job_alert_id == alert.id))
    )
    query = query_of(alert)
    new = [
        document
        for document in search_postings(index, alert.language, query, now)
        if document.posting_key not in had
    ]
    if not new:
        return 0
    session.add_all(
        JobAlertPosting(job_alert_id=alert.id, posting_key=document.posting_key, at=now, emailed=True)
        for document in new
    )
    alert.last_sent_at = now
    token = _new_link(session, alert, now)
    links = Links(alert.site_url)
    unsubscribe_url = links.unsubscribe(alert.language, token)
    mail.queue(
        session,
        recipient=alert.email,
        language=alert.language,
        template="job_alert",
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        postings=[(document, links.posting(document)) for document in new],
        query=query,
        jobs_url=links.jobs(alert.language, query),
        manage_url=links.manage(alert.language, token),
        unsubscribe_url=unsubscribe_url,
    )
    session.flush()
    return len(new)


def purge_unconfirmed(session: Session, *, now: datetime, confirm_days: int, dry_run: bool) -> int:
    """Delete the subscriptions not confirmed within ``confirm_days`` of
    their request; return how many (would be) deleted."""
    expired = (JobAlert.confirmed_at.is_(None), JobAlert.requested_at <= now - timedelta(days=confirm_days))
    if dry_run:
        return session.scalar(select(func.count(JobAlert.id)).where(*expired)) or 0
    deleted = session.execute(delete(JobAlert).where(*expired)).rowcount
    session.flush()
    return deleted


def _new_link(session: Session, alert: JobAlert, now: datetime) -> str:
    if alert.id is None:
        session.flush()
    token = secrets.token_urlsafe(32)
    session.add(JobAlertLink(token_hash=_digest(token), job_alert_id=alert.id, created_at=now))
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
