"""Job facts in plain words, in the page's language, for pages, cards, filters and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.core import Locale
from babel.numbers import format_currency
from flask import Flask
from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l

from ..content.jobfacts import (
    EmploymentType,
    JobFacts,
    LanguageRequirement,
    Location,
    RemoteWork,
    Salary,
    SalaryPeriod,
)
from ..content.model import Document
from ..content.search import CLOSING_SOON_DAYS, days_until
from ..plumbing.i18n import (
    NBSP,
    current_language,
    current_locale,
    format_compensation,
    keep_amounts_together,
    languages,
)

PROVINCE_NAMES = {
    "AB": _l("Alberta"),
    "BC": _l("British Columbia"),
    "MB": _l("Manitoba"),
    "NB": _l("New Brunswick"),
    "NL": _l("Newfoundland and Labrador"),
    "NS": _l("Nova Scotia"),
    "NT": _l("Northwest Territories"),
    "NU": _l("Nunavut"),
    "ON": _l("Ontario"),
    "PE": _l("Prince Edward Island"),
    "QC": _l("Quebec"),
    "SK": _l("Saskatchewan"),
    "YT": _l("Yukon"),
}
EMPLOYMENT_TYPES = {
    EmploymentType.INDETERMINATE: _l("Indeterminate (permanent)"),
    EmploymentType.TERM: _l("Term (temporary)"),
    EmploymentType.CASUAL: _l("Casual"),
    EmploymentType.STUDENT: _l("Student"),
    EmploymentType.SECONDMENT: _l("Secondment or assignment"),
}
REMOTE_WORK = {
    RemoteWork.ON_SITE: _l("On site"),
    RemoteWork.HYBRID: _l("Hybrid: some days on site, the others remote"),
    RemoteWork.REMOTE: _l("Remote, from anywhere in Canada"),
}
LANGUAGE_REQUIREMENTS = {
    LanguageRequirement.ENGLISH_ESSENTIAL: _l("English essential"),
    LanguageRequirement.FRENCH_ESSENTIAL: _l("French essential"),
    LanguageRequirement.ENGLISH_OR_FRENCH: _l("English or French"),
    LanguageRequirement.BILINGUAL_IMPERATIVE: _l("Bilingual imperative"),
    LanguageRequirement.BILINGUAL_NON_IMPERATIVE: _l("Bilingual non-imperative"),
    LanguageRequirement.VARIOUS: _l("Various language requirements"),
}
#: A bilingual position's requirement with its levels, as one sentence for translators.
LANGUAGE_REQUIREMENTS_WITH_LEVELS = {
    LanguageRequirement.BILINGUAL_IMPERATIVE: _l("Bilingual imperative (%(levels)s)"),
    LanguageRequirement.BILINGUAL_NON_IMPERATIVE: _l("Bilingual non-imperative (%(levels)s)"),
}
LANGUAGE_EXPLANATIONS = {
    LanguageRequirement.ENGLISH_ESSENTIAL: _l("You must be able to do the work in English."),
    LanguageRequirement.FRENCH_ESSENTIAL: _l("You must be able to do the work in French."),
    LanguageRequirement.ENGLISH_OR_FRENCH: _l("You can do the work in English or in French, as you prefer."),
    LanguageRequirement.BILINGUAL_IMPERATIVE: _l(
        "You must meet the second-language levels when you are appointed."
    ),
    LanguageRequirement.BILINGUAL_NON_IMPERATIVE: _l(
        "You can be appointed before you meet the second-language levels; language training is then offered."
    ),
    LanguageRequirement.VARIOUS: _l("The positions to fill have different language requirements."),
}
LEVELS_EXPLANATION = _l(
    "Each group of three letters is the level needed in one official language for reading, "
    "writing and oral interaction: A is basic, B intermediate and C advanced."
)
LEVELS_LINK_TEXT = _l("About second-language levels")
_SALARY_RANGES = {
    SalaryPeriod.YEAR: _l("%(minimum)s to %(maximum)s a year"),
    SalaryPeriod.MONTH: _l("%(minimum)s to %(maximum)s a month"),
    SalaryPeriod.WEEK: _l("%(minimum)s to %(maximum)s a week"),
    SalaryPeriod.DAY: _l("%(minimum)s to %(maximum)s a day"),
    SalaryPeriod.HOUR: _l("%(minimum)s to %(maximum)s an hour"),
}
_SALARY_AMOUNTS = {
    SalaryPeriod.YEAR: _l("%(amount)s a year"),
    SalaryPeriod.MONTH: _l("%(amount)s a month"),
    SalaryPeriod.WEEK: _l("%(amount)s a week"),
    SalaryPeriod.DAY: _l("%(amount)s a day"),
    SalaryPeriod.HOUR: _l("%(amount)s an hour"),
}
FACT_LABELS = {
    "classification": _l("Classification"),
    "salary": _l("Salary"),
    "employment": _l("Type of employment"),
    "location": _l("Location"),
    "remote": _l("Remote work"),
    "language": _l("Language requirements"),
}


@dataclass(frozen=True, slots=True)
class Fact:
    """One job fact in words: its key, label and value, and what explains it."""

    key: str
    label: str
    text: str
    explanation: str = ""
    link_text: str = ""
    link_url: str = ""


def init_app(app: Flask) -> None:
    """Offer the job facts to templates."""
    app.jinja_env.globals["job_facts"] = describe_facts
    app.jinja_env.globals["closing_notice"] = closing_notice


def format_amount(amount: Decimal, currency: str) -> str:
    """Return an amount in the page locale, cents only when it has some ("$88,000", « 25,50 $ »)."""
    locale = Locale.parse(current_locale())
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(amount, currency, pattern, locale=locale, currency_digits=False)


def format_salary(salary: Salary) -> str:
    """Return a salary range and what it is paid for, kept on one line per amount."""
    minimum = format_amount(salary.minimum, salary.currency)
    if salary.minimum == salary.maximum:
        return keep_amounts_together(str(_SALARY_AMOUNTS[salary.period]) % {"amount": minimum})
    maximum = format_amount(salary.maximum, salary.currency)
    return keep_amounts_together(
        str(_SALARY_RANGES[salary.period]) % {"minimum": minimum, "maximum": maximum}
    )


def format_location(location: Location) -> str:
    """Return a place of work in the page's language ("Ottawa, Ontario", « Ottawa (Ontario) »)."""
    return gettext("%(city)s, %(province)s", city=location.city, province=PROVINCE_NAMES[location.province])


def format_employment(facts: JobFacts) -> str:
    """Return the type of employment, with a term's end date, or the prose the file wrote."""
    if facts.employment_type is None:
        return keep_amounts_together(facts.term)
    if facts.employment_type is EmploymentType.TERM and facts.term_end is not None:
        end = _no_break(format_date(facts.term_end, "long"))
        return gettext("Term (temporary), until %(date)s", date=end)
    return str(EMPLOYMENT_TYPES[facts.employment_type])


def format_language(facts: JobFacts) -> str:
    """Return the language requirement with its levels ("Bilingual imperative (BBB/BBB)")."""
    if facts.language is None:
        return ""
    with_levels = LANGUAGE_REQUIREMENTS_WITH_LEVELS.get(facts.language)
    if facts.language_levels and with_levels is not None:
        return str(with_levels) % {"levels": facts.language_levels}
    return str(LANGUAGE_REQUIREMENTS[facts.language])


def describe_facts(document: Document) -> list[Fact]:
    """Return a posting's facts in words, in the page's language, in display order."""
    facts = document.facts
    found: list[Fact] = []

    def add(key: str, text: str, **more: str) -> None:
        if text:
            found.append(Fact(key, str(FACT_LABELS[key]), text, **more))

    add("classification", ", ".join(facts.classifications))
    if facts.salary is not None:
        add("salary", format_salary(facts.salary))
    elif facts.compensation:
        add("salary", format_compensation(facts.compensation))
    add("employment", format_employment(facts))
    add("location", "; ".join(format_location(location) for location in facts.locations))
    if facts.remote is not None:
        add("remote", str(REMOTE_WORK[facts.remote]))
    if facts.language is not None:
        explanation = str(LANGUAGE_EXPLANATIONS[facts.language])
        if facts.language_levels:
            explanation = f"{explanation} {LEVELS_EXPLANATION}"
        add(
            "language",
            format_language(facts),
            explanation=explanation,
            link_text=str(LEVELS_LINK_TEXT) if facts.language.bilingual else "",
            link_url=languages().get(current_language(), {}).get("language_levels_url", "")
            if facts.language.bilingual
            else "",
        )
    return found


def closing_notice(document: Document, now: datetime | None = None) -> str:
    """Return "Closes today" or "Closes in 3 days" when a posting closes soon, else ""."""
    if document.closing_at is None:
        return ""
    days = days_until(document.closing_at, now or datetime.now(document.closing_at.tzinfo))
    if days < 0 or days > CLOSING_SOON_DAYS:
        return ""
    if days == 0:
        return gettext("Closes today")
    if days == 1:
        return gettext("Closes tomorrow")
    return ngettext("Closes in %(num)d day", "Closes in %(num)d days", days)


def where(facts: JobFacts) -> str:
    """Return where the work is done, in one line: places, then remote work."""
    parts = [format_location(location) for location in facts.locations]
    if facts.remote is not None:
        parts.append(str(REMOTE_WORK[facts.remote]))
    return "; ".join(parts)


def _no_break(text: str) -> str:
    return text.replace(" ", NBSP)
