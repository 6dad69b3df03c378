"""One log line per request, with an id that ties it to the error page and
to the error logged for it; never a query string, a form or a cookie (they
can hold names and email addresses)."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask, Response, current_app, g, has_request_context, request

logger = logging.getLogger("portal.request")
#: An id a trusted proxy sent (X-Request-Id) is kept if it looks like one.
_PROXY_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def init_app(app: Flask) -> None:
    """Number each request, say its number in a header, log one line for it."""
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    app.before_request(_start)
    app.after_request(_finish)


def request_id() -> str:
    """Return the id of the current request ("-" outside one)."""
    return g.get("request_id", "-") if has_request_context() else "-"


def _start() -> None:
    sent = request.headers.get("X-Request-Id", "")
    trusted = int(current_app.config["PORTAL_PROXY_HOPS"]) > 0 and _PROXY_ID.match(sent)
    g.request_id = sent if trusted else secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    if "request_id" not in g:
        return response
    response.headers["X-Request-Id"] = g.request_id
    logger.info(
        json.dumps(
            {
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "endpoint": request.endpoint,
                "status": response.status_code,
                "ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            }
        )
    )
    return response
