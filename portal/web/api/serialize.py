"""Postings as the API's JSON: facts as data and in words, URLs, and the application form.

Everything in words is in the language being serialised: call these inside
``with i18n.language(lang):``. The shapes are described, for clients, by
:mod:`.openapi`; the two change together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from wtforms import Form

from ...content import ContentIndex, Document
from ...content.criteria import CriterionKind
from ...content.jobfacts import JobFacts, Location, Salary
from ...content.search import WHERE_REMOTE, FilterValues
from ...content.text import plain_text
from ...domain.resumes import MEDIA_TYPES
from ...plumbing.i18n import LANG_ARG, format_file_size, languages
from ..apply.forms import ApplicationForm, MaxWords, form_for
from ..job_facts import describe_facts, format_location

#: The type the API gives each kind of form field (WTForms' class names).
FIELD_TYPES = {
    "StringField": "text",
    "EmailField": "email",
    "TelField": "tel",
    "URLField": "url",
    "TextAreaField": "textarea",
    "RadioField": "choice",
    "ChoiceField": "choice",
    "BooleanField": "checkbox",
    "FileField": "file",
}
#: Fields no person fills in: the form's tokens and the honeypot (a program that fills it is flagged).
MACHINE_FIELDS = frozenset({"csrf_token", "submission_token", "website"})
#: The groups of fields the form shows under one legend (the same words as the form's).
GROUP_LABELS = {
    "links": _l("Links to your work or profiles (optional)"),
    "equity": _l("Do you belong to any of these groups? Choose all that apply."),
}


def posting(
    document: Document, index: ContentIndex, now: datetime, forms: FormDescriber, *, body: bool = False
) -> dict[str, Any]:
    """Return a posting as the API shows it, its words in its own language."""
    accepts = document.accepts_applications(now)
    data: dict[str, Any] = {
        "key": document.posting_key,
        "lang": document.lang,
        "title": document.title,
        "description": plain_text(document.description),
        "url": _posting_url(document),
        "urls": {lang: _posting_url(other) for lang, other in _in_language_order(index, document)},
        "date": _iso(document.date),
        "closingDate": _iso(document.closing_at),
        "open": document.is_open(now),
        "acceptsApplications": accepts,
        "applyUrl": _apply_url(document) if accepts else None,
        "facts": facts(document.facts),
        "factsInWords": [
            {
                "key": fact.key,
                "label": fact.label,
                "text": fact.text,
                "explanation": fact.explanation or None,
                "linkText": fact.link_text or None,
                "linkUrl": fact.link_url or None,
            }
            for fact in describe_facts(document)
        ],
        "form": forms.describe(document) if accepts else None,
    }
    if body:
        data["body"] = document.body_html
    return data


def facts(job_facts: JobFacts) -> dict[str, Any]:
    """Return a posting's job facts as data: vocabulary values, codes, amounts and dates."""
    return {
        "classifications": list(job_facts.classifications),
        "salary": _salary(job_facts.salary),
        "compensation": job_facts.compensation or None,
        "employmentType": _value(job_facts.employment_type),
        "termEnd": job_facts.term_end.isoformat() if job_facts.term_end else None,
        "term": job_facts.term or None,
        "locations": [_location(location) for location in job_facts.locations],
        "remote": _value(job_facts.remote),
        "languageRequirement": _value(job_facts.language),
        "languageLevels": job_facts.language_levels or None,
    }


class FormDescriber:
    """Describe the application form of postings: the fields every form has
    are read once (from the form itself), then each posting adds its
    screening questions."""

    def __init__(self) -> None:
        form = ApplicationForm(
            formdata=None,
            # Nothing is submitted: no CSRF token, which would start a session.
            meta={"csrf": False},
            languages={code: language["name"] for code, language in languages().items()},
            max_resume_bytes=_max_resume_bytes(),
        )
        groups = {field.name: "links" for field in form.link_fields}
        groups.update({field.name: "equity" for field in form.equity_fields})
        self.fields = []
        for field in form:
            if field.name in MACHINE_FIELDS or field.type == "HiddenField":
                continue
            described = _field(field)
            group = groups.get(field.name)
            described["group"] = {"id": group, "label": str(GROUP_LABELS[group])} if group else None
            self.fields.append(described)
        self.resume = resume_rules()

    def describe(self, document: Document) -> dict[str, Any]:
        """Return a posting's application form: fields with their limits, the
        résumé it accepts, the posting's screening questions and its merit criteria."""
        return {
            "fields": self.fields,
            "resume": self.resume,
            "questions": screening_questions(document),
            "criteria": merit_criteria(document),
        }


def screening_questions(document: Document) -> list[dict[str, Any]]:
    """Return a posting's screening questions as its form asks them."""
    posting_form = form_for(document.questions)
    names = [f"question_{position}" for position in range(len(document.questions))]
    # Only the question fields: binding the whole form again for each posting would be wasted.
    questions_only = type(
        "ScreeningQuestions", (Form,), {name: getattr(posting_form, name) for name in names}
    )
    form = questions_only()
    found = []
    for name, question in zip(names, document.questions, strict=True):
        described = _field(form[name])
        found.append(
            {
                "id": question.id,
                "name": name,
                "type": question.type.value,
                "label": question.label,
                "hint": question.hint or None,
                "required": described["required"],
                "maxLength": described["maxLength"],
                "choices": described["choices"],
                "requiredAnswer": question.required_answer or None,
            }
        )
    return found


def merit_criteria(document: Document) -> list[dict[str, str]]:
    """Return the qualifications a posting's candidates are assessed on, essential ones first."""
    ordered = sorted(document.criteria, key=lambda criterion: criterion.kind is not CriterionKind.ESSENTIAL)
    return [
        {"id": criterion.id, "kind": criterion.kind.value, "label": criterion.label} for criterion in ordered
    ]


def resume_rules() -> dict[str, Any]:
    """Return the résumé files the form accepts: extensions, media types and largest size."""
    largest = _max_resume_bytes()
    return {
        "field": "resume",
        "extensions": list(MEDIA_TYPES),
        "mediaTypes": sorted({media_type.split(";")[0] for media_type in MEDIA_TYPES.values()}),
        "maxBytes": largest,
        "maxSize": format_file_size(largest),
    }


def filters(values: FilterValues) -> dict[str, list[str]]:
    """Return the filter values some listed posting has, by query parameter."""
    return {
        "classification": list(values.classifications),
        "where": [*values.provinces, *([WHERE_REMOTE] if values.remote else [])],
        "employment": [value.value for value in values.employment],
        "language": [value.value for value in values.languages],
    }


def _field(field) -> dict[str, Any]:
    choices = getattr(field, "choices", None)
    words = [validator.limit for validator in field.validators if isinstance(validator, MaxWords)]
    return {
        "name": field.name,
        "type": FIELD_TYPES.get(field.type, "text"),
        "label": str(field.label.text),
        "required": bool(field.flags.required),
        "maxLength": getattr(field.flags, "maxlength", None) or None,
        "maxWords": words[0] if words else None,
        "choices": [{"id": choice.value, "label": str(choice.label)} for choice in choices or ()],
    }


def _posting_url(document: Document) -> str:
    return url_for("public.posting", slug=document.slug, _external=True, **{LANG_ARG: document.lang})


def _apply_url(document: Document) -> str:
    return url_for("apply.form", slug=document.slug, _external=True, **{LANG_ARG: document.lang})


def _in_language_order(index: ContentIndex, document: Document) -> Iterable[tuple[str, Document]]:
    translations = index.translations_of(document)
    return ((lang, translations[lang]) for lang in languages() if lang in translations)


def _salary(salary: Salary | None) -> dict[str, Any] | None:
    if salary is None:
        return None
    return {
        "minimum": _number(salary.minimum),
        "maximum": _number(salary.maximum),
        "currency": salary.currency,
        "period": salary.period.value,
    }


def _location(location: Location) -> dict[str, str]:
    return {"city": location.city, "province": location.province, "text": format_location(location)}


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _value(member) -> str | None:
    return member.value if member is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _max_resume_bytes() -> int:
    return int(current_app.config["PORTAL_MAX_RESUME_BYTES"])
