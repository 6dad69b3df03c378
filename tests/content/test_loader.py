"""Loading a content tree: kinds, pairing, duplicates, dates, resilience, reload."""

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.content import ContentStore, Kind, Severity
from portal.content.fields import normalise_translation_key, parse_date
from portal.content.jobfacts import LanguageRequirement
from portal.content.loader import load
from tests.conftest import FIXTURES

TORONTO = ZoneInfo("America/Toronto")
LANGUAGES = ["en", "fr"]


@pytest.fixture(scope="module")
def index():
    return load([FIXTURES / "content"], LANGUAGES, TORONTO)


def problems_for(index, name):
    return [p for p in index.problems if p.path.endswith(name)]


def messages_for(index, name):
    return " | ".join(f"{p.severity}: {p.message}" for p in problems_for(index, name))


def test_postings_and_stories_are_told_apart(index):
    assert index.get(Kind.POSTING, "en", "open-role").title == "Open Role"
    assert index.get(Kind.STORY, "en", "dated-z").title == "Story dated with Z"
    # No layout key, but under blog/: a story.
    assert index.get(Kind.STORY, "en", "dated-naive") is not None
    # layout: page among postings: served as a posting, with a warning.
    assert index.get(Kind.POSTING, "en", "legacy-page").archived
    assert "layout 'page'" in messages_for(index, "legacy-page.md")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("Open-Role/", "open-role"),
        (" wanted-ceo-cds/ ", "wanted-ceo-cds"),
        ("retrospective-on-EnerGuide-api", "retrospective-on-energuide-api"),
        (2, "2"),
        (None, None),
        ("  ", None),
    ],
)
def test_translation_keys_are_normalised(key, expected):
    assert normalise_translation_key(key) == expected


def test_pairs_survive_case_and_trailing_slash(index):
    english = index.get(Kind.POSTING, "en", "open-role")
    assert index.counterparts(english)["fr"].slug == "poste-ouvert"
    french = index.get(Kind.POSTING, "fr", "poste-ouvert")
    assert index.counterparts(french)["en"].slug == "open-role"


def test_non_ascii_file_names_are_slugs(index):
    story = index.get(Kind.STORY, "fr", "c’est-daté-sans-fuseau")
    assert story is not None
    assert index.counterparts(story)["en"].slug == "dated-naive"


def test_duplicate_slug_choice_is_deterministic_and_reported(index):
    served = index.get(Kind.POSTING, "en", "open-role")
    assert served.source.endswith("jobs/open-role.md")  # open beats the archived repost
    message = messages_for(index, "careers/positions/open-role.md")
    assert "also used by" in message and "jobs/open-role.md" in message
    again = load([FIXTURES / "content"], LANGUAGES, TORONTO)
    assert again.get(Kind.POSTING, "en", "open-role").source == served.source


def test_duplicate_translation_key_is_an_error_and_both_files_are_served(index):
    assert "error: duplicate translationKey 'open-role'" in messages_for(index, "repost-of-open-role.md")
    repost = index.get(Kind.POSTING, "en", "repost-of-open-role")
    assert repost is not None and index.counterparts(repost) == {}


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("broken-yaml.md", 3, "invalid YAML"),
        ("empty.md", 1, "empty file"),
        ("untitled.md", 1, "missing title"),
    ],
)
def test_broken_files_are_skipped_with_path_and_line(index, name, line, fragment):
    found = problems_for(index, name)
    assert any(p.severity is Severity.ERROR and p.line == line and fragment in p.message for p in found), (
        found
    )
    assert index.get(Kind.POSTING, "en", name.removesuffix(".md")) is None


def test_oddities_are_reported(index):
    stray = messages_for(index, "stray-keys.md")
    assert "'Lever ID'" in stray and "did you mean 'leverId'" in stray
    assert "'output'" in stray
    assert "bare number" in stray
    assert "split into folders" in messages_for(index, "-title-with-slash.md")
    assert "test posting" in messages_for(index, "test--0000000000.md")
    assert "draft" in messages_for(index, "draft-role.md")
    assert "unpaired" in messages_for(index, "hidden-role.md")


def test_odd_values_are_kept_as_written(index):
    test_posting = index.get(Kind.POSTING, "en", "test--0000000000")
    assert test_posting.lever_id == "0000000000"
    assert index.get(Kind.POSTING, "en", "stray-keys").translation_key == "7"
    assert index.get(Kind.POSTING, "en", "-title-with-slash").title == "Nested / Title With Slash"


def test_drafts_are_not_served_and_hidden_postings_are_not_listed(index):
    assert index.get(Kind.POSTING, "en", "draft-role") is None
    hidden = index.get(Kind.POSTING, "en", "hidden-role")
    now = datetime.now(TORONTO)
    assert hidden.is_open(now) and not hidden.accepts_applications(now)
    listed = {doc.slug for doc in index.listed(Kind.POSTING, "en", now)}
    assert "open-role" in listed
    assert not listed & {"hidden-role", "draft-role", "closed-role", "test--0000000000"}


def test_posting_facts_written_as_prose_are_kept(index):
    facts = index.get(Kind.POSTING, "en", "with-details").facts
    assert facts.classifications == ("EC-05",)
    assert facts.compensation == "$80,000 - $90,000"
    assert facts.term == "Indeterminate"
    assert facts.language is LanguageRequirement.ENGLISH_ESSENTIAL


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("dated-z", datetime(2021, 3, 4, 8, 0, tzinfo=TORONTO)),
        ("dated-offset", datetime(2021, 3, 5, 23, 30, tzinfo=TORONTO)),
        ("dated-naive", datetime(2021, 3, 6, 10, 0, tzinfo=TORONTO)),
        ("dated-quoted-z", datetime(2021, 3, 7, 7, 0, tzinfo=TORONTO)),
    ],
)
def test_the_four_date_formats(index, slug, expected):
    assert index.get(Kind.STORY, "en", slug).date == expected


def test_unparseable_date_is_reported_not_fatal(content_tree):
    content_tree(
        "en/blog/posts/bad-date.md",
        """
        ---
        title: Bad date
        date: next tuesday
        ---
        Body
    """,
    )
    index = load([content_tree.root], LANGUAGES, TORONTO)
    assert index.get(Kind.STORY, "en", "bad-date").date is None
    assert any("not a date" in p.message and p.line == 3 for p in index.problems)


def test_parse_date_accepts_a_bare_date():
    assert parse_date("2024-01-02", TORONTO) == datetime(2024, 1, 2, tzinfo=TORONTO)


def test_stories_list_newest_first(index):
    slugs = [doc.slug for doc in index.listed(Kind.STORY, "en", datetime.now(TORONTO))]
    assert slugs == ["dated-quoted-z", "dated-naive", "dated-offset", "dated-z"]


def test_tags_drop_empty_values(index):
    assert index.get(Kind.STORY, "en", "dated-offset").tags == ("Hiring",)


def test_inexact_slugs_find_their_document(index):
    assert index.find(Kind.POSTING, "en", "OPEN-ROLE").slug == "open-role"
    # A French slug under English finds the English translation.
    assert index.find(Kind.POSTING, "en", "poste-ouvert").slug == "open-role"
    assert index.find(Kind.POSTING, "en", "nothing-here") is None


def test_missing_folder_and_missing_language_folders_are_errors(tmp_path):
    index = load([tmp_path / "absent"], LANGUAGES, TORONTO)
    assert "does not exist" in index.problems[0].message
    (tmp_path / "empty").mkdir()
    index = load([tmp_path / "empty"], LANGUAGES, TORONTO)
    assert "no language folder" in index.problems[0].message


def test_non_utf8_file_is_reported(content_tree):
    path = content_tree("en/jobs/latin1.md", "")
    path.write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    index = load([content_tree.root], LANGUAGES, TORONTO)
    assert any("not UTF-8" in p.message for p in index.problems)


def test_store_swaps_in_a_new_index_when_files_change(content_tree):
    path = content_tree(
        "en/jobs/role.md",
        """
        ---
        layout: job-posting
        title: First title
        translationKey: role
        ---
        Body
    """,
    )
    store = ContentStore([str(content_tree.root)], LANGUAGES, TORONTO, interval=0)
    first = store.index()
    assert first.get(Kind.POSTING, "en", "role").title == "First title"
    assert store.index() is first  # nothing changed: same object

    path.write_text(path.read_text().replace("First title", "Second title"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    second = store.index()
    assert second is not first
    assert second.get(Kind.POSTING, "en", "role").title == "Second title"
    assert first.get(Kind.POSTING, "en", "role").title == "First title"  # old one untouched


def test_store_with_negative_interval_never_reloads(content_tree):
    path = content_tree("en/jobs/role.md", "---\nlayout: job-posting\ntitle: One\n---\n")
    store = ContentStore([str(content_tree.root)], LANGUAGES, TORONTO, interval=-1)
    first = store.index()
    path.write_text("---\nlayout: job-posting\ntitle: Two\n---\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert store.index() is first


def test_index_cannot_be_changed(index):
    with pytest.raises(TypeError):
        index.documents[(Kind.POSTING, "en", "x")] = None
    with pytest.raises(AttributeError):
        index.get(Kind.POSTING, "en", "open-role").title = "changed"


def test_problems_are_logged_once_when_the_server_asks(content_tree, caplog):
    content_tree("en/jobs/empty.md", "")
    content_tree("en/jobs/ok.md", "---\nlayout: job-posting\ntitle: OK\n---\n")
    store = ContentStore([str(content_tree.root)], LANGUAGES, TORONTO, interval=0)
    store.index()
    assert not [r for r in caplog.records if "empty file" in r.getMessage()], "loading alone logs nothing"
    store.log_new_problems()
    store.log_new_problems()
    logged = [r for r in caplog.records if "empty file" in r.getMessage()]
    assert len(logged) == 1 and str(content_tree.root) in logged[0].getMessage()
    content_tree("en/jobs/another.md", "---\nlayout: job-posting\n---\n")
    store.log_new_problems()
    assert len([r for r in caplog.records if "empty file" in r.getMessage()]) == 1
    assert len([r for r in caplog.records if "missing title" in r.getMessage()]) == 1


POSTING_ALONE = """
---
layout: job-posting
title: Alone
translationKey: alone
{extra}
---
Body.
"""


@pytest.mark.parametrize(
    ("kind", "extra", "severity"),
    [
        ("jobs", "", Severity.ERROR),
        ("jobs", "closingDate: 2027-03-31", Severity.ERROR),
        ("jobs", "closingDate: 2026-01-31", Severity.WARNING),
        ("jobs", "archived: true", Severity.WARNING),
        ("jobs", "draft: true", Severity.WARNING),
        ("jobs", "linkHidden: true", Severity.WARNING),
        ("blog", "", Severity.WARNING),
    ],
)
def test_an_open_posting_without_its_counterpart_is_an_error(content_tree, kind, extra, severity):
    text = POSTING_ALONE.format(extra=extra)
    if kind == "blog":
        text = text.replace("layout: job-posting", "layout: blog")
    path = content_tree(f"en/{kind}/alone.md", text)
    index = load([content_tree.root], LANGUAGES, TORONTO, now=datetime(2027, 2, 1, tzinfo=TORONTO))
    unpaired = [p for p in index.problems if "unpaired" in p.message]
    assert [(p.path, p.line, p.severity) for p in unpaired] == [(str(path), 4, severity)]
    if severity is Severity.ERROR:
        assert unpaired[0].message == (
            "unpaired: no fr file has translationKey 'alone': an open posting must be published in fr too"
        )


def test_an_open_posting_without_a_translation_key_is_an_error(content_tree):
    path = content_tree("fr/emplois/seul.md", "---\nlayout: job-posting\ntitle: Seul\n---\n")
    index = load([content_tree.root], LANGUAGES, TORONTO)
    assert [(p.path, p.severity, p.message) for p in index.problems if p.path == str(path)] == [
        (
            str(path),
            Severity.ERROR,
            "no translationKey: cannot be paired with its translation: an open posting must be "
            "published in en too",
        )
    ]


def test_an_open_posting_with_its_counterpart_is_clean(content_tree):
    content_tree("en/jobs/both.md", "---\nlayout: job-posting\ntitle: Both\ntranslationKey: both\n---\n")
    content_tree(
        "fr/emplois/les-deux.md", "---\nlayout: job-posting\ntitle: Deux\ntranslationKey: both\n---\n"
    )
    assert load([content_tree.root], LANGUAGES, TORONTO).problems == ()


# In a process of its own: worker processes are forked only from a process
# with one thread, and the test runner has several.
_IN_WORKERS = """
import os, sys, zoneinfo
from pathlib import Path
from portal.content import loader

root, record = sys.argv[1], Path(sys.argv[2])
read_one = loader.read_file

def read_file(file):
    (record / str(os.getpid())).touch()
    return read_one(file)

loader.read_file = read_file
loader.PARALLEL_FROM_FILES = 10
zone = zoneinfo.ZoneInfo("America/Toronto")
parallel = loader.load([root], ["en", "fr"], zone, workers=2, signature="s")
pids = {path.name for path in record.iterdir()}
serial = loader.load([root], ["en", "fr"], zone, workers=1, signature="s")
assert str(os.getpid()) not in pids and len(pids) == 2, pids
assert parallel.documents == serial.documents
assert parallel.translations == serial.translations
assert parallel.problems == serial.problems, (parallel.problems, serial.problems)
print(len(parallel.documents), len([p for p in parallel.problems if p.severity == "error"]))
"""


def test_a_large_tree_read_by_worker_processes_gives_the_same_index(tmp_path):
    """Two processes read and render the files; the index, problems with
    their paths and lines included, is the one a single process builds."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURES / "content", root)
    for number in range(30):
        for lang, other in (("en", "fr"), ("fr", "en")):
            (root / lang / "jobs" / f"generated-{number}-{lang}.md").write_text(
                f"---\ntitle: Generated {number} {lang}\nlayout: job-posting\n"
                f"translationKey: generated-{number}\ndescription: Posting {number}.\n---\n"
                f"## About\n\nBody {number} with a footnote[^1].\n\n[^1]: A note in {lang}, not {other}.\n",
                encoding="utf-8",
            )
    record = tmp_path / "pids"
    record.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", _IN_WORKERS, str(root), str(record)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    documents, errors = map(int, result.stdout.split())
    assert documents > 60 and errors >= 3
