"""Bodies render as Hugo renders them: the same HTML skeleton on every page.

Hugo (Debian package ``hugo``) builds a tree with a layout that prints only
each page's source path and its ``.Content``; the portal renders the same
files. The skeleton (headings, paragraphs, lists, links, emphasis, footnote
marks, tables, figures, quotes, code) must be identical on every page both
serve. The differences that remain are named here, each with its reason:

- A level-one heading in a body is a level-two heading on the portal: the
  page's own ``<h1>`` is its title (Hugo's side is shifted before comparing).
- The portal serves the body without the sentences that repeat the
  description, which it shows above as the lead; the comparison is of the
  rendered body before that step (``render_markdown``).
- Comments, scripts, styles, frames, classes and ids other than footnotes'
  are removed by the sanitiser (the tags compared are all allowed ones).
- A task's checkbox is a ballot box character (☑, ☐), not a disabled
  ``<input>``: a form control outside any form, with no label, fails WCAG.
- The typographer also makes ``..`` an ellipsis (markdown-it's rule; Hugo
  only ``...``): text only.

Hugo is installed by ``.ci/run``; elsewhere these tests skip without it,
unless ``PORTAL_REQUIRE_HUGO=1``.
"""

from __future__ import annotations

import difflib
import html
import re
import shutil
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.content import frontmatter
from portal.content.loader import load
from portal.content.render import render_markdown
from tests.conftest import FIXTURES, shared_path
from tests.requires import skip_module_unless_present

HUGO = shutil.which("hugo")
NO_HUGO = "hugo is not installed (Debian package hugo; .ci/run installs it)"
skip_module_unless_present(None if HUGO else NO_HUGO, "PORTAL_REQUIRE_HUGO")

PROJECT = FIXTURES.parents[1]
LANGS = ("en", "fr")
#: The elements compared: what a reader sees as structure.
SKELETON = frozenset(
    [
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "a",
        "em",
        "strong",
        "del",
        "sup",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "figure",
        "figcaption",
        "img",
        "blockquote",
        "pre",
        "code",
        "hr",
        "br",
    ]
)
_VOID = frozenset({"img", "hr", "br"})
_HUGO_CONFIG = """\
baseURL = "https://example.org/"
defaultContentLanguage = "en"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[languages.en]
contentDir = "content/en"
weight = 1
[languages.fr]
contentDir = "content/fr"
weight = 2
# As the CDS site's configuration had it: raw HTML in bodies is rendered.
[markup.goldmark.renderer]
unsafe = true
"""
_MARK = "\n@@content@@\n"


class _Skeleton(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKELETON:
            self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in SKELETON and tag not in _VOID:
            self.tags.append("/" + tag)


def skeleton(fragment: str) -> list[str]:
    """The sequence of structural tags of an HTML fragment."""
    parser = _Skeleton()
    parser.feed(fragment)
    parser.close()
    return parser.tags


def visible_text(fragment: str) -> str:
    without_comments = re.sub(r"<!--.*?-->", " ", fragment, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", without_comments)).split())


def served_sources(root: Path) -> list[Path]:
    """The files of ``root`` the portal serves as pages (loaded without error)."""
    index = load([str(root)], LANGS, ZoneInfo("America/Toronto"))
    return sorted(Path(document.source) for document in index.documents.values() if not document.draft)


def hugo_bodies(root: Path, work: Path) -> dict[Path, str]:
    """Build the served files of ``root`` with Hugo; return each page's
    ``.Content`` by its source file."""
    site = work / "site"
    sources = served_sources(root)
    for source in sources:
        target = site / "content" / source.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (site / "hugo.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text("{{ .Lang }}/{{ .File.Path }}" + _MARK + "{{ .Content }}")
    (layouts / "list.html").write_text("")
    subprocess.run([HUGO, "--quiet"], cwd=site, check=True, capture_output=True, timeout=300)
    by_name = {unicodedata.normalize("NFC", str(source.relative_to(root))): source for source in sources}
    bodies: dict[Path, str] = {}
    for page in (site / "public").rglob("index.html"):
        text = page.read_text(encoding="utf-8")
        if _MARK not in text:
            continue
        name, content = text.split(_MARK, 1)
        source = by_name.get(unicodedata.normalize("NFC", html.unescape(name.strip())))
        if source is not None:
            bodies[source] = content
    return bodies


def compare(root: Path, work: Path) -> tuple[int, list[str], list[str]]:
    """Pages compared, the pages whose skeletons differ (with where), and those whose text differs."""
    bodies = hugo_bodies(root, work)
    different, wordy = [], []
    for source, hugo in sorted(bodies.items()):
        ours = str(render_markdown(frontmatter.parse(source.read_text(encoding="utf-8")).body))
        hugo = re.sub(r"<(/?)h1\b", r"<\1h2", hugo)
        theirs, mine = skeleton(hugo), skeleton(ours)
        if theirs != mine:
            change = next(difflib.unified_diff(theirs, mine, lineterm="", n=1), "")
            diff = " ".join(list(difflib.unified_diff(theirs, mine, lineterm="", n=1))[2:8])
            different.append(f"{source.relative_to(root)}: {change} {diff}")
        # Spaces left out: a tag boundary moved by one character is not a change of text.
        theirs_text = "".join(visible_text(hugo).split())
        my_text = "".join(visible_text(ours).replace("☑", "").replace("☐", "").split())
        if theirs_text != my_text:
            similarity = difflib.SequenceMatcher(None, theirs_text, my_text, autojunk=False).ratio()
            if similarity < 0.995:
                wordy.append(f"{source.relative_to(root)}: {similarity:.3f}")
    return len(bodies), different, wordy


#: The one page of the project's own trees that differs from Hugo's, on purpose
#: (its scripts and frames are removed too, so its text differs as well).
UNSAFE_LINK = {
    "en/jobs/unsafe.md": (
        "a Markdown link to a javascript: address: markdown-it leaves it as the text written, "
        "Hugo makes a link with the address emptied; neither runs it"
    )
}


@pytest.mark.parametrize(
    ("root", "known"),
    [
        pytest.param(FIXTURES / "markdown", {}, id="extensions"),
        pytest.param(PROJECT / "content", {}, id="bundled-content"),
        pytest.param(FIXTURES / "content", UNSAFE_LINK, id="fixtures"),
    ],
)
def test_the_projects_own_files_render_with_hugos_skeleton(root, known, tmp_path):
    compared, different, wordy = compare(root, tmp_path)
    assert compared >= 2
    assert sorted(line.split(":", 1)[0] for line in different) == sorted(known), different
    assert {line.split(":", 1)[0] for line in wordy} <= set(known), wordy


#: The corpus's two sites and the pages both Hugo and the portal serve in each
#: (a slug or key used twice is served once, a broken file not at all).
CORPUS_ROOTS = {"digital-canada-ca-website/content": 69, "digital-canada-ca/content": 164}


@pytest.mark.corpus
@pytest.mark.parametrize("relative", CORPUS_ROOTS)
def test_every_corpus_page_renders_with_hugos_skeleton(relative, tmp_path):
    root = shared_path("corpus", "cds-site", relative)
    compared, different, wordy = compare(root, tmp_path)
    assert compared == CORPUS_ROOTS[relative]
    assert different == []
    assert wordy == []


def test_the_extensions_fixture_uses_every_extension():
    """The fixture the first test builds holds each construct Hugo's defaults add."""
    body = render_markdown(
        frontmatter.parse((FIXTURES / "markdown/en/jobs/every-extension.md").read_text(encoding="utf-8")).body
    )
    for construct in (
        '<a href="http://www.example.org/careers/" rel="noopener noreferrer">www.example.org/careers/</a>',
        '<a href="mailto:careers@example.org" rel="noopener noreferrer">careers@example.org</a>',
        '<sup id="fnref:1"><a href="#fn:1" role="doc-noteref" rel="noopener noreferrer">1</a></sup>',
        '<li id="fn:1">',
        '<div role="doc-endnotes">',
        "<dt>Term</dt>",
        "<li>☑ Send a résumé</li>",
        "<del>Print design</del>",
        "You’ll work with “our” team – and with partners… across the country — from coast",
    ):
        assert construct in body, construct
