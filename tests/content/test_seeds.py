"""The two project seeds (a French posting and a French blog story from the
real CDS site, in ../shared/seeds) served as they are, and the bundled sample
posting modelled on the seed posting."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from babel.dates import format_date

from portal.plumbing.config import PROJECT_ROOT
from tests.conftest import shared_path

POSTING_SEED = "002_786d1e61c0c7e49b.txt"
STORY_SEED = "000_dca1ed33d6e60fee.txt"
POSTING_FILE = "fr/jobs/chef-de-la-gestion-de-produits.md"
STORY_SLUG = "c’est-quoi-au-juste-un-gestionnaire-de-produits"
STORY_FILE = f"fr/blog/posts/{STORY_SLUG}.md"
POSTING_URL = "/fr/emplois/chef-de-la-gestion-de-produits/"
STORY_URL = f"/fr/blogue/{quote(STORY_SLUG)}/"

BUNDLED_FR = PROJECT_ROOT / "content" / "fr" / "jobs" / "chef-de-la-gestion-de-produits.md"
BUNDLED_EN = PROJECT_ROOT / "content" / "en" / "jobs" / "head-of-product-management.md"


def split(path: Path) -> tuple[dict, str]:
    """Return a content file's front matter (plain yaml.safe_load) and body."""
    text = path.read_text(encoding="utf-8")
    _, header, body = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.M)
    return yaml.safe_load(header), body


def normalised(text: str) -> str:
    return " ".join(str(text).split())


def seed(name: str) -> Path:
    return shared_path("seeds", name)


@pytest.fixture
def seeded(content_tree, make_app):
    """An app over a content root holding the two seeds, copied byte for byte."""
    for name, relative in ((POSTING_SEED, POSTING_FILE), (STORY_SEED, STORY_FILE)):
        target = content_tree.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(seed(name).read_bytes())
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root))


@pytest.mark.corpus
def test_posting_seed_renders_in_french(seeded, page):
    front, body = split(seed(POSTING_SEED))
    assert front["title"].endswith(" "), "the seed's title has a trailing space"
    shown = page(seeded.test_client().get(POSTING_URL), 200, "fr")
    assert shown.h1 == normalised(front["title"]) == "Chef de la gestion de produits"
    assert normalised(front["description"]) in shown.text
    headings = re.findall(r"^## (.+)$", body, flags=re.M)
    assert len(headings) >= 2
    shown_headings = [normalised(h.get_text()) for h in shown.soup.select("main h2")]
    assert shown_headings[: len(headings)] == [normalised(h) for h in headings]


@pytest.mark.corpus
def test_story_seed_renders_in_french(seeded, page):
    front, _ = split(seed(STORY_SEED))
    shown = page(seeded.test_client().get(STORY_URL), 200, "fr")
    assert shown.h1 == normalised(front["title"]) == "C’est quoi au juste, un gestionnaire de produits?"
    assert front["author"] in shown.text
    assert format_date(date(2019, 7, 23), "long", locale="fr_CA") in shown.text
    image = shown.soup.select_one("main figure img")
    assert image["src"] == front["image"]
    assert normalised(image["alt"]) == normalised(front["image-alt"])
    assert image["alt"].startswith("Une équipe souriante de cinq gestionnaires")


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("url", "english_listing"),
    [
        (POSTING_URL, "/en/jobs/"),
        (STORY_URL, "/en/blog/"),
    ],
)
def test_seeds_alone_are_unpaired(seeded, page, url, english_listing):
    # The English twins are not in this content root: the toggle goes to the
    # English listing and the page says it is in French only.
    shown = page(seeded.test_client().get(url), 200, "fr")
    assert shown.toggle()["en"] == english_listing
    assert "en" not in shown.alternates()
    assert "Cette page est offerte en français seulement." in shown.text


@pytest.mark.corpus
@pytest.mark.parametrize("options", [[], ["--strict"]])
def test_content_check_reports_the_seeds_unpaired(seeded, content_tree, options):
    # The posting is open (no closing date): alone in French it is an error;
    # the story alone is only a warning.
    root = content_tree.root
    result = seeded.test_cli_runner().invoke(args=["content", "check", *options, str(root)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    posting = [line for line in lines if line.startswith(f"{root / POSTING_FILE}:")]
    story = [line for line in lines if line.startswith(f"{root / STORY_FILE}:")]
    assert any(
        ": error: unpaired" in line and "an open posting must be published in en too" in line
        for line in posting
    ), result.output
    assert any(": warning: unpaired" in line for line in story), result.output
    assert [line for line in lines if ": error:" in line] == [line for line in posting if ": error:" in line]


# The bundled sample content --------------------------------------------------


def test_bundled_product_posting_exists_in_both_languages():
    assert BUNDLED_FR.is_file()
    assert BUNDLED_EN.is_file()
    fr, _ = split(BUNDLED_FR)
    en, _ = split(BUNDLED_EN)
    assert fr["translationKey"] == en["translationKey"]


@pytest.mark.corpus
@pytest.mark.parametrize("bundled", [BUNDLED_FR, BUNDLED_EN], ids=["fr", "en"])
def test_bundled_posting_uses_the_seed_front_matter_keys(runner, bundled):
    # Every key of the real posting, in the real format; keys the portal adds
    # on top (application settings) must be ones it knows.
    seed_front, _ = split(seed(POSTING_SEED))
    front, _ = split(bundled)
    assert set(seed_front) <= set(front)
    result = runner.invoke(args=["content", "check", str(PROJECT_ROOT / "content")])
    about = [line for line in result.output.splitlines() if line.startswith(f"{bundled}:")]
    assert not [line for line in about if "unknown front-matter key" in line], about


@pytest.mark.parametrize(
    ("url", "lang", "other", "other_url"),
    [
        ("/fr/emplois/chef-de-la-gestion-de-produits/", "fr", "en", "/en/jobs/head-of-product-management/"),
        ("/en/jobs/head-of-product-management/", "en", "fr", "/fr/emplois/chef-de-la-gestion-de-produits/"),
    ],
)
def test_bundled_product_postings_are_paired(client, page, url, lang, other, other_url):
    shown = page(client.get(url), 200, lang)
    assert shown.toggle()[other] == other_url
    assert set(shown.alternates()) == {"en", "fr"}
    assert shown.alternates()[other].endswith(other_url)
