"""Posting pages against a minimal Flask app, in one process: throughput ratios.

Run: .venv/bin/python bench/posting_page.py [SECONDS]
Each app is driven through its WSGI interface (no network) for the same
time, alternately, several rounds; the median requests per second are
compared. The peer is the smallest useful Flask app: one route rendering a
small template. A posting page renders from the pre-built index (no Markdown,
no file access per request); a conditional GET with a matching ETag answers
304 before rendering.
"""

from __future__ import annotations

import statistics
import sys
import time

from flask import Flask, render_template_string

from portal import create_app

PEER_TEMPLATE = (
    "<!doctype html><html lang=en><title>{{ title }}</title><h1>{{ title }}</h1><p>{{ body }}</p></html>"
)


def minimal_app() -> Flask:
    app = Flask("peer")

    @app.route("/jobs/<slug>/")
    def posting(slug):
        return render_template_string(PEER_TEMPLATE, title=slug, body="A posting.")

    return app


def rate(client, url: str, seconds: float, headers=None) -> float:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        response = client.get(url, headers=headers)
        response.close()
        count += 1
    return count / seconds


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    portal = create_app({"TESTING": True, "PORTAL_CONTENT_RELOAD_INTERVAL": 2})
    portal_client, peer_client = portal.test_client(), minimal_app().test_client()
    url = "/en/jobs/head-of-product-management/"
    etag = portal_client.get(url).headers["ETag"]
    results = {"peer": [], "posting": [], "posting 304": []}
    for _ in range(5):
        results["peer"].append(rate(peer_client, "/jobs/head-of-product-management/", seconds))
        results["posting"].append(rate(portal_client, url, seconds))
        results["posting 304"].append(rate(portal_client, url, seconds, {"If-None-Match": etag}))
    peer = statistics.median(results["peer"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:>12}: {median:8.0f} requests/s  ({median / peer:4.2f} of the minimal Flask app)")


if __name__ == "__main__":
    main()
