"""The API's description (OpenAPI 3.1), served at ``/api/v1/openapi.json``.

Vocabularies come from the enums of :mod:`portal.content.jobfacts` and
:mod:`portal.content.search` and languages from the configuration, so the
description cannot drift from what the API accepts; the shapes mirror
:mod:`.serialize` (the schemathesis test checks every response against them).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask import current_app

from ...content.criteria import CriterionKind
from ...content.jobfacts import PROVINCE_CODES, EmploymentType, LanguageRequirement, RemoteWork, SalaryPeriod
from ...content.model import QuestionType
from ...content.search import MAX_QUERY_CHARACTERS, WHERE_REMOTE, Sort
from ...plumbing.i18n import languages
from ..job_facts import FACT_LABELS
from .errors import MESSAGES, STATUS_CODES
from .serialize import FIELD_TYPES, GROUP_LABELS
from .views import INCLUDES, bp, respond, to_json

VERSION = "1.0.0"
REF = "#/components/schemas/"


@bp.route("/openapi.json")
def openapi():
    """Describe the API (OpenAPI 3.1)."""
    # It changes with the build (respond's ETag has it) and the languages configured.
    return respond(lambda: to_json(document()), *languages(), _default_language())


def document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of the API."""
    codes = list(languages())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Job postings API",
            "version": VERSION,
            "description": (
                "Read-only, public: the open job postings, their job facts as data and in words, "
                "their pages in every language and their application form (fields, limits, accepted "
                "résumés, screening questions). Applications are made on the site, through the "
                "form at applyUrl. Responses carry an ETag (send If-None-Match for a 304) and "
                "Cache-Control; any origin may read them (CORS). Errors are JSON with a message "
                "in every language."
            ),
        },
        "paths": {
            "/api/v1/postings": {
                "get": {
                    "operationId": "listPostings",
                    "summary": "List the open postings in one language, searched and filtered",
                    "parameters": [
                        {"$ref": "#/components/parameters/lang"},
                        {"$ref": "#/components/parameters/include"},
                        *_filter_parameters(),
                    ],
                    "responses": {
                        "200": _json_response("The matching open postings", "PostingList"),
                        "304": {"description": "Not modified since the ETag sent in If-None-Match"},
                        "400": _error_response("A parameter has a value the API does not know"),
                    },
                }
            },
            "/api/v1/postings/{key}": {
                "get": {
                    "operationId": "getPosting",
                    "summary": "Show one open posting in one language",
                    "parameters": [
                        {
                            "name": "key",
                            "in": "path",
                            "required": True,
                            "description": "The posting's key (its translationKey), one for every language.",
                            "schema": {"type": "string"},
                        },
                        {"$ref": "#/components/parameters/lang"},
                        {"$ref": "#/components/parameters/include"},
                    ],
                    "responses": {
                        "200": _json_response("The posting", "Posting"),
                        "304": {"description": "Not modified since the ETag sent in If-None-Match"},
                        "400": _error_response("A parameter has a value the API does not know"),
                        "404": _error_response(
                            "No posting has this key, or it is not published in that language "
                            "(then `languages` lists those it is in)"
                        ),
                        "410": _error_response("The posting is closed"),
                    },
                }
            },
        },
        "components": {
            "parameters": {
                "lang": {
                    "name": "lang",
                    "in": "query",
                    "description": "The language of the postings and of their words.",
                    "schema": _or_empty({"type": "string", "enum": codes, "default": _default_language()}),
                },
                "include": {
                    "name": "include",
                    "in": "query",
                    "description": "`body` adds each posting's text as sanitised HTML.",
                    "schema": _or_empty({"type": "string", "enum": list(INCLUDES)}),
                },
            },
            "headers": {
                "ETag": {"description": "The version of this answer", "schema": {"type": "string"}},
                "Cache-Control": {"description": "How long it may be reused", "schema": {"type": "string"}},
            },
            "schemas": _schemas(codes),
        },
    }


def _default_language() -> str:
    return current_app.config["PORTAL_DEFAULT_LANGUAGE"]


def _filter_parameters() -> list[dict[str, Any]]:
    def parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "description": description, "schema": _or_empty(schema)}

    return [
        parameter(
            "q",
            "Words every posting must contain (title, description or text); accents and case do not "
            f"matter. Only the first {MAX_QUERY_CHARACTERS} characters count.",
            {"type": "string"},
        ),
        parameter(
            "classification",
            "A group and level, e.g. IT-03.",
            {"type": "string", "pattern": "^[A-Za-z]{2,4}-[0-9]{2}$"},
        ),
        parameter(
            "where",
            f"A province or territory (postings open to remote work from anywhere in Canada "
            f"match too), or `{WHERE_REMOTE}`.",
            {"type": "string", "enum": [*PROVINCE_CODES, WHERE_REMOTE]},
        ),
        parameter("employment", "The type of employment.", _enum(EmploymentType)),
        parameter("language", "The official-language requirement.", _enum(LanguageRequirement)),
        parameter(
            "closing",
            "`soon`: only postings that close within 7 days.",
            {"type": "string", "enum": ["soon"]},
        ),
        parameter("sort", "The order: newest first (default) or closing first.", _enum(Sort)),
    ]


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            "ETag": {"$ref": "#/components/headers/ETag"},
            "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
        },
        "content": {"application/json": {"schema": {"$ref": REF + schema}}},
    }


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": REF + "Error"}}}}


def _enum(vocabulary: type[StrEnum]) -> dict[str, Any]:
    return {"type": "string", "enum": [member.value for member in vocabulary]}


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """Let a query parameter be empty, as a form sends a field left blank: it then filters nothing."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    if "pattern" in schema:
        return {**schema, "pattern": f"^(?:{schema['pattern'].strip('^$')})?$"}
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _schemas(codes: list[str]) -> dict[str, Any]:
    text = {"type": "string"}
    url = {"type": "string", "format": "uri"}
    moment = {"type": "string", "format": "date-time"}
    in_every_language = _object({code: text for code in codes})
    choice = _object({"id": text, "label": text})
    return {
        "PostingList": _object(
            {
                "lang": {"type": "string", "enum": codes},
                "query": {
                    "type": "object",
                    "description": "The filters and order understood, as query parameters.",
                    "additionalProperties": text,
                },
                "count": {"type": "integer", "minimum": 0},
                "filters": _object(
                    {
                        "classification": {"type": "array", "items": text},
                        "where": {
                            "type": "array",
                            "items": {"type": "string", "enum": [*PROVINCE_CODES, WHERE_REMOTE]},
                        },
                        "employment": {"type": "array", "items": _enum(EmploymentType)},
                        "language": {"type": "array", "items": _enum(LanguageRequirement)},
                    }
                )
                | {"description": "The values of each filter that some posting found has."},
                "postings": {"type": "array", "items": {"$ref": REF + "Posting"}},
            }
        ),
        "Posting": _object(
            {
                "key": text,
                "lang": {"type": "string", "enum": codes},
                "title": text,
                "description": {**text, "description": "Plain text."},
                "url": url,
                "urls": {
                    "type": "object",
                    "description": "The posting's page in each language it is published in.",
                    "propertyNames": {"enum": codes},
                    "additionalProperties": url,
                },
                "date": _nullable(moment),
                "closingDate": _nullable(moment),
                "open": {"type": "boolean"},
                "acceptsApplications": {"type": "boolean"},
                "applyUrl": _nullable(url),
                "facts": {"$ref": REF + "Facts"},
                "factsInWords": {"type": "array", "items": {"$ref": REF + "FactInWords"}},
                "form": _nullable({"$ref": REF + "Form"}),
                "body": {**text, "description": "Sanitised HTML, with include=body only."},
            },
            optional=("body",),
        ),
        "Facts": _object(
            {
                "classifications": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[A-Z]{2,4}-[0-9]{2}$"},
                },
                "salary": _nullable({"$ref": REF + "Salary"}),
                "compensation": _nullable(
                    {**text, "description": "The salary as written, when not as data."}
                ),
                "employmentType": _nullable(_enum(EmploymentType)),
                "termEnd": _nullable({"type": "string", "format": "date"}),
                "term": _nullable(
                    {**text, "description": "The type of employment as written, when not as data."}
                ),
                "locations": {"type": "array", "items": {"$ref": REF + "Location"}},
                "remote": _nullable(_enum(RemoteWork)),
                "languageRequirement": _nullable(_enum(LanguageRequirement)),
                "languageLevels": _nullable({"type": "string", "pattern": "^[ABCEPX]{3}/[ABCEPX]{3}$"}),
            }
        ),
        "Salary": _object(
            {
                "minimum": {"type": "number", "minimum": 0},
                "maximum": {"type": "number", "minimum": 0},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "period": _enum(SalaryPeriod),
            }
        ),
        "Location": _object(
            {
                "city": text,
                "province": {"type": "string", "enum": list(PROVINCE_CODES)},
                "text": {**text, "description": "In words, in the requested language."},
            }
        ),
        "FactInWords": _object(
            {
                "key": {
                    "type": "string",
                    "enum": list(FACT_LABELS),
                },
                "label": text,
                "text": text,
                "explanation": _nullable(text),
                "linkText": _nullable(text),
                "linkUrl": _nullable(url),
            }
        ),
        "Form": _object(
            {
                "fields": {"type": "array", "items": {"$ref": REF + "Field"}},
                "resume": {"$ref": REF + "Resume"},
                "questions": {"type": "array", "items": {"$ref": REF + "Question"}},
                "criteria": {
                    "type": "array",
                    "items": {"$ref": REF + "Criterion"},
                    "description": "The merit criteria candidates are assessed on, essential ones first.",
                },
            }
        ),
        "Field": _object(
            {
                "name": text,
                "type": {"type": "string", "enum": sorted(set(FIELD_TYPES.values()))},
                "label": text,
                "required": {"type": "boolean"},
                "maxLength": _nullable({"type": "integer", "minimum": 1}),
                "maxWords": _nullable({"type": "integer", "minimum": 1}),
                "choices": {"type": "array", "items": choice},
                "group": _nullable(
                    _object({"id": {"type": "string", "enum": list(GROUP_LABELS)}, "label": text})
                ),
            }
        ),
        "Resume": _object(
            {
                "field": text,
                "extensions": {"type": "array", "items": text},
                "mediaTypes": {"type": "array", "items": text},
                "maxBytes": {"type": "integer", "minimum": 1},
                "maxSize": {**text, "description": "In words, in the requested language."},
            }
        ),
        "Question": _object(
            {
                "id": text,
                "name": {**text, "description": "The form field that carries the answer."},
                "type": _enum(QuestionType),
                "label": text,
                "hint": _nullable(text),
                "required": {"type": "boolean"},
                "maxLength": _nullable({"type": "integer", "minimum": 1}),
                "choices": {"type": "array", "items": choice},
                "requiredAnswer": _nullable(
                    {
                        "type": "string",
                        "enum": ["yes", "no"],
                        "description": "For an essential requirement of the job: the answer that meets "
                        "it. Another answer is shown to staff; it never rejects an application by itself.",
                    }
                ),
            }
        ),
        "Criterion": _object(
            {
                "id": {**text, "description": "The same in every language of the posting."},
                "kind": _enum(CriterionKind),
                "label": text,
            }
        ),
        "Error": _object(
            {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "code": {"type": "string", "enum": sorted({*STATUS_CODES.values(), *MESSAGES})},
                "message": in_every_language,
                "languages": {"type": "array", "items": {"type": "string", "enum": codes}},
                "reference": text,
            },
            optional=("languages", "reference"),
        ),
    }
