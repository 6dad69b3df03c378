"""The API's errors: JSON in every language, never the site's HTML pages.

Every error under ``/api/`` has the same body, whatever raised it (an
unknown path, a refused method, a bad parameter, a closed posting)::

    {"status": 404, "code": "not_found", "message": {"en": "...", "fr": "..."}}

The message is given in every language rather than in ``?lang``'s: the
error may be that ``lang`` names no language.
"""

from __future__ import annotations

import json

from flask import Response, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ...plumbing import i18n
from ...plumbing.requestlog import request_id

#: Where the API lives; every path under it answers errors as JSON.
API_PREFIX = "/api/"

#: The machine-readable code of each status the API answers with by itself.
STATUS_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    410: "gone",
    500: "server_error",
}
MESSAGES = {
    "bad_request": _l(
        "The request could not be understood. Check its parameters against the API description."
    ),
    # i18n: %(languages)s lists language codes, e.g. "en, fr".
    "unknown_language": _l("The lang parameter must be one of: %(languages)s."),
    # i18n: %(name)s is a query parameter, e.g. "employment"; keep it as it is.
    "invalid_parameter": _l("The %(name)s parameter has a value the API does not know."),
    "not_found": _l("There is nothing at this address. The API is described at /api/v1/openapi.json."),
    "unknown_posting": _l("No job posting has this key."),
    # i18n: %(languages)s lists language codes, e.g. "en, fr".
    "not_in_language": _l("This job posting is not published in that language. It is in: %(languages)s."),
    "gone": _l("This job posting is closed: it no longer takes applications."),
    "method_not_allowed": _l("The API only answers GET, HEAD and OPTIONS requests."),
    "server_error": _l("Something went wrong on our side. Please try again in a few minutes."),
}


class ApiError(HTTPException):
    """An error of the API: its status, its code, the values its message
    names and anything more its body gives (``fields``)."""

    def __init__(self, status: int, code: str, fields: dict | None = None, **values: str) -> None:
        super().__init__()
        self.code = status
        self.api_code = code
        self.values = values
        self.fields = fields or {}


def is_api_request() -> bool:
    """Tell whether the current request is for the API."""
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def error_response(error: HTTPException) -> Response:
    """Answer an HTTP error of the API with its JSON body."""
    status = error.code or 500
    code = (
        getattr(error, "api_code", None)
        or STATUS_CODES.get(status)
        or ("bad_request" if status < 500 else "server_error")
    )
    body = {
        "status": status,
        "code": code,
        "message": _in_every_language(code, getattr(error, "values", {})),
        **getattr(error, "fields", {}),
    }
    if status >= 500:
        # What to quote when telling us about it (the logs carry it).
        body["reference"] = request_id()
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    # A 405 names the methods that work.
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    response.cache_control.no_store = True
    return response


def _in_every_language(code: str, values: dict[str, str]) -> dict[str, str]:
    message = MESSAGES.get(code) or MESSAGES["bad_request"]
    texts = {}
    for lang in i18n.languages():
        with i18n.language(lang):
            texts[lang] = str(message) % values if values else str(message)
    return texts
