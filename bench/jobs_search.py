"""The jobs list with 1,000 open postings, searched and not, against a minimal Flask app.

Run: .venv/bin/python bench/jobs_search.py [SECONDS] [--postings N] [--rounds N]
A content tree of N open postings in each language (varied job facts, bodies
of a few paragraphs) is written to a temporary folder and loaded once. Each
app is driven through its WSGI interface (no network) for the same time,
alternately, several rounds; the median requests per second are compared
with the peer's, the smallest useful Flask app: one route rendering a small
template. The search function alone is timed too, in milliseconds per query.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, render_template_string

from portal import create_app
from portal.content import Kind
from portal.content.search import JobQuery, search_postings

PEER_TEMPLATE = (
    "<!doctype html><html lang=en><title>{{ title }}</title><h1>{{ title }}</h1><p>{{ body }}</p></html>"
)
#: Job titles by language; each posting takes one, with a number.
TITLES = [
    ("Python Developer", "Développeuse ou développeur Python"),
    ("Product Designer", "Conceptrice ou concepteur de produits"),
    ("Data Analyst", "Analyste de données"),
    ("Policy Advisor", "Conseillère ou conseiller en politiques"),
    ("Product Manager", "Gestionnaire de produits"),
    ("Security Engineer", "Ingénieure ou ingénieur en sécurité"),
    ("Content Designer", "Conceptrice ou concepteur de contenu"),
    ("Site Reliability Developer", "Développeuse ou développeur en fiabilité de sites"),
]
PARAGRAPHS = [
    (
        "You will work in a small team that builds public services people rely on, and you will "
        "share what you learn with the rest of the organisation.",
        "Vous travaillerez dans une petite équipe qui bâtit des services publics sur lesquels les "
        "gens comptent, et vous partagerez ce que vous apprenez avec le reste de l’organisation.",
    ),
    (
        "We value accessibility, security and plain language. We test with users early and often, "
        "and we publish our code in the open.",
        "Nous accordons de l’importance à l’accessibilité, à la sécurité et au langage clair. Nous "
        "faisons des essais auprès des utilisateurs tôt et souvent, et notre code est ouvert.",
    ),
    (
        "Tell us about a time you made something simpler for the people who use it, and what you "
        "would do differently today.",
        "Parlez-nous d’une fois où vous avez simplifié quelque chose pour les personnes qui "
        "l’utilisent, et de ce que vous feriez autrement aujourd’hui.",
    ),
]
CLASSIFICATIONS = ["IT-02", "IT-03", "IT-04", "EC-05", "PM-06", "CO-02"]
PLACES = ["Ottawa, ON", "Toronto, ON", "Montréal, QC", "Halifax, NS", "Vancouver, BC", "Whitehorse, YT"]
REMOTE = ["on-site", "hybrid", "remote"]
EMPLOYMENT = ["indeterminate", "term", "casual", "student", "secondment"]
LANGUAGE = ["english-essential", "french-essential", "english-or-french", "bilingual-imperative"]
FOLDERS = {"en": "jobs", "fr": "emplois"}
SEARCHES = {
    "filtered": "/en/jobs/?q=developer&where=ON&sort=closing",
    "one filter": "/en/jobs/?classification=IT-03",
    "unfiltered": "/en/jobs/",
}


def write_postings(root: Path, count: int, bodies: dict[str, str] | None = None) -> None:
    """Write ``count`` open postings in each language, with varied facts
    (and ``bodies`` by language, else a few paragraphs)."""
    today = datetime.now(UTC)
    for number in range(count):
        title = TITLES[number % len(TITLES)]
        closing = (today + timedelta(days=1 + number % 120)).date().isoformat()
        posted = (today - timedelta(days=number % 90, minutes=number)).isoformat(timespec="seconds")
        for index, lang in enumerate(("en", "fr")):
            body = bodies[lang] if bodies else "\n\n".join(paragraph[index] for paragraph in PARAGRAPHS) * 3
            folder = root / lang / FOLDERS[lang]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"posting-{number}.md").write_text(
                "---\n"
                "layout: job-posting\n"
                f"title: '{title[index]} {number}'\n"
                f"description: '{PARAGRAPHS[number % len(PARAGRAPHS)][index]}'\n"
                f"translationKey: posting-{number}\n"
                f"date: '{posted}'\n"
                f"closingDate: '{closing}'\n"
                f"classification: {CLASSIFICATIONS[number % len(CLASSIFICATIONS)]}\n"
                f"salary: {{min: {60000 + number % 7 * 5000}, max: {80000 + number % 7 * 5000}, "
                "currency: CAD, period: year}\n"
                f"employmentType: {EMPLOYMENT[number % len(EMPLOYMENT)]}\n"
                + ("termEnd: 2028-03-31\n" if EMPLOYMENT[number % len(EMPLOYMENT)] == "term" else "")
                + f"locations: ['{PLACES[number % len(PLACES)]}']\n"
                f"remote: {REMOTE[number % len(REMOTE)]}\n"
                f"languageRequirement: {LANGUAGE[number % len(LANGUAGE)]}\n"
                + (
                    "languageLevels: BBB/BBB\n"
                    if LANGUAGE[number % len(LANGUAGE)].startswith("bilingual")
                    else ""
                )
                + f"---\n{body}\n",
                encoding="utf-8",
            )


def minimal_app() -> Flask:
    app = Flask("peer")

    @app.route("/jobs/")
    def jobs():
        return render_template_string(PEER_TEMPLATE, title="Jobs", body="A listing.")

    return app


def rate(client, url: str, seconds: float) -> float:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        response.close()
        count += 1
    return count / seconds


def search_milliseconds(portal: Flask, lang: str, repeats: int = 50) -> dict[str, float]:
    """Time the search function alone over the loaded index, per query."""
    index = portal.extensions["portal.content"].index()
    now = datetime.now(UTC)
    queries = {
        "words + filter + sort": JobQuery(text="developer", where="ON", sort="closing"),
        "one filter": JobQuery(classification="IT-03"),
        "accented words (fr)": JobQuery(text="développeur sécurité"),
    }
    timings = {}
    for name, query in queries.items():
        language = "fr" if "(fr)" in name else lang
        started = time.perf_counter()
        for _ in range(repeats):
            found = search_postings(index, language, query, now)
        timings[f"{name}: {len(found)} found"] = (time.perf_counter() - started) / repeats * 1000
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("seconds", nargs="?", type=float, default=1.0, help="time per app per round")
    parser.add_argument("--postings", type=int, default=1000, help="open postings in each language")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    # One log line per request would be most of what is measured, and of what is printed.
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "content"
        write_postings(root, options.postings)
        started = time.perf_counter()
        portal = create_app(
            {"TESTING": True, "PORTAL_CONTENT_RELOAD_INTERVAL": -1, "PORTAL_CONTENT_DIR": str(root)}
        )
        index = portal.extensions["portal.content"].index()
        listed = len(index.listed(Kind.POSTING, "en", datetime.now(UTC)))
        print(f"{listed} open postings in English, loaded in {time.perf_counter() - started:.1f} s")
        portal_client, peer_client = portal.test_client(), minimal_app().test_client()
        for url in SEARCHES.values():
            portal_client.get(url).close()  # the first request renders the cards it shows
        results: dict[str, list[float]] = {"peer": [], **{name: [] for name in SEARCHES}}
        for _ in range(options.rounds):
            results["peer"].append(rate(peer_client, "/jobs/", options.seconds))
            for name, url in SEARCHES.items():
                results[name].append(rate(portal_client, url, options.seconds))
        peer = statistics.median(results["peer"])
        for name, values in results.items():
            median = statistics.median(values)
            print(f"{name:>12}: {median:8.1f} requests/s  ({median / peer:5.3f} of the minimal Flask app)")
        for name, milliseconds in search_milliseconds(portal, "en").items():
            print(f"search alone, {name}: {milliseconds:.2f} ms")


if __name__ == "__main__":
    main()
