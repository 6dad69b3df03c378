"""Candidates apply: the accessible application form and its confirmation."""

from flask import Blueprint

bp = Blueprint("apply", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
