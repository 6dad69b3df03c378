"""The public postings API: read-only JSON from the content index, cacheable and open to any origin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request

from ...content import ContentIndex, Document, content_store, current_index
from ...content.search import QUERY_PARAMETERS, JobQuery, filter_values, search_postings
from ...plumbing.http import respond_cached
from ...plumbing.i18n import language, languages
from ...plumbing.security import csrf
from . import serialize
from .errors import ApiError, is_api_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Read-only: nothing here takes a form, so no CSRF token (and no session) is needed.
csrf.exempt(bp)

#: Written postings kept per document (hosts, with and without body) before starting afresh.
MEMO_LIMIT_PER_DOCUMENT = 4
#: What ``?include=`` may add to each posting.
INCLUDES = ("body",)
#: How long a browser may reuse a CORS preflight answer, in seconds.
PREFLIGHT_MAX_AGE = 86400
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    # ETag is not one of the headers a page's scripts can read without this.
    "Access-Control-Expose-Headers": "ETag",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
}


@bp.route("/postings")
def postings():
    """List the open postings in ``?lang`` that match the listing's filters."""
    lang = _requested_language()
    include_body = _include_body()
    job_query = _job_query()
    index = current_index()
    now = datetime.now(UTC)
    found = search_postings(index, lang, job_query, now)

    def body() -> str:
        with language(lang):
            head = to_json(
                {
                    "lang": lang,
                    "query": job_query.to_args(),
                    "count": len(found),
                    "filters": serialize.filters(filter_values(found)),
                }
            )
            writer = PostingWriter(index, now, include_body)
            return f'{head[:-1]},"postings":[{",".join(writer.json(document) for document in found)}]}}'

    return respond(body, index.signature, *(document.slug for document in found))


@bp.route("/postings/<key>")
def posting(key: str):
    """Show one open posting, by its key, in ``?lang``; a closed one is 410 Gone."""
    lang = _requested_language()
    include_body = _include_body()
    index = current_index()
    now = datetime.now(UTC)
    published = {code: doc for code, doc in index.postings(key).items() if doc.published}
    if not published:
        raise ApiError(404, "unknown_posting")
    document = published.get(lang)
    if document is None:
        available = [code for code in languages() if code in published]
        raise ApiError(404, "not_in_language", {"languages": available}, languages=", ".join(available))
    if not document.is_open(now):
        raise ApiError(410, "gone")

    def body() -> str:
        with language(lang):
            return PostingWriter(index, now, include_body).json(document)

    return respond(body, index.signature, document.slug, document.accepts_applications(now))


class PostingWriter:
    """Write open postings as JSON, each kept for the content version once written.

    A posting's JSON depends only on its file, its translations, the host
    and the build while it is open (it says nothing about time left), so a
    listing of 1,000 postings is written in full once, not on every request.
    """

    def __init__(self, index: ContentIndex, now: datetime, include_body: bool) -> None:
        self.index = index
        self.now = now
        self.include_body = include_body
        self._forms: serialize.FormDescriber | None = None
        self._memo = content_store().derived("api.postings", lambda index: {})

    def json(self, document: Document) -> str:
        """Return one posting as JSON, in its language (the current one)."""
        key = (
            current_app.extensions["portal.build_id"],
            request.host_url,
            document.kind,
            document.lang,
            document.slug,
            self.include_body,
            document.accepts_applications(self.now),
        )
        written = self._memo.get(key)
        if written is None or current_app.debug:
            written = to_json(
                serialize.posting(document, self.index, self.now, self.forms, body=self.include_body)
            )
            if len(self._memo) >= MEMO_LIMIT_PER_DOCUMENT * (len(self.index.documents) + 1):
                self._memo.clear()
            self._memo[key] = written
        return written

    @property
    def forms(self) -> serialize.FormDescriber:
        """The application form's common fields, read once per response, when first needed."""
        if self._forms is None:
            self._forms = serialize.FormDescriber()
        return self._forms


@bp.after_app_request
def _open_to_every_origin(response: Response) -> Response:
    """Let any site's scripts read the API (it holds only public postings)."""
    if not is_api_request():
        return response
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers.update(PREFLIGHT_HEADERS)
    # Other sites may load it: the default same-origin policy is for pages.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _requested_language() -> str:
    lang = request.args.get("lang") or current_app.config["PORTAL_DEFAULT_LANGUAGE"]
    if lang not in languages():
        raise ApiError(400, "unknown_language", languages=", ".join(languages()))
    return lang


def _include_body() -> bool:
    asked = request.args.get("include", "")
    if asked and asked not in INCLUDES:
        raise ApiError(400, "invalid_parameter", name="include")
    return asked == "body"


def _job_query() -> JobQuery:
    """Read the jobs page's search, filters and order. The page ignores a
    value that means nothing; the API names it (400), so a client's typo
    never passes for "no filter". An empty value filters nothing."""
    job_query = JobQuery.from_args(request.args)
    # The values as the API writes them (the default order included).
    written = {"sort": job_query.sort.value, **job_query.to_args()}
    for parameter in QUERY_PARAMETERS.values():
        given = request.args.get(parameter, "")
        if parameter == "classification":
            given = given.upper()
        if parameter != "q" and given and written.get(parameter) != given:
            raise ApiError(400, "invalid_parameter", name=parameter)
    return job_query


def respond(body, *validator: Any) -> Response:
    """Answer with JSON ``body()``, its ETag from ``validator`` and the query string (304 if it matches)."""
    return respond_cached(body, validator=(*validator, request.query_string), mimetype="application/json")


def to_json(data: Any) -> str:
    """Return ``data`` as compact UTF-8 JSON."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
