"""In a real browser: an admin opens the content editor with Decap's local
backend (scripts/editor, decap-server on a copy of the content tree), writes
a posting in English and French side by side and publishes it; both files are
in the tree with front matter the portal reads, ``flask content check
--strict`` passes, and the portal serves both pages with a working toggle.

Needs Chromium (/usr/bin/chromium), Playwright for Python and the pinned npm
packages (``scripts/editor install``). Skipped when one is missing, unless
PORTAL_REQUIRE_BROWSER_TESTS=1 (CI sets it). With PORTAL_EDITOR_SCREENSHOT
set to a path (docs/editor.png), the editor with the posting open in both
languages is saved there.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from portal.content import frontmatter
from portal.plumbing.config import PROJECT_ROOT
from portal.web.editor.views import DIST
from tests.browsers import add_admin, browser_missing, chromium, served, sign_in
from tests.conftest import free_port
from tests.requires import skip_module_unless_present

skip_module_unless_present(
    browser_missing(
        ((DIST / "decap-cms.js").exists(), "Decap CMS is not installed (scripts/editor install)"),
        (shutil.which("node") is not None, "Node.js is not installed"),
    ),
    "PORTAL_REQUIRE_BROWSER_TESTS",
)

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path):
    """A copy of the bundled content, as the folder a repository would hold."""
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "site" / "content")
    return tmp_path / "site" / "content"


@pytest.fixture
def local_backend(site, tmp_path):
    """Decap's local backend serving ``site``, started by the documented script."""
    port = free_port()
    log = (tmp_path / "decap-server.log").open("w")
    server = subprocess.Popen(
        [str(PROJECT_ROOT / "scripts/editor")],
        env={**os.environ, "PORTAL_CONTENT_DIR": str(site), "DECAP_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None, (tmp_path / "decap-server.log").read_text()
        try:
            urllib.request.urlopen(url.rsplit("/api", 1)[0], timeout=2)
            break
        except urllib.error.HTTPError:
            break  # it answers (404 for /): up
        except OSError:
            assert time.monotonic() < deadline, "decap-server did not start"
            time.sleep(0.2)
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)
    log.close()


@pytest.fixture
def live_app(make_app, sqlite_template, tmp_path, site, local_backend):
    """The portal on a loopback port, serving ``site`` and reloading it at once; (URL, app)."""
    database = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, database)
    app = make_app(
        DATABASE_URL=f"sqlite:///{database}",
        RATELIMIT_ENABLED=False,
        PORTAL_CONTENT_DIR=str(site),
        PORTAL_CONTENT_RELOAD_INTERVAL=0,
        PORTAL_CMS_LOCAL_URL=local_backend,
    )
    add_admin(app)
    with served(app) as url:
        yield url, app


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


def choose(page, field: str, pane: int, option: str) -> None:
    """Pick ``option`` in a select widget (react-select) of one language's pane."""
    page.locator(f"[id^='{field}-field-']").nth(pane).click()
    page.get_by_role("option", name=option, exact=True).click()


def list_field(page, name: str, pane: int):
    """Return a list widget in one language's pane."""
    return page.locator(f"div[id^='{name}-field-']").nth(pane)


def add_item(page, name: str, pane: int, values: dict[str, str]) -> None:
    """Add an item to a list widget in one language's pane and fill in its text fields."""
    field = list_field(page, name, pane)
    field.get_by_role("button", name=re.compile("^Add")).first.click()
    for key, value in values.items():
        field.locator(f"[id^='{key}-field-']").last.fill(value)


def refusals(page) -> list[str]:
    """Collect what the page's Content-Security-Policy refuses: the tests fail on any."""
    found: list[str] = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and found.append(message.text)
    )
    return found


#: The editor's page, and the name of Decap's button that enters it, in each language.
EDITOR = {
    "en": ("/en/staff/editor/", re.compile("Login", re.IGNORECASE)),
    "fr": ("/fr/personnel/editeur/", re.compile("Se connecter|Connexion")),
}


def open_editor(page, base: str, lang: str, view: str) -> None:
    """Sign in as the admin and open the editor in ``lang`` at ``view`` (a Decap route)."""
    sign_in(page, base, lang)
    path, button = EDITOR[lang]
    page.goto(base + path + view)
    page.get_by_role("button", name=button).click()


def write_body(page, pane: int, text: str) -> None:
    editor = page.locator("[data-slate-editor='true']").nth(pane)
    editor.click()
    editor.type(text)


def test_an_admin_writes_a_posting_in_both_languages(browser, live_app, site):
    base, app = live_app
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="en-CA")
    page = context.new_page()
    problems = refusals(page)
    open_editor(page, base, "en", "#/collections/postings/new")

    title = page.locator("[id^='title-field-']")
    expect(title).to_have_count(2, timeout=30_000)
    title.nth(0).fill("Data Engineer")
    page.locator("[id^='translationKey-field-']").nth(0).fill("data-engineer")
    page.locator("[id^='description-field-']").nth(0).fill("Build the pipelines our analysts rely on.")
    page.locator("[id^='closingDate-field-']").nth(0).fill("2031-03-31T16:00")
    page.locator("[id^='classification-field-']").nth(0).fill("IT-03")
    page.locator("[id^='min-field-']").nth(0).fill("80000")
    page.locator("[id^='max-field-']").nth(0).fill("95000")
    choose(page, "employmentType", 0, "Indeterminate (permanent)")
    choose(page, "remote", 0, "Hybrid: some days on site, the others remote")
    choose(page, "languageRequirement", 0, "English or French")
    choose(page, "nameBlind", 0, "Yes, names shown from the interview stage")
    add_item(page, "criteria", 0, {"id": "degree", "label": "A degree in computer science"})
    add_item(page, "questions", 0, {"id": "clearance", "label": "Can you obtain a Reliability clearance?"})
    write_body(page, 0, "You will build data pipelines.")

    title.nth(1).fill("Ingénieure ou ingénieur de données")
    # Each language names its own file: left empty, the English one is named after its title.
    page.locator("[id^='fileName-field-']").nth(1).fill("ingenieure-donnees")
    page.locator("[id^='description-field-']").nth(1).fill("Bâtir les chaînes de données de nos équipes.")
    add_item(page, "criteria", 1, {"id": "degree", "label": "Un diplôme en informatique"})
    add_item(page, "questions", 1, {"id": "clearance", "label": "Pouvez-vous obtenir une cote de fiabilité?"})
    write_body(page, 1, "Vous bâtirez des chaînes de traitement de données.")

    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Publish now").click()
    expect(page.get_by_text("Entry saved")).to_be_visible(timeout=30_000)
    # Saved, the editor opens the entry at its address: both languages again.
    expect(page).to_have_url(re.compile(r"#/collections/postings/entries/data-engineer$"))
    expect(title.nth(1)).to_have_value("Ingénieure ou ingénieur de données")
    page.keyboard.press("Home")
    title.nth(0).focus()
    if path := os.environ.get("PORTAL_EDITOR_SCREENSHOT"):
        page.screenshot(path=str(PROJECT_ROOT / path))

    english = site / "en" / "jobs" / "data-engineer.md"
    french = site / "fr" / "jobs" / "ingenieure-donnees.md"
    assert english.is_file() and french.is_file(), sorted(p.name for p in site.glob("*/jobs/*"))
    en = frontmatter.parse(english.read_text(encoding="utf-8")).data
    fr = frontmatter.parse(french.read_text(encoding="utf-8")).data
    assert en["translationKey"] == fr["translationKey"] == "data-engineer"
    assert en["layout"] == fr["layout"] == "job-posting"
    assert "fileName" not in en and "fileName" not in fr
    assert (en["title"], fr["title"]) == ("Data Engineer", "Ingénieure ou ingénieur de données")
    assert en["closingDate"] == fr["closingDate"] == "2031-03-31T16:00:00"
    for data in (en, fr):
        assert data["employmentType"] == "indeterminate"
        assert data["remote"] == "hybrid"
        assert data["nameBlind"] == "interview"
        assert data["salary"]["min"] in (80000, "80000")
        assert [(c["id"], c["kind"]) for c in data["criteria"]] == [("degree", "essential")]
        assert [(q["id"], q["type"]) for q in data["questions"]] == [("clearance", "text")]

    result = app.test_cli_runner().invoke(args=["content", "check", "--strict", str(site)])
    assert result.exit_code == 0, result.output

    page.goto(f"{base}/en/jobs/data-engineer/")
    expect(page.locator("h1")).to_have_text("Data Engineer")
    page.locator(".language-toggle a[hreflang=fr]").click()
    expect(page).to_have_url(f"{base}/fr/emplois/ingenieure-donnees/")
    expect(page.locator("h1")).to_have_text("Ingénieure ou ingénieur de données")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.locator(".language-toggle a[hreflang=en]").click()
    expect(page).to_have_url(f"{base}/en/jobs/data-engineer/")
    context.close()
    assert not problems, problems


def test_existing_translations_open_side_by_side_with_a_preview(browser, live_app, site):
    """The bundled posting's English and French files (each named in its own
    language, paired by translationKey) open together, in the French editor,
    and the preview draws it with the portal's markup in each language."""
    base, _app = live_app
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="fr-CA")
    page = context.new_page()
    problems = refusals(page)
    open_editor(page, base, "fr", "#/collections/postings")
    page.get_by_text("Head of Product Management").click()
    title = page.locator("[id^='title-field-']")
    expect(title.nth(0)).to_have_value("Head of Product Management", timeout=30_000)
    expect(title.nth(1)).to_have_value("Cheffe ou chef de la gestion de produits")
    expect(page.locator("[id^='translationKey-field-']").nth(0)).to_have_value("head-product-management")
    file_name = page.locator("[id^='fileName-field-']")
    expect(file_name.nth(0)).to_have_value("head-of-product-management")
    expect(file_name.nth(1)).to_have_value("chef-de-la-gestion-de-produits")
    expect(page.get_by_text("Offres d’emploi")).to_be_visible()
    # A new file name in one language renames that file only.
    file_name.nth(1).fill("gestion-de-produits")
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Publier maintenant").click()
    expect(page.get_by_text("Entrée enregistrée")).to_be_visible(timeout=30_000)
    renamed = site / "fr" / "jobs" / "gestion-de-produits.md"
    assert renamed.is_file() and not (site / "fr" / "jobs" / "chef-de-la-gestion-de-produits.md").exists()
    assert (site / "en" / "jobs" / "head-of-product-management.md").is_file()
    assert "fileName" not in frontmatter.parse(renamed.read_text(encoding="utf-8")).data
    # The preview, in the pane's language, with the portal's headings.
    page.get_by_role("button", name="Aperçu", exact=True).click()
    preview = page.frame_locator("#preview-pane")
    expect(preview.locator("h1")).to_have_text("Head of Product Management")
    expect(preview.locator("dl.details")).to_contain_text("Classification")
    # The French file's preview, in French words and amounts.
    page.get_by_role("button", name="Écrire en EN").click()
    page.get_by_role("menuitem").filter(has_text="FR").first.click()
    expect(preview.locator("h1")).to_have_text("Cheffe ou chef de la gestion de produits")
    expect(preview.locator(".editor-preview")).to_have_attribute("lang", "fr")
    expect(preview.locator("dl.details")).to_contain_text("Salaire")
    expect(preview.locator("dl.details")).to_contain_text(re.compile(r"98\s000\s\$"))
    context.close()
    assert not problems, problems
