"""Hiring staff: sign-in, review of applications, exports, equity report, audit log."""

from flask import Blueprint

bp = Blueprint("staff", __name__)


@bp.after_request
def _never_store(response):
    # Staff pages, downloads and exports hold personal information.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


from . import views  # noqa: E402,F401  (registers the routes on bp)
