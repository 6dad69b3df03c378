"""Shared fixtures: apps, clients, content trees, the real corpus, a page helper."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal import create_app
from portal.catalogs import compile_catalogs
from portal.config import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "cds-site"
SEEDS = SHARED / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"
LANGUAGES = ("en", "fr")


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Build the .mo files once, as the setup command does."""
    compile_catalogs(PROJECT_ROOT / "translations")


@pytest.fixture
def make_app(tmp_path):
    """Return a factory of test apps; keyword arguments override settings."""

    def factory(**settings):
        config = {
            "TESTING": True,
            "PORTAL_CONTENT_RELOAD_INTERVAL": -1,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        }
        config.update(settings)
        return create_app(config)

    return factory


@pytest.fixture
def app(make_app):
    """The portal with its bundled sample content."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content_tree(tmp_path):
    """Return a helper writing files into a fresh content root (dedented)."""
    root = tmp_path / "content"
    root.mkdir()

    def write(relative: str, text: str) -> Path:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    write.root = root
    return write


def shared_path(*parts: str) -> Path:
    """Return a path in ../shared, skipping the test when it is absent (a clone
    outside this workplace)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared corpus is only in the workplace)")
    return path


@dataclass
class Page:
    """A parsed HTML response with the checks every page must pass."""

    response: object
    soup: BeautifulSoup

    @property
    def h1(self) -> str:
        return self.soup.h1.get_text(" ", strip=True)

    @property
    def text(self) -> str:
        return self.soup.get_text(" ", strip=True)

    def toggle(self) -> dict[str, str]:
        """Return the language toggle's links, by language code."""
        nav = self.soup.select_one("nav.language-toggle")
        return {a["lang"]: a["href"] for a in nav.find_all("a")} if nav else {}

    def alternates(self) -> dict[str, str]:
        return {
            link["hreflang"]: link["href"]
            for link in self.soup.find_all("link", rel="alternate")
        }

    def links(self) -> list[str]:
        return [a["href"] for a in self.soup.find_all("a", href=True)]


def parse_page(response, status: int = 200, lang: str | None = None) -> Page:
    """Check the status and the page invariants (lang, one h1, title, skip link)."""
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    html_lang = soup.html.get("lang")
    assert html_lang, "<html> has no lang"
    if lang is not None:
        assert html_lang == lang
    headings = soup.find_all("h1")
    assert len(headings) == 1, f"{len(headings)} <h1> on the page"
    heading = " ".join(headings[0].get_text(" ", strip=True).split())
    title = " ".join(soup.title.get_text(" ", strip=True).split())
    assert title.startswith(heading), (title, heading)
    skip = soup.select_one("a.skip-link")
    assert skip is not None and soup.find(id=skip["href"].lstrip("#")) is not None
    return Page(response, soup)


@pytest.fixture
def page():
    return parse_page
