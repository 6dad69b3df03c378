"""Job facts: what a candidate decides on, read from front matter as data.

A posting may state its classification, salary, type of employment, places
of work, remote work and official-language requirement as front-matter keys
with a fixed vocabulary (see docs/content.md). They are shown in plain words
in both languages, filtered on in the listing, and published to search
engines, feeds and the API. Postings that state these only in prose (the
real CDS postings) have empty facts and keep working unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from .text import fold


class EmploymentType(StrEnum):
    """The kinds of employment a posting offers (the public service's tenures)."""

    INDETERMINATE = "indeterminate"
    TERM = "term"
    CASUAL = "casual"
    STUDENT = "student"
    SECONDMENT = "secondment"


class RemoteWork(StrEnum):
    """Where the work is done: at the office, partly, or from anywhere in Canada."""

    ON_SITE = "on-site"
    HYBRID = "hybrid"
    REMOTE = "remote"


class LanguageRequirement(StrEnum):
    """The official-language requirement of a position, as the public service states it."""

    ENGLISH_ESSENTIAL = "english-essential"
    FRENCH_ESSENTIAL = "french-essential"
    ENGLISH_OR_FRENCH = "english-or-french"
    BILINGUAL_IMPERATIVE = "bilingual-imperative"
    BILINGUAL_NON_IMPERATIVE = "bilingual-non-imperative"
    VARIOUS = "various"

    @property
    def bilingual(self) -> bool:
        """Tell whether the requirement comes with second-language levels."""
        return self.value.startswith("bilingual")


class SalaryPeriod(StrEnum):
    """What a salary amount is paid for."""

    YEAR = "year"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    HOUR = "hour"


#: Canada's provinces and territories by their two-letter postal code.
PROVINCE_CODES = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
#: The front-matter keys of the job facts, in the order they are shown.
FACT_KEYS = (
    "classification",
    "salary",
    "compensation",
    "employmentType",
    "termEnd",
    "term",
    "locations",
    "remote",
    "languageRequirement",
    "languageLevels",
)

_CLASSIFICATION = re.compile(r"^([A-Z]{2,4})-?(\d{1,2})$")
#: Reading, writing, oral interaction, for English then French: A, B, C, E (exempt), P, X.
_LANGUAGE_LEVELS = re.compile(r"^[ABCEPX]{3}/[ABCEPX]{3}$")
_LEVELS_IN_TEXT = re.compile(r"\b[ABCEPX]{3}\s*/\s*[ABCEPX]{3}\b")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Whatever is not a letter or a level: "(BBB/BBB)", "Bilingual - imperative" read as words.
_PHRASE = re.compile(r"[^a-z/]+")
_LANGUAGE_PHRASES = {
    **{member.value: member for member in LanguageRequirement},
    "anglais-essentiel": LanguageRequirement.ENGLISH_ESSENTIAL,
    "francais-essentiel": LanguageRequirement.FRENCH_ESSENTIAL,
    "english-or-french-essential": LanguageRequirement.ENGLISH_OR_FRENCH,
    "anglais-ou-francais": LanguageRequirement.ENGLISH_OR_FRENCH,
    "anglais-ou-francais-essentiel": LanguageRequirement.ENGLISH_OR_FRENCH,
    "bilingue-imperatif": LanguageRequirement.BILINGUAL_IMPERATIVE,
    "bilingual-non-imperative": LanguageRequirement.BILINGUAL_NON_IMPERATIVE,
    "bilingual-nonimperative": LanguageRequirement.BILINGUAL_NON_IMPERATIVE,
    "bilingue-non-imperatif": LanguageRequirement.BILINGUAL_NON_IMPERATIVE,
    "bilingue-nonimperatif": LanguageRequirement.BILINGUAL_NON_IMPERATIVE,
    "various-language-requirements": LanguageRequirement.VARIOUS,
    "divers": LanguageRequirement.VARIOUS,
    "diverses": LanguageRequirement.VARIOUS,
    "exigences-linguistiques-diverses": LanguageRequirement.VARIOUS,
}
_PROVINCE_NAMES = {
    "alberta": "AB",
    "british columbia": "BC",
    "colombie-britannique": "BC",
    "manitoba": "MB",
    "new brunswick": "NB",
    "nouveau-brunswick": "NB",
    "newfoundland and labrador": "NL",
    "terre-neuve-et-labrador": "NL",
    "nova scotia": "NS",
    "nouvelle-ecosse": "NS",
    "nouvelle-écosse": "NS",
    "northwest territories": "NT",
    "territoires du nord-ouest": "NT",
    "nunavut": "NU",
    "ontario": "ON",
    "prince edward island": "PE",
    "ile-du-prince-edouard": "PE",
    "île-du-prince-édouard": "PE",
    "quebec": "QC",
    "québec": "QC",
    "saskatchewan": "SK",
    "yukon": "YT",
}


@dataclass(frozen=True, slots=True)
class Salary:
    """A salary range (``minimum`` equals ``maximum`` for a single amount)."""

    minimum: Decimal
    maximum: Decimal
    currency: str = "CAD"
    period: SalaryPeriod = SalaryPeriod.YEAR


@dataclass(frozen=True, slots=True)
class Location:
    """A place of work: a city as the file writes it, and its province's code."""

    city: str
    province: str


@dataclass(frozen=True, slots=True)
class JobFacts:
    """The facts a posting states as data; every one is optional."""

    #: Group and level, e.g. ("IT-03",); several for a staffing process at more than one level.
    classifications: tuple[str, ...] = ()
    salary: Salary | None = None
    #: Salary written as prose (the older ``compensation`` key), shown when there is no ``salary``.
    compensation: str = ""
    employment_type: EmploymentType | None = None
    #: When a term position ends.
    term_end: date | None = None
    #: Type of employment written as prose (the older ``term`` key), shown when there is no type.
    term: str = ""
    locations: tuple[Location, ...] = ()
    remote: RemoteWork | None = None
    language: LanguageRequirement | None = None
    #: Second-language levels of a bilingual position, e.g. "BBB/BBB".
    language_levels: str = ""

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.__slots__)

    @property
    def provinces(self) -> frozenset[str]:
        """Return the codes of the provinces the posting's places of work are in."""
        return frozenset(location.province for location in self.locations)

    def comparable(self) -> tuple:
        """Return what must agree between a posting's translations (city names may be translated)."""
        return (
            self.classifications,
            self.salary,
            self.employment_type,
            self.term_end,
            tuple(sorted(self.provinces)),
            self.remote,
            self.language,
            self.language_levels,
        )


#: The facts of a posting that states none.
NO_FACTS = JobFacts()


def read_job_facts(data: dict[str, Any], report) -> JobFacts:
    """Read the job facts of one file's front matter.

    ``report(key, message, error=True)`` is called for each bad value, which
    is then left out (an error: the posting is still served, with the facts
    that are right), and with ``error=False`` for what is missing.
    """
    return JobFacts(
        classifications=_classifications(data.get("classification"), report),
        salary=_salary(data.get("salary"), report),
        compensation=_plain_text(data.get("compensation")),
        employment_type=_vocabulary(data, "employmentType", EmploymentType, report),
        term_end=_term_end(data, report),
        term=_plain_text(data.get("term")),
        locations=_locations(data.get("locations"), report),
        remote=_vocabulary(data, "remote", RemoteWork, report),
        language=_language_requirement(data.get("languageRequirement"), report),
        language_levels=_language_levels(data, report),
    )


def describe_read_facts(data: dict[str, Any], facts: JobFacts) -> str:
    """Return a note naming the facts a file writes as prose (shown as written, not filterable), or ""."""
    present = [key for key in FACT_KEYS if data.get(key) not in (None, "")]
    prose = [key for key, text in (("compensation", facts.compensation), ("term", facts.term)) if text]
    if not prose:
        return ""
    return (
        f"job facts: {', '.join(present)}; {' and '.join(prose)} shown as written (salary and "
        "employmentType make them facts candidates can filter on and search engines read)"
    )


def _plain_text(value: Any) -> str:
    if value is None or isinstance(value, (list, dict)):
        return ""
    return " ".join(str(value).split())


def _classifications(value: Any, report) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else re.split(r"\s*[,/;]\s*|\s+(?:or|ou)\s+", str(value))
    found = []
    for item in items:
        match = _CLASSIFICATION.match(str(item).strip().upper())
        if match is None:
            report(
                "classification",
                f"classification {str(item).strip()!r} is not a group and level like 'IT-03'; left out",
            )
            continue
        found.append(f"{match[1]}-{int(match[2]):02d}")
    return tuple(dict.fromkeys(found))


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("_", "").replace(" ", "").lstrip("$"))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _salary(value: Any, report) -> Salary | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report("salary", "salary must be a mapping with min, max, currency and period; left out")
        return None
    minimum = _amount(value.get("min"))
    maximum = _amount(value.get("max", value.get("min")))
    if minimum is None or maximum is None:
        report("salary", f"salary min {value.get('min')!r} and max {value.get('max')!r} must be amounts")
        return None
    if minimum > maximum:
        report("salary", f"salary min {minimum} is more than max {maximum}; left out")
        return None
    currency = str(value.get("currency") or "CAD").strip().upper()
    if not _CURRENCY.match(currency):
        report("salary", f"salary currency {currency!r} is not a three-letter code like CAD; left out")
        return None
    period_text = str(value.get("period") or "year").strip().lower()
    try:
        period = SalaryPeriod(period_text)
    except ValueError:
        report("salary", f"salary period {period_text!r} is not one of {_choices(SalaryPeriod)}; left out")
        return None
    return Salary(minimum, maximum, currency, period)


def _vocabulary(data: dict[str, Any], key: str, vocabulary: type[StrEnum], report):
    value = data.get(key)
    if value is None or value == "":
        return None
    text = str(value).strip().lower().replace(" ", "-").replace("_", "-")
    try:
        return vocabulary(text)
    except ValueError:
        report(key, f"{key} {value!r} is not one of {_choices(vocabulary)}; left out")
        return None


def _language_requirement(value: Any, report) -> LanguageRequirement | None:
    if value is None or value == "":
        return None
    words = _PHRASE.sub(" ", fold(str(value))).split()
    # "English essential", « Bilingue impératif (BBB/BBB) »: the CDS site wrote them as prose.
    phrase = "-".join(word for word in words if not _LANGUAGE_LEVELS.match(word.upper()))
    requirement = _LANGUAGE_PHRASES.get(phrase)
    if requirement is None:
        report(
            "languageRequirement",
            f"languageRequirement {value!r} is not one of {_choices(LanguageRequirement)}; left out",
        )
    return requirement


def _term_end(data: dict[str, Any], report) -> date | None:
    value = data.get("termEnd")
    if value is None or value == "":
        if str(data.get("employmentType") or "").strip().lower() == EmploymentType.TERM:
            report(
                "employmentType", "a term position should say when it ends (termEnd: 2027-03-31)", error=False
            )
        return None
    try:
        end = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        report("termEnd", f"termEnd {value!r} is not a date (ISO 8601, like 2027-03-31); left out")
        return None
    if str(data.get("employmentType") or "").strip().lower() != EmploymentType.TERM:
        report("termEnd", "termEnd is given but employmentType is not 'term'; left out")
        return None
    return end


def _locations(value: Any, report) -> tuple[Location, ...]:
    if value is None or value == "":
        return ()
    found = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            city, province = str(item.get("city") or "").strip(), str(item.get("province") or "")
        else:
            city, _, province = str(item).rpartition(",")
        code = _province_code(province)
        city = " ".join(city.split())
        if not city or code is None:
            report(
                "locations",
                f"location {item!r} is not a city and a province like 'Ottawa, ON'; left out",
            )
            continue
        found.append(Location(city, code))
    return tuple(dict.fromkeys(found))


def _province_code(text: str) -> str | None:
    folded = " ".join(text.split()).strip().lower()
    if folded.upper() in PROVINCE_CODES:
        return folded.upper()
    return _PROVINCE_NAMES.get(folded)


def _language_levels(data: dict[str, Any], report) -> str:
    value = data.get("languageLevels")
    requirement = str(data.get("languageRequirement") or "")
    bilingual = fold(requirement).strip().startswith("biling")
    written = _LEVELS_IN_TEXT.search(requirement.upper())
    if (value is None or value == "") and written:
        value = written[0]
    if value is None or value == "":
        if bilingual:
            report(
                "languageRequirement",
                "a bilingual position should give its levels (languageLevels: BBB/BBB)",
                error=False,
            )
        return ""
    levels = "".join(str(value).split()).upper()
    if not _LANGUAGE_LEVELS.match(levels):
        report(
            "languageLevels",
            f"languageLevels {value!r} is not reading, writing and oral levels for English and "
            "French, like 'BBB/BBB' or 'CBC/CBC'; left out",
        )
        return ""
    if not bilingual:
        report("languageLevels", "languageLevels is given but the position is not bilingual; left out")
        return ""
    return levels


def _choices(vocabulary: type[StrEnum]) -> str:
    return ", ".join(member.value for member in vocabulary)
