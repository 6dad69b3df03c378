"""schema.org JobPosting data for search engines' job listings.

Every open, listed posting page carries a ``JobPosting`` in its language
(Google's required and recommended properties), as JSON-LD in its ``<head>``;
``templates/public/posting.html`` writes it with the ``tojson`` filter, which
escapes ``<``, ``>``, ``&`` and ``'`` so no text can close the script element.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from flask.blueprints import BlueprintSetupState

from ...content import Document
from ...content.jobfacts import EmploymentType, JobFacts, Location, RemoteWork, Salary, read_job_facts
from ...plumbing.config import ConfigurationError, timezone
from ...plumbing.i18n import LANG_ARG
from .discovery import posted_at
from .views import bp

#: Google's employmentType values for the public service's kinds of employment.
EMPLOYMENT_TYPES = {
    EmploymentType.INDETERMINATE: ["FULL_TIME"],
    EmploymentType.TERM: ["FULL_TIME", "TEMPORARY"],
    EmploymentType.CASUAL: ["TEMPORARY"],
    EmploymentType.STUDENT: ["INTERN"],
    EmploymentType.SECONDMENT: ["OTHER"],
}
#: The country of every place of work, and of remote workers.
COUNTRY = "CA"
COUNTRY_NAME = "Canada"
DEFAULT_LOCATIONS = "portal.default_job_locations"


def default_locations(setting: str) -> tuple[Location, ...]:
    """Read ``PORTAL_DEFAULT_JOB_LOCATION`` ("Ottawa, ON; Whitehorse, YT");
    refuse a place that is not a city and a province."""
    places = [place.strip() for place in setting.split(";") if place.strip()]
    problems = []
    facts = read_job_facts({"locations": places}, lambda key, message, error=True: problems.append(message))
    if problems:
        raise ConfigurationError(f"PORTAL_DEFAULT_JOB_LOCATION: {'; '.join(problems)}")
    return facts.locations


def _read_default_locations(state: BlueprintSetupState) -> None:
    setting = str(state.app.config["PORTAL_DEFAULT_JOB_LOCATION"] or "")
    state.app.extensions[DEFAULT_LOCATIONS] = default_locations(setting)


bp.record(_read_default_locations)


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _place(location: Location) -> dict[str, Any]:
    return {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": location.city,
            "addressRegion": location.province,
            "addressCountry": COUNTRY,
        },
    }


def _salary(salary: Salary) -> dict[str, Any]:
    return {
        "@type": "MonetaryAmount",
        "currency": salary.currency,
        "value": {
            "@type": "QuantitativeValue",
            "minValue": _number(salary.minimum),
            "maxValue": _number(salary.maximum),
            "unitText": salary.period.value.upper(),
        },
    }


def _where(facts: JobFacts, fallback: tuple[Location, ...]) -> dict[str, Any]:
    """Return jobLocation, or for remote work jobLocationType TELECOMMUTE and
    the country candidates must live in (with the places, if named)."""
    places = facts.locations or (() if facts.remote is RemoteWork.REMOTE else fallback)
    where: dict[str, Any] = {}
    if places:
        where["jobLocation"] = [_place(location) for location in places]
    if facts.remote is RemoteWork.REMOTE:
        where["jobLocationType"] = "TELECOMMUTE"
        where["applicantLocationRequirements"] = {"@type": "Country", "name": COUNTRY_NAME}
    return where


def job_posting(
    document: Document,
    *,
    url: str,
    site_url: str,
    organisation: str,
    posted: datetime,
    direct_apply: bool,
    fallback_locations: tuple[Location, ...] = (),
) -> dict[str, Any]:
    """Return the schema.org JobPosting of a posting, in the posting's language."""
    facts = document.facts
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": document.title,
        "description": str(document.body_html),
        "datePosted": posted.isoformat(timespec="seconds"),
        "url": url,
        "hiringOrganization": {
            "@type": "Organization",
            "name": organisation,
            "sameAs": site_url,
            "url": site_url,
        },
        **_where(facts, fallback_locations),
        "identifier": {"@type": "PropertyValue", "name": organisation, "value": document.posting_key},
        "directApply": direct_apply,
    }
    if document.closing_at is not None:
        data["validThrough"] = document.closing_at.isoformat(timespec="seconds")
    if facts.employment_type is not None:
        data["employmentType"] = EMPLOYMENT_TYPES[facts.employment_type]
    if facts.salary is not None:
        data["baseSalary"] = _salary(facts.salary)
    return data


@bp.app_template_global()
def job_posting_data(document: Document) -> dict[str, Any] | None:
    """Return the JobPosting of a posting page, or None when search engines
    should not list it (closed, or hidden from the listings)."""
    now = datetime.now(UTC)
    if not document.is_listed(now):
        return None
    return job_posting(
        document,
        url=url_for("public.posting", slug=document.slug, _external=True, **{LANG_ARG: document.lang}),
        site_url=url_for("public.language_choice", _external=True),
        organisation=current_app.config["PORTAL_ORGANISATION_NAME"].get(document.lang, ""),
        posted=posted_at(document).astimezone(timezone(current_app.config)),
        direct_apply=document.accepts_applications(now),
        fallback_locations=current_app.extensions.get(DEFAULT_LOCATIONS, ()),
    )
