"""The index answers by posting key: every translation of a posting, its
title in a language, and what the staff pages and retention ask of it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.content import load_index
from portal.content.loader import load

LANGUAGES = ["en", "fr"]
TORONTO = ZoneInfo("America/Toronto")


def posting(title: str, key: str, extra: str = "") -> str:
    return f"---\nlayout: job-posting\ntitle: {title}\ntranslationKey: {key}\n{extra}---\nBody.\n"


@pytest.fixture
def index(content_tree):
    content_tree("en/jobs/analyst.md", posting("Analyst", "Analyst-2026/"))
    content_tree("fr/emplois/analyste.md", posting("Analyste", "analyst-2026"))
    content_tree("en/jobs/writer.md", posting("Writer", "writer"))
    content_tree("en/jobs/draft.md", posting("Draft", "draft-role", "draft: true\n"))
    content_tree("fr/emplois/ebauche.md", posting("Ébauche", "draft-role", "draft: true\n"))
    content_tree("en/jobs/twin-a.md", posting("Twin A", "twin"))
    content_tree("en/jobs/twin-b.md", posting("Twin B", "twin"))
    content_tree("fr/emplois/jumeau.md", posting("Jumeau", "twin"))
    return load([content_tree.root], LANGUAGES, TORONTO)


def test_every_translation_of_a_posting_by_its_key(index):
    translations = index.postings("analyst-2026")
    assert {lang: doc.title for lang, doc in translations.items()} == {"en": "Analyst", "fr": "Analyste"}


def test_a_title_in_the_asked_language_else_in_another(index):
    assert index.posting("analyst-2026", "fr").title == "Analyste"
    assert index.posting("writer", "fr").title == "Writer"
    assert index.posting("no-such-posting", "en") is None


def test_drafts_are_known_by_key_but_not_as_published_postings(index):
    assert {doc.title for doc in index.postings("draft-role").values()} == {"Draft", "Ébauche"}
    assert index.posting("draft-role", "en") is None
    assert set(index.posting_keys()) == {"analyst-2026", "writer", "twin"}


def test_the_paired_file_answers_for_a_key_used_twice(index):
    paired = index.counterparts(index.posting("twin", "fr"))["en"]
    assert index.posting("twin", "en") is paired


def test_translations_of_a_document_include_itself(index):
    english = index.posting("analyst-2026", "en")
    assert {lang: doc.slug for lang, doc in index.translations_of(english).items()} == {
        "en": "analyst",
        "fr": "analyste",
    }


def test_an_unchanged_tree_is_loaded_once_and_shared(content_tree):
    content_tree("en/jobs/a.md", posting("A", "a"))
    first = load_index([str(content_tree.root)], LANGUAGES, TORONTO)
    assert load_index([str(content_tree.root)], LANGUAGES, TORONTO) is first
    content_tree("en/jobs/b.md", posting("B", "b"))
    changed = load_index([str(content_tree.root)], LANGUAGES, TORONTO)
    assert changed is not first and changed.posting("b", "en").title == "B"


def test_open_and_closed_postings_are_told_apart_by_key(content_tree):
    content_tree("en/jobs/past.md", posting("Past", "past", "closingDate: 2020-01-31\n"))
    index = load([content_tree.root], LANGUAGES, TORONTO)
    assert not index.posting("past", "en").is_open(datetime(2026, 1, 1, tzinfo=UTC))
