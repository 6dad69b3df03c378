"""The portal over the real CDS website corpus in ../shared/corpus/cds-site.

Every file the MANIFEST lists must either be served at its URL or be reported
by the loader, every served page must pass the page checks, translations must
link to each other, and `flask content check` must name every oddity.
Front matter is read here with plain ``yaml.safe_load``, not the portal's
loader, so the expectations do not share the code under test.

Failures are collected per corpus root and reported together, so one run shows
every broken file rather than only the first.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import yaml

from portal import create_app
from portal.content import Kind, Severity
from tests.conftest import parse_page, shared_path

pytestmark = pytest.mark.corpus

#: The two content roots of the corpus, relative to corpus/cds-site.
ROOTS = ("digital-canada-ca/content", "digital-canada-ca-website/content")
ODDITY_ROOTS = (
    "oddities/digital-canada-ca/content",
    "oddities/digital-canada-ca-website/content",
)
LANGS = ("en", "fr")
OTHER = {"en": "fr", "fr": "en"}
#: MANIFEST kinds of the files the portal serves.
MANIFEST_KINDS = {
    "job-posting": Kind.POSTING,
    "blog": Kind.STORY,
    "job-posting-oddity": Kind.POSTING,
}
LISTING_URLS = {
    (Kind.POSTING, "en"): "/en/jobs/",
    (Kind.POSTING, "fr"): "/fr/emplois/",
    (Kind.STORY, "en"): "/en/blog/",
    (Kind.STORY, "fr"): "/fr/blogue/",
}
CLOSED_NOTICE = {"en": "This job is closed.", "fr": "La période de candidature est terminée."}
ONLY_NOTICE = {
    "en": "This page is available in English only.",
    "fr": "Cette page est offerte en français seulement.",
}
#: Why a file may legitimately not be served: the loader must say so.
NOT_SERVED_REASON = re.compile(r"also used by|file skipped|not served|not published")


# Reading the corpus ----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of MANIFEST.tsv."""

    file: str
    kind: str
    lang: str
    note: str

    @property
    def path(self) -> Path:
        return shared_path("corpus", "cds-site") / self.file

    @property
    def slug(self) -> str:
        return unicodedata.normalize("NFC", Path(self.file).stem)

    @property
    def served_kind(self) -> Kind:
        return MANIFEST_KINDS[self.kind]

    @property
    def url(self) -> str:
        return document_url(self.served_kind, self.lang, self.slug)


def manifest(under: str | None = None, kinds=("job-posting", "blog")) -> list[Row]:
    """Return the MANIFEST rows of ``kinds`` whose file is below ``under``."""
    path = shared_path("corpus", "cds-site", "MANIFEST.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            Row(line["file"], line["kind"], line["lang"], line["note"])
            for line in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]
    return [row for row in rows if row.kind in kinds and (under is None or row.file.startswith(under + "/"))]


def front_matter(path: str | os.PathLike) -> dict | None:
    """Return a file's front matter read with plain yaml.safe_load, or None
    when it has none that YAML can read."""
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        data = yaml.safe_load("\n".join(lines[1:end]))
    except (StopIteration, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def normalised(text) -> str:
    return " ".join(str(text).split())


def is_true(data: dict, key: str) -> bool:
    return data.get(key) is True


def pairing_key(data: dict) -> str | None:
    """The translationKey as the site's authors meant it: case and a trailing
    slash do not matter."""
    value = data.get("translationKey")
    if value is None:
        return None
    return str(value).strip().lower().rstrip("/").strip() or None


def expected_status(kind: Kind, data: dict) -> int:
    if is_true(data, "draft"):
        return 404
    if kind is Kind.POSTING and is_true(data, "archived"):
        return 410
    return 200


def document_url(kind: Kind, lang: str, slug: str) -> str:
    return f"{LISTING_URLS[(kind, lang)]}{quote(slug)}/"


def path_of(href: str) -> str:
    """The unquoted path of a link, absolute or not."""
    return unquote(urlsplit(href).path)


# Apps ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory, compiled_catalogs):
    """Return ``get(*roots)``: an app over those corpus roots, built once per module."""
    built = {}

    def get(*relative_roots: str):
        roots = tuple(str(shared_path("corpus", "cds-site", *root.split("/"))) for root in relative_roots)
        if roots not in built:
            database = tmp_path_factory.mktemp("corpus") / "test.sqlite3"
            built[roots] = create_app(
                {
                    "TESTING": True,
                    "PORTAL_CONTENT_RELOAD_INTERVAL": -1,
                    "DATABASE_URL": f"sqlite:///{database}",
                    "PORTAL_CONTENT_DIR": os.pathsep.join(roots),
                }
            )
        return built[roots]

    return get


def index_of(app):
    return app.extensions["portal.content"].index()


def served(app, kind: Kind) -> list:
    """The documents of ``kind`` the index holds, in both languages."""
    return [doc for (k, _, _), doc in sorted(index_of(app).documents.items()) if k is kind]


# Checks shared by several tests; each returns a list of failure lines --------


def check_page(client, kind: Kind, lang: str, slug: str, data: dict) -> list[str]:
    """GET a document's URL and check status, page invariants, h1 and notice."""
    url = document_url(kind, lang, slug)
    status = expected_status(kind, data)
    try:
        response = client.get(url)
        if response.status_code != status:
            return [f"{url}: answers {response.status_code}, expected {status}"]
        if status == 404:
            return []
        page = parse_page(response, status, lang)
    except Exception as error:  # an exception in the app is a failure, not a crash
        return [f"{url}: {type(error).__name__}: {str(error)[:200]}"]
    failures = []
    if normalised(page.h1) != normalised(data.get("title", "")):
        failures.append(f"{url}: h1 {page.h1!r} is not the title {data.get('title')!r}")
    if status == 410 and CLOSED_NOTICE[lang] not in page.text:
        failures.append(f"{url}: 410 without the closed notice")
    return failures


def check_served_or_reported(app, rows: list[Row]) -> list[str]:
    """Each file is served at its URL (and renders), or the loader says why not."""
    index = index_of(app)
    client = app.test_client()
    reasons = defaultdict(list)
    for problem in index.problems:
        reasons[problem.path].append(problem.message)
    failures = []
    for row in rows:
        path = str(row.path)
        document = index.documents.get((row.served_kind, row.lang, row.slug))
        if document is not None and document.source == path:
            failures += check_page(client, row.served_kind, row.lang, row.slug, front_matter(path))
        elif not any(NOT_SERVED_REASON.search(message) for message in reasons[path]):
            failures.append(
                f"{row.file}: not served at {row.url} and not reported (problems: {reasons[path]})"
            )
    return failures


def check_listing_counts(app) -> list[str]:
    """Listings show exactly the open, visible postings; closed ones answer 410."""
    client = app.test_client()
    failures = []
    for lang in LANGS:
        postings = [doc for doc in served(app, Kind.POSTING) if doc.lang == lang]
        flags = {doc.slug: front_matter(doc.source) for doc in postings}
        open_urls = {
            path_of(document_url(Kind.POSTING, lang, slug))
            for slug, data in flags.items()
            if not any(is_true(data, key) for key in ("archived", "draft", "linkHidden"))
        }
        listed = set()
        url = LISTING_URLS[(Kind.POSTING, lang)]
        while url:  # every page of the list
            listing = parse_page(client.get(url), 200, lang)
            listed |= {path_of(a["href"]) for a in listing.soup.select("main .card__title a[href]")}
            following = listing.soup.select_one(".pagination a[rel=next]")
            url = following["href"] if following else None
        if listed != open_urls:
            failures.append(
                f"{lang} listing shows {len(listed)} postings, expected {len(open_urls)}; "
                f"missing {sorted(open_urls - listed)[:5]}, extra {sorted(listed - open_urls)[:5]}"
            )
        archived = sum(is_true(data, "archived") and not is_true(data, "draft") for data in flags.values())
        gone = sum(client.get(document_url(Kind.POSTING, lang, slug)).status_code == 410 for slug in flags)
        if gone != archived:
            failures.append(f"{lang}: {gone} postings answer 410, {archived} are archived")
    return failures


def check_blog_listing(app) -> list[str]:
    """The blog listings link to every published story that is not hidden."""
    client = app.test_client()
    failures = []
    for lang in LANGS:
        expected = {
            path_of(document_url(Kind.STORY, lang, doc.slug))
            for doc in served(app, Kind.STORY)
            if doc.lang == lang
            and not any(is_true(front_matter(doc.source), key) for key in ("draft", "linkHidden"))
        }
        listing = parse_page(client.get(LISTING_URLS[(Kind.STORY, lang)]), 200, lang)
        listed = {path_of(a["href"]) for a in listing.soup.select("main .card a[href]")}
        if listed != expected:
            failures.append(
                f"{lang} blog lists {len(listed)} stories, expected {len(expected)}; "
                f"missing {sorted(expected - listed)[:5]}"
            )
    return failures


def expected_counterparts(documents) -> dict[tuple, tuple]:
    """Map (kind, lang, slug) of each document to the (lang, slug) of its
    translation, found from the front matter alone; ambiguous keys are left out."""
    groups = defaultdict(lambda: defaultdict(list))
    for doc in documents:
        data = front_matter(doc.source)
        if not is_true(data, "draft") and pairing_key(data):
            groups[(doc.kind, pairing_key(data))][doc.lang].append(doc.slug)
    pairs = {}
    for (kind, _), by_lang in groups.items():
        if all(len(by_lang.get(lang, ())) == 1 for lang in LANGS):
            (en,), (fr,) = by_lang["en"], by_lang["fr"]
            pairs[(kind, "en", en)] = ("fr", fr)
            pairs[(kind, "fr", fr)] = ("en", en)
    served_sources = {(doc.kind, doc.lang, doc.slug): doc.source for doc in documents}
    for doc in documents:
        if (doc.kind, doc.lang, doc.slug) not in pairs:
            stand_in = displaced_counterpart(doc, served_sources)
            if stand_in is not None:
                pairs[(doc.kind, doc.lang, doc.slug)] = stand_in
    return pairs


def displaced_counterpart(doc, served_sources: dict[tuple, str]) -> tuple | None:
    """Return (lang, slug) of the page served at the slug of ``doc``'s
    translation when another file of that language took the slug (a repost),
    else None."""
    key = pairing_key(front_matter(doc.source) or {})
    if key is None:
        return None
    root = doc.source.rsplit(f"{os.sep}{doc.lang}{os.sep}", 1)[0]
    other = OTHER[doc.lang]
    for path in sorted(Path(root, other).rglob("*.md")):
        data = front_matter(path) or {}
        served_source = served_sources.get((doc.kind, other, unicodedata.normalize("NFC", path.stem)))
        if pairing_key(data) == key and served_source not in (None, str(path)):
            return (other, unicodedata.normalize("NFC", path.stem))
    return None


def check_language_links(client, kind: Kind, lang: str, slug: str, counterpart) -> list[str]:
    """The toggle and hreflang links point at the translation, or, without one,
    at the other language's listing with an 'available in ... only' notice."""
    url = document_url(kind, lang, slug)
    response = client.get(url)
    page = parse_page(response, response.status_code, lang)
    toggle = {code: path_of(href) for code, href in page.toggle().items()}
    alternates = {code: path_of(href) for code, href in page.alternates().items()}
    other = OTHER[lang]
    failures = []
    if counterpart is not None:
        other_url = path_of(document_url(kind, *counterpart))
        if toggle.get(other) != other_url:
            failures.append(f"{url}: toggle {toggle} does not go to {other_url}")
        if alternates != {lang: path_of(url), other: other_url}:
            failures.append(f"{url}: hreflang links {alternates}, expected both versions")
        if ONLY_NOTICE[lang] in page.text:
            failures.append(f"{url}: paired, yet says it is in one language only")
    else:
        listing = LISTING_URLS[(kind, other)]
        if toggle.get(other) != listing:
            failures.append(f"{url}: unpaired, toggle {toggle} should go to {listing}")
        if other in alternates:
            failures.append(f"{url}: unpaired, yet has an hreflang={other} link")
        if ONLY_NOTICE[lang] not in page.text:
            failures.append(f"{url}: unpaired, without the 'available in ... only' notice")
    return failures


def report(failures: list[str]) -> str:
    return f"{len(failures)} failures:\n" + "\n".join(failures)


# 1-4: each corpus root on its own ----------------------------------------------

by_root = pytest.mark.parametrize("root", ROOTS, ids=lambda root: root.split("/")[0])
by_kind = pytest.mark.parametrize("kind", [Kind.POSTING, Kind.STORY], ids=str)


@by_root
@by_kind
def test_every_served_document_renders_with_its_title(corpus_app, root, kind):
    app = corpus_app(root)
    client = app.test_client()
    documents = served(app, kind)
    assert {doc.lang for doc in documents} == set(LANGS)
    failures = []
    for doc in documents:
        failures += check_page(client, kind, doc.lang, doc.slug, front_matter(doc.source))
    assert not failures, report(failures)


@by_root
def test_every_manifest_file_is_served_or_reported(corpus_app, root):
    rows = manifest(root)
    assert len(rows) > 50, "the MANIFEST lists this root's files"
    failures = check_served_or_reported(corpus_app(root), rows)
    assert not failures, report(failures)


@by_root
@by_kind
def test_translations_link_to_each_other(corpus_app, root, kind):
    app = corpus_app(root)
    client = app.test_client()
    documents = served(app, kind)
    pairs = expected_counterparts(documents)
    assert len(pairs) >= 10, "the corpus has many translated pairs"
    failures = []
    for doc in documents:
        counterpart = pairs.get((kind, doc.lang, doc.slug))
        failures += check_language_links(client, kind, doc.lang, doc.slug, counterpart)
    assert not failures, report(failures)


@by_root
def test_listings_count_the_open_postings_and_closed_ones_are_gone(corpus_app, root):
    failures = check_listing_counts(corpus_app(root))
    assert not failures, report(failures)


@by_root
def test_blog_listings_show_every_story(corpus_app, root):
    failures = check_blog_listing(corpus_app(root))
    assert not failures, report(failures)


# 5: blog pairs whose translationKeys do not match exactly -----------------------

MISMATCHED_PAIRS = [
    pytest.param(
        "wanted-ceo-cds", "recherche-dirigeant-principal-du-service-numerique-canadien", id="trailing-slash"
    ),
    pytest.param("retrospective-on-energuide-api", "retrospective-sur-lapi-denerguide", id="case"),
]


@pytest.mark.parametrize(("en_slug", "fr_slug"), MISMATCHED_PAIRS)
def test_blog_pairs_with_sloppy_keys_are_paired(corpus_app, en_slug, fr_slug):
    client = corpus_app("digital-canada-ca/content").test_client()
    failures = check_language_links(client, Kind.STORY, "en", en_slug, ("fr", fr_slug))
    failures += check_language_links(client, Kind.STORY, "fr", fr_slug, ("en", en_slug))
    assert not failures, report(failures)


def test_blog_pair_with_a_wrong_key_is_not_paired(corpus_app):
    # 'in-this-together' (en) and 'n-this-together' (fr) are different keys.
    client = corpus_app("digital-canada-ca-website/content").test_client()
    failures = check_language_links(client, Kind.STORY, "en", "in-this-together", None)
    failures += check_language_links(client, Kind.STORY, "fr", "nous-sommes-tous-concernes", None)
    assert not failures, report(failures)


# 6: non-ASCII slugs -------------------------------------------------------------

NON_ASCII_SLUG = "c’est-quoi-au-juste-un-gestionnaire-de-produits"
NON_ASCII_TITLE = "C’est quoi au juste, un gestionnaire de produits?"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/fr/blogue/" + quote(NON_ASCII_SLUG) + "/", id="quoted"),
        pytest.param("/fr/blogue/" + NON_ASCII_SLUG + "/", id="unquoted"),
    ],
)
def test_non_ascii_slug_is_served(corpus_app, path):
    client = corpus_app("digital-canada-ca/content").test_client()
    page = parse_page(client.get(path, follow_redirects=True), 200, "fr")
    assert page.h1 == NON_ASCII_TITLE
    assert path_of(page.toggle()["en"]) == "/en/blog/so-what-exactly-is-a-product-manager-anyway/"


def test_decomposed_accents_redirect_to_the_served_slug(corpus_app):
    # A URL typed on a system that writes "é" as "e" + combining accent (NFD).
    slug = "amélioration-continue-d’alerte-covid"
    client = corpus_app("digital-canada-ca/content").test_client()
    response = client.get("/fr/blogue/" + quote(unicodedata.normalize("NFD", slug)) + "/")
    assert response.status_code == 301
    assert path_of(response.headers["Location"]) == f"/fr/blogue/{slug}/"
    assert client.get(response.headers["Location"]).status_code == 200


# 7: the oddities -----------------------------------------------------------------

#: (words of the MANIFEST note, what `flask content check` must say about the file)
ODDITY_MESSAGES = [
    ("invalid YAML", [r"invalid YAML"]),
    ("empty (0-byte)", [r"empty file"]),
    ("extra keys", [r"classification"]),
    ("'Lever ID'", [r"'Lever ID'", r"translationKey '2' is a bare number"]),
    ("'output:'", [r"'output'"]),
    ("nested directory", [r"split"]),
    ("duplicate", [r"duplicate translationKey"]),
    ("draft: true", [r"draft"]),
    ("CMS test posting", [r"test posting"]),
]
#: Oddities the portal cannot or must not serve.
UNSERVABLE = ("invalid YAML", "empty (0-byte)", "draft: true")

# The duplicate senior-developers.md is a duplicate of a file of the main root:
# check both together so it is visible.
MAIN_WITH_ODDITIES = ("oddities/digital-canada-ca/content", "digital-canada-ca/content")
ODDITY_CHECKS = [
    pytest.param(MAIN_WITH_ODDITIES, id="digital-canada-ca"),
    pytest.param(("oddities/digital-canada-ca-website/content",), id="digital-canada-ca-website"),
]


def expected_messages(row: Row) -> list[str]:
    patterns = [p for words, found in ODDITY_MESSAGES if words in row.note for p in found]
    assert patterns, f"no expected message for the oddity note {row.note!r}"
    return patterns


@pytest.mark.parametrize("roots", ODDITY_CHECKS)
def test_content_check_names_every_oddity(corpus_app, roots):
    app = corpus_app(*roots)
    directories = [str(shared_path("corpus", "cds-site", *root.split("/"))) for root in roots]
    result = app.test_cli_runner().invoke(args=["content", "check", *directories])
    assert result.exit_code == 1, result.output[-2000:]
    lines = result.output.splitlines()
    oddities = manifest(roots[0], kinds=("job-posting-oddity",))
    assert oddities
    failures = []
    for row in oddities:
        about = [line for line in lines if str(row.path) in line]
        for pattern in expected_messages(row):
            if not any(re.search(pattern, line) for line in about):
                failures.append(f"{row.file} ({row.note}): no {pattern!r} in {about}")
    assert not failures, report(failures)


@pytest.mark.parametrize("roots", ODDITY_CHECKS)
def test_other_oddities_are_still_served(corpus_app, roots):
    app = corpus_app(*roots)
    client = app.test_client()
    failures = []
    for row in manifest(roots[0], kinds=("job-posting-oddity",)):
        if any(words in row.note for words in UNSERVABLE):
            status = client.get(row.url).status_code
            if status != 404:
                failures.append(f"{row.file} ({row.note}): {status} at {row.url}, not 404")
        else:
            failures += check_served_or_reported(app, [row])
            document = index_of(app).documents.get((Kind.POSTING, row.lang, row.slug))
            shadowed = any(
                problem.path == str(row.path) and "also used by" in problem.message
                for problem in index_of(app).problems
            )
            # A doubtful oddity may lose its slug to a clean file of the real
            # site; it must then be reported, never silently dropped.
            if document is None or (document.source != str(row.path) and not shadowed):
                failures.append(f"{row.file} ({row.note}): neither served at {row.url} nor reported")
    assert not failures, report(failures)


def test_stray_output_key_does_not_stop_the_posting(corpus_app):
    client = corpus_app("oddities/digital-canada-ca/content").test_client()
    page = parse_page(client.get("/en/jobs/executive-assistant/"), 200, "en")
    assert page.h1 == "Executive Assistant"


def test_doubtful_oddity_loses_its_slug_to_the_clean_file(corpus_app):
    app = corpus_app(*MAIN_WITH_ODDITIES)
    served = index_of(app).documents[(Kind.POSTING, "en", "executive-assistant")]
    assert "/oddities/" not in served.source
    shadowed = [
        p
        for p in index_of(app).problems
        if "join-our-team/positions/executive-assistant.md" in p.path and "also used by" in p.message
    ]
    assert shadowed and "/oddities/" in shadowed[0].path


# 8: everything at once -------------------------------------------------------------

ALL_ROOTS = (*ROOTS, *ODDITY_ROOTS)
#: Open postings of the real site (no closing date, not archived) without a
#: counterpart: ``content check`` reports them as errors.
OPEN_IN_ONE_LANGUAGE = {
    "interim---people-operations-lead--d00217e5-e6a8-4f74-ac33-170dbb672911.md",
    "product-manager-—-digital-credentials-team--null.md",
    "gestionnaire-de-produit-—-équipe-des-justificatifs-numériques--null.md",
    "fr-technical-recruiter--40976f1c-32e5-4bc6-a521-36d6af43c63e.md",
}


def test_whole_corpus_loads_in_one_app(corpus_app):
    app = corpus_app(*ALL_ROOTS)
    rows = manifest(kinds=tuple(MANIFEST_KINDS))
    assert len(rows) == 247  # SOURCE.md: 196 postings, 40 stories, 11 oddities
    assert len(index_of(app).documents) > 200
    failures = check_served_or_reported(app, rows) + check_listing_counts(app) + check_blog_listing(app)
    assert not failures, report(failures)
    client = app.test_client()
    for home, lang in (("/en/", "en"), ("/fr/", "fr")):
        parse_page(client.get(home), 200, lang)
    # Every error is about an oddity (a broken one, or one whose duplicate
    # translationKey takes the pairing from a good file) or is an open
    # posting published in one language only.
    errors = [p for p in index_of(app).problems if p.severity is Severity.ERROR]
    assert errors
    one_language = [p for p in errors if "an open posting must be published in" in p.message]
    assert all("/oddities/" in f"{p.path} {p.message}" for p in errors if p not in one_language), errors
    assert {os.path.basename(p.path) for p in one_language} >= OPEN_IN_ONE_LANGUAGE
