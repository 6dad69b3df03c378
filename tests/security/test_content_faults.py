"""Broken content never stops the site: a folder holding 25 kinds of broken
files loads quickly with bounded memory, every good page is served, each bad
file is reported once with its path and line, and no bad file takes over a
good one's URL, form or translation."""

from __future__ import annotations

import os
import time
import tracemalloc
from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, Severity
from portal.content.loader import load

LANGUAGES = ["en", "fr"]
TORONTO = ZoneInfo("America/Toronto")


def posting(title: str, key: str, extra: str = "") -> str:
    return (
        f"---\nlayout: job-posting\ntitle: {title}\ntranslationKey: {key}\n{extra}---\nThe body of {title}.\n"
    )


GOOD = {
    "en/jobs/analyst.md": posting("Analyst", "analyst"),
    "fr/emplois/analyste.md": posting("Analyste", "analyst"),
    "en/jobs/designer.md": posting("Designer", "designer", "closingDate: 2099-01-31\n"),
    "fr/emplois/conceptrice.md": posting("Conceptrice", "designer", "closingDate: 2099-01-31\n"),
}


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return "---\nlayout: job-posting\ntitle: Bomb\n" + "\n".join(lines) + "\n---\nBody\n"


#: file -> (content, what the report must say about it, the line it names)
BROKEN: dict[str, tuple[bytes | str, str, int]] = {
    "en/jobs/nested.md": (
        "---\nlayout: job-posting\ntitle: Deep\nx: " + "[" * 500 + "]" * 500 + "\n---\n",
        "nested more than",
        4,
    ),
    "en/jobs/nul.md": ("---\nlayout: job-posting\ntitle: Nul\x00\n---\n", "control character", 3),
    "en/jobs/vertical-tab.md": ("---\nlayout: job-posting\ntitle: Tab\x0b\n---\n", "control character", 3),
    "en/jobs/bomb.md": (alias_bomb(), "aliases", 5),
    "en/jobs/invalid-yaml.md": ("---\nlayout: job-posting\ntitle: [unclosed\n---\n", "invalid YAML", 4),
    "en/jobs/binary.md": (bytes(range(256)) * 4, "not UTF-8", 2),
    "en/jobs/latin-1.md": (
        "---\nlayout: job-posting\ntitle: Café\n---\nÉté\n".encode("latin-1"),
        "not UTF-8",
        3,
    ),
    "en/jobs/huge.md": (
        "---\nlayout: job-posting\ntitle: Huge\n---\n" + "word " * 1_100_000,
        "larger than",
        1,
    ),
    "en/jobs/unclosed.md": ("---\nlayout: job-posting\ntitle: Unclosed\n", "not closed", 1),
    "en/jobs/empty.md": ("", "empty file", 1),
    "en/jobs/no-front-matter.md": ("Just a body\n", "no front matter", 1),
    "en/jobs/toml.md": ("+++\ntitle = 'x'\n+++\n", "TOML", 1),
    "en/jobs/not-a-mapping.md": ("---\n- a\n- b\n---\n", "not a mapping", 2),
    "en/jobs/no-title.md": ("---\nlayout: job-posting\ntranslationKey: x\n---\n", "missing title", 1),
    "en/jobs/title-list.md": ("---\nlayout: job-posting\ntitle: [a, b]\n---\n", "should be text", 3),
    "en/jobs/bad-closing.md": (
        posting("Bad closing", "bad-closing", "closingDate: 2026-13-45\n"),
        "closingDate",
        5,
    ),
    "en/jobs/questions-not-list.md": (posting("Q", "q", "questions: yes\n"), "questions must be a list", 5),
    "en/jobs/bad-date.md": (
        posting("Bad date", "bad-date", "date: yesterday\n"),
        "is not a date this portal",
        5,
    ),
    "en/jobs/Analyst.md": (posting("Analyst takeover", "analyst-takeover"), "slug 'Analyst'", 1),
    "en/jobs/analyst-copy.md": (posting("Analyst copy", "analyst"), "duplicate translationKey", 4),
    "en/jobs/flag-text.md": (posting("Flag", "flag", "archived: sometimes\n"), "not true or false", 5),
    "en/jobs/deep-key.md": (
        "---\nlayout: job-posting\ntitle: K\n"
        + "a:\n"
        + "".join("  " * depth + "b:\n" for depth in range(1, 40))
        + "---\n",
        "nested more than",
        16,
    ),
    "en/jobs/bom-crlf.md": (
        "\ufeff---\r\nlayout: job-posting\r\ntitle: Bom\r\ntranslationKey: bom\r\n---\r\nBody\r\n",
        "unpaired",
        4,
    ),
}


@pytest.fixture
def broken_tree(content_tree, tmp_path):
    for name, text in GOOD.items():
        content_tree(name, text)
    root = content_tree.root
    for name, (content, _, _) in BROKEN.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_bytes(content.encode("utf-8"))
        else:
            path.write_bytes(content)
    (root / "en/jobs/folder.md").mkdir()
    outside = tmp_path / "secret.md"
    outside.write_text(posting("Secret", "secret"))
    (root / "en/jobs/link-out.md").symlink_to(outside)
    os.utime(root / "en/jobs/Analyst.md", (time.time() + 10, time.time() + 10))
    os.utime(root / "en/jobs/analyst-copy.md", (time.time() + 10, time.time() + 10))
    return root


def test_a_folder_of_broken_files_loads_quickly_with_bounded_memory(broken_tree):
    tracemalloc.start()
    started = time.monotonic()
    index = load([broken_tree], LANGUAGES, TORONTO)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert peak < 200 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB"
    served = {(doc.lang, doc.slug) for doc in index.documents.values()}
    assert {("en", "analyst"), ("fr", "analyste"), ("en", "designer"), ("fr", "conceptrice")} <= served


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_is_reported_once_with_its_path_and_line(broken_tree, name):
    index = load([broken_tree], LANGUAGES, TORONTO)
    _, said, line = BROKEN[name]
    mine = [
        problem
        for problem in index.problems
        if problem.path == str(broken_tree / name) and problem.severity is not Severity.NOTE
    ]
    matching = [problem for problem in mine if said in problem.message]
    assert len(matching) == 1, mine
    assert matching[0].line == line, matching[0]


def test_a_symlink_out_of_the_tree_and_a_folder_named_like_a_file(broken_tree):
    index = load([broken_tree], LANGUAGES, TORONTO)
    assert not any(doc.title == "Secret" for doc in index.documents.values())
    link = [p for p in index.problems if p.path.endswith("link-out.md")]
    assert len(link) == 1 and "outside the content folder" in link[0].message
    assert not [p for p in index.problems if p.path.endswith("folder.md")]


def test_no_broken_file_takes_over_a_good_page(broken_tree):
    index = load([broken_tree], LANGUAGES, TORONTO)
    analyst = index.get(Kind.POSTING, "en", "analyst")
    assert analyst.title == "Analyst", "a file named Analyst.md does not take the URL"
    assert index.find(Kind.POSTING, "en", "Analyst").title == "Analyst"
    assert index.counterparts(analyst)["fr"].slug == "analyste"
    assert index.counterparts(index.get(Kind.POSTING, "fr", "analyste"))["en"].slug == "analyst", (
        "a newer file with the same translationKey does not take the toggle"
    )


def test_a_posting_with_an_impossible_closing_date_takes_no_applications(broken_tree):
    from datetime import UTC, datetime

    index = load([broken_tree], LANGUAGES, TORONTO)
    posting = index.get(Kind.POSTING, "en", "bad-closing")
    assert posting is not None
    assert not posting.accepts_applications(datetime.now(UTC))
    problem = next(
        p for p in index.problems if p.path.endswith("bad-closing.md") and "closingDate" in p.message
    )
    assert problem.severity is Severity.ERROR


def test_the_site_starts_and_serves_every_good_page(make_app, broken_tree, page):
    client = make_app(PORTAL_CONTENT_DIR=str(broken_tree)).test_client()
    for url, lang in (("/en/jobs/analyst/", "en"), ("/fr/emplois/analyste/", "fr"), ("/en/jobs/", "en")):
        page(client.get(url), lang=lang)
    assert client.get("/en/jobs/nested/").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_content_check_reports_them_without_crashing(make_app, broken_tree):
    result = make_app().test_cli_runner().invoke(args=["content", "check", str(broken_tree)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "nested.md:4: error" in result.stdout
