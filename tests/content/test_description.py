"""A posting's description is its lead, shown once and as plain text: the
body's sentences that repeat it are left out at load, and a description
written as HTML shows its words, not its tags."""

import html
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, frontmatter
from portal.content.loader import load
from portal.content.render import render_markdown, without_repeated_description
from portal.content.text import plain_text
from tests.conftest import LANGUAGES, shared_path

POSTING = {"en": "/en/jobs/{}/", "fr": "/fr/emplois/{}/"}
LISTING = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
LEAD = {
    "en": "We are hiring a service designer to map how people apply for benefits.",
    "fr": "Nous recrutons une ou un designer de services pour cartographier les demandes de prestations.",
}
INTRO = {"en": "We are a small team.", "fr": "Nous sommes une petite équipe."}
_TAG = re.compile(r"<[^>]*>")
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)


def words(markup: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split()).casefold()


def body(markdown: str) -> str:
    return str(render_markdown(markdown))


def test_a_paragraph_that_is_the_description_goes():
    rendered = body("We are hiring.  A designer\nto *map* journeys.\n\nThe rest stays.")
    result = without_repeated_description(rendered, "We are hiring. A designer to map journeys.")
    assert result == "<p>The rest stays.</p>\n"


def test_the_sentences_repeating_the_description_go_and_the_rest_of_the_paragraph_stays():
    rendered = body(
        "To support this mission, we are looking for a [Director](https://example.org/d) of Platform "
        "to lead the unit. It is only a few months old."
    )
    result = without_repeated_description(
        rendered, "We are looking for a Director of Platform to lead the unit."
    )
    assert result == "<p>It is only a few months old.</p>\n"


def test_a_description_cut_inside_a_sentence_leaves_the_body_whole():
    rendered = body("We are looking for a Director of Platform to lead the unit and grow it.")
    cut = "We are looking for a Director of Platform to lead"
    assert without_repeated_description(rendered, cut) == rendered


def test_a_short_description_or_one_elsewhere_leaves_the_body_whole():
    rendered = body("## Join us\n\nJoin us today, we have work.\n\n- We are looking for a designer to help.")
    assert without_repeated_description(rendered, "Join us") == rendered
    assert without_repeated_description(rendered, "We are looking for a designer to help.") == rendered


def test_a_description_written_as_html_is_plain_text():
    assert plain_text("<p>This is the job description</p>") == "This is the job description"
    assert plain_text("Salt &amp; <b>pepper</b>\n  team") == "Salt & pepper team"


@pytest.fixture
def client(make_app, content_tree):
    for lang, folder, slug in (("en", "jobs", "designer"), ("fr", "emplois", "designer-fr")):
        content_tree(
            f"{lang}/{folder}/{slug}.md",
            f"""
            ---
            layout: job-posting
            title: Designer {lang}
            description: {LEAD[lang]}
            translationKey: designer
            ---
            {INTRO[lang]}

            {LEAD[lang]}

            ## Duties
            """,
        )
    for lang, folder in (("en", "jobs"), ("fr", "emplois")):
        content_tree(
            f"{lang}/{folder}/tagged-{lang}.md",
            f"""
            ---
            layout: job-posting
            title: Tagged {lang}
            description: '<p>This is the job description</p>'
            translationKey: tagged
            ---
            Body.
            """,
        )
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_shows_the_description_once_and_keeps_it_for_search_engines(client, page, lang):
    slug = {"en": "designer", "fr": "designer-fr"}[lang]
    result = page(client.get(POSTING[lang].format(slug)), lang=lang)
    assert result.text.count(LEAD[lang]) == 1
    assert result.soup.select_one("p.lead").get_text() == LEAD[lang]
    assert INTRO[lang] in result.soup.select_one(".prose").get_text()
    assert result.soup.find("meta", attrs={"name": "description"})["content"] == LEAD[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_description_written_as_html_is_shown_without_tags(client, page, lang):
    listing = client.get(LISTING[lang]).get_data(as_text=True)
    assert "&lt;p&gt;" not in listing
    assert "This is the job description" in page(client.get(LISTING[lang]), lang=lang).text
    result = page(client.get(POSTING[lang].format(f"tagged-{lang}")), lang=lang)
    assert result.soup.select_one("p.lead").get_text() == "This is the job description"


# The real corpus --------------------------------------------------------------

CORPUS_ROOTS = ("digital-canada-ca/content", "digital-canada-ca-website/content")


@pytest.fixture(scope="module")
def corpus_postings():
    found = []
    for root in CORPUS_ROOTS:
        index = load([str(shared_path("corpus", "cds-site", *root.split("/")))], LANGUAGES, ZoneInfo("UTC"))
        found += [doc for doc in index.documents.values() if doc.kind is Kind.POSTING]
    return found


@pytest.mark.corpus
def test_no_corpus_posting_repeats_its_description_in_a_paragraph(corpus_postings):
    repeating = [
        doc.source
        for doc in corpus_postings
        if doc.description
        and any(words(doc.description) in words(paragraph) for paragraph in _PARAGRAPH.findall(doc.body_html))
    ]
    assert repeating == []
    # Most real postings did repeat it: the check above is not vacuous.
    repeated_before = [
        doc
        for doc in corpus_postings
        if len(doc.description.split()) >= 5
        and words(doc.description) in words(body(frontmatter.parse(Path(doc.source).read_text()).body))
    ]
    assert len(repeated_before) > 100


@pytest.mark.corpus
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_corpus_description_shows_tags(corpus_postings, lang):
    descriptions = [doc.description for doc in corpus_postings if doc.lang == lang]
    assert [text for text in descriptions if re.search(r"<\w", text)] == []
    if lang == "fr":
        assert "This is the job description" in descriptions


def test_a_description_with_straight_quotes_matches_the_body_the_typographer_curled():
    rendered = body('We\'re hiring a "product" lead -- in Ottawa or remote. The rest stays.')
    assert "We’re" in rendered
    result = without_repeated_description(rendered, 'We\'re hiring a "product" lead -- in Ottawa or remote.')
    assert result == "<p>The rest stays.</p>\n"
