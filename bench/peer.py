"""The peer of the benchmark suite: the smallest useful Flask app, one route
rendering one small template, served by gunicorn as the portal is
(``gunicorn --pythonpath bench peer:app``)."""

from __future__ import annotations

from flask import Flask, render_template_string

TEMPLATE = (
    "<!doctype html><html lang=en><title>{{ title }}</title><h1>{{ title }}</h1><p>{{ body }}</p></html>"
)

app = Flask("peer")


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def page(path: str) -> str:
    """Render the one small template, whatever the path."""
    return render_template_string(TEMPLATE, title=path or "Home", body="A page.")
