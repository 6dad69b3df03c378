"""In a real browser: axe-core finds no WCAG 2.1 A/AA violation on the pages
people use, the form works without JavaScript, errors take the focus, and
nothing scrolls sideways at 320 px.

Needs Chromium (/usr/bin/chromium), Playwright for Python and axe-core
(``npm install axe-core`` under .cache/axe, or PORTAL_AXE_JS=path). Skipped when
one is missing, unless PORTAL_REQUIRE_BROWSER_TESTS=1 (CI sets it).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from portal.plumbing.config import PROJECT_ROOT
from tests.browsers import SIGN_IN, add_admin, browser_missing, chromium, served, sign_in
from tests.conftest import PDF
from tests.requires import skip_module_unless_present

AXE = Path(os.environ.get("PORTAL_AXE_JS", PROJECT_ROOT / ".cache/axe/node_modules/axe-core/axe.min.js"))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}

skip_module_unless_present(
    browser_missing((AXE.exists(), f"axe-core is not at {AXE}")), "PORTAL_REQUIRE_BROWSER_TESTS"
)

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(live_app):
    """The URL of the portal served over HTTP on a loopback port."""
    return live_app[0]


@pytest.fixture
def live_app(make_app, sqlite_template, tmp_path):
    """Serve the portal over HTTP on a loopback port, in a thread; (URL, app)."""
    database = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, database)
    app = make_app(DATABASE_URL=f"sqlite:///{database}", RATELIMIT_ENABLED=False)
    add_admin(app)
    with served(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def browser():
    with chromium("--disable-quic", "--disable-component-update", "--disable-sync") as browser:
        yield browser


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def fill_application(page, resume):
    page.fill("#full_name", "Ada Tremblay")
    page.fill("#email", "ada@example.ca")
    page.set_input_files("#resume", str(resume))
    for group in page.query_selector_all("fieldset[id^=question_]"):
        group.query_selector("input").check()
    page.check("#privacy_acknowledged")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_public_pages_and_the_form_pass_axe(browser, live_server, lang, tmp_path):
    context = browser.new_context(bypass_csp=True)  # lets the test inject axe
    page = context.new_page()
    jobs, blog = {"en": ("jobs", "blog"), "fr": ("emplois", "blogue")}[lang]
    urls = [
        "/",
        f"/{lang}/",
        f"/{lang}/{jobs}/",
        f"/{lang}/{blog}/",
        FORM[lang],
        {"en": "/en/jobs/head-of-product-management/", "fr": "/fr/emplois/chef-de-la-gestion-de-produits/"}[
            lang
        ],
        {"en": "/en/jobs/service-designer/", "fr": "/fr/emplois/conceptrice-ou-concepteur-de-services/"}[
            lang
        ],
        {
            "en": "/en/blog/building-accessible-forms/",
            "fr": "/fr/blogue/concevoir-des-formulaires-accessibles/",
        }[lang],
        f"/{lang}/{jobs}/no-such-job/",
        # A search with results, one with none, and the job-alert sign-up it leads to.
        f"/{lang}/{jobs}/?q=python&sort=closing",
        f"/{lang}/{jobs}/?q=zzzz&where=QC",
        {"en": "/en/job-alerts/new?q=python", "fr": "/fr/alertes-emploi/nouvelle?q=python"}[lang],
    ]
    found = {}
    for url in urls:
        page.goto(live_server + url)
        if problems := violations(page):
            found[url] = problems
    page.goto(live_server + FORM[lang])
    page.click("button[type=submit]")
    if problems := violations(page):
        found["form with errors"] = problems
    # Only a résumé chosen: the form comes back with the file kept, and its "Keep this file" box.
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(PDF)
    page.goto(live_server + FORM[lang])
    page.set_input_files("#resume", str(resume))
    page.click("button[type=submit]")
    assert page.locator("#keep_resume").is_checked()
    if problems := violations(page):
        found["form with errors and a kept résumé"] = problems
    context.close()
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_errors_take_the_focus_and_link_to_their_fields(browser, live_server, lang):
    # bypass_csp: Playwright's polling below evaluates script, which the CSP forbids.
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(live_server + FORM[lang])
    page.click("button[type=submit]")
    # autofocus is applied when the browser next renders the new page.
    # While the new page loads there is no active element yet (null): keep polling.
    page.wait_for_function(
        "document.activeElement !== null && document.activeElement.classList.contains('error-summary')",
        timeout=5000,
    )
    first_link = page.locator(".error-summary a").first
    target = first_link.get_attribute("href")
    first_link.click()
    assert page.evaluate("location.hash") == target
    page.close()


def test_applying_works_without_javascript(browser, live_server, tmp_path):
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(PDF)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + FORM["fr"])
    fill_application(page, resume)
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Candidature reçue"
    assert page.locator(".reference").inner_text().count("-") == 2
    context.close()


def test_a_kept_resume_is_sent_without_choosing_it_again(browser, live_server, tmp_path):
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(PDF)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + FORM["en"])
    fill_application(page, resume)
    page.fill("#full_name", "")
    page.click("button[type=submit]")
    assert page.locator("#kept-resume-file").inner_text().startswith("cv.pdf (1")
    page.fill("#full_name", "Ada Tremblay")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Application received"
    context.close()


@pytest.mark.parametrize(
    "url",
    [
        "/en/",
        FORM["fr"],
        "/fr/emplois/chef-de-la-gestion-de-produits/",
        "/en/blog/building-accessible-forms/",
        "/fr/emplois/?q=zzzz&where=QC&sort=closing",
        "/fr/alertes-emploi/nouvelle?q=python",
    ],
)
def test_nothing_scrolls_sideways_at_320_pixels(browser, live_server, url):
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(live_server + url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.close()


STAFF_PAGES = {
    "en": (
        "/en/staff/",
        "/en/staff/postings/head-product-management/",
        "/en/staff/applications/{id}/",
        "/en/staff/equity/",
        "/en/staff/audit/",
        "/en/staff/accounts/",
        "/en/staff/accounts/invite",
        "/en/staff/two-factor/",
        "/en/staff/two-factor/set-up",
        "/en/staff/translations/",
        "/en/staff/password",
        "/en/staff/search/?q=candidate",
    ),
    "fr": (
        "/fr/personnel/",
        "/fr/personnel/offres/head-product-management/",
        "/fr/personnel/candidatures/{id}/",
        "/fr/personnel/equite/",
        "/fr/personnel/journal/",
        "/fr/personnel/comptes/",
        "/fr/personnel/comptes/inviter",
        "/fr/personnel/deux-facteurs/",
        "/fr/personnel/deux-facteurs/configuration",
        "/fr/personnel/traductions/",
        "/fr/personnel/mot-de-passe",
        "/fr/personnel/recherche/?q=candidate",
    ),
}
SCREENSHOTS = PROJECT_ROOT / ".cache/screenshots"


def staff_signed_in(context, url: str, lang: str = "en"):
    """A page of ``context`` signed in as the admin, on the staff sign-in's next page."""
    page = context.new_page()
    sign_in(page, url, lang)
    return page


@pytest.fixture
def with_application(live_app):
    """(URL, id of an application to head-product-management) on the live server."""
    from tests.records import HEAD, insert, new_application

    url, app = live_app
    (application_id,) = insert(app, new_application(HEAD))
    return url, application_id


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_staff_pages_pass_axe(browser, with_application, lang):
    url, application_id = with_application
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(url + SIGN_IN[lang])
    found = {}
    if problems := violations(page):
        found["sign-in"] = problems
    sign_in(page)
    for path in (
        *STAFF_PAGES[lang],
        {"en": "/en/staff/forgot-password", "fr": "/fr/personnel/mot-de-passe-oublie"}[lang],
    ):
        path = path.format(id=application_id)
        page.goto(url + path)
        assert page.locator("h1").count() == 1, path
        if problems := violations(page):
            found[path] = problems
    # Error states: a bulk change with nothing chosen, a note and a status change left empty.
    page.goto(url + STAFF_PAGES[lang][2].format(id=application_id))
    page.locator("form[action$='/status'] button[type=submit]").click()
    if problems := violations(page):
        found["status change with errors"] = problems
    page.goto(url + STAFF_PAGES[lang][2].format(id=application_id))
    page.locator("form[action$='/notes'] button[type=submit]").click()
    if problems := violations(page):
        found["note with errors"] = problems
    # Name-blind review, turned on from the posting page: the list and the
    # application by number, and the admin's reveal sent without a reason.
    page.goto(url + STAFF_PAGES[lang][1])
    page.locator("input[name='blind-choice'][value='interview']").check()
    page.locator("#name-blind-form button[type=submit]").click()
    for path in (STAFF_PAGES[lang][1], STAFF_PAGES[lang][2].format(id=application_id)):
        page.goto(url + path)
        assert page.locator("#name-blind-notice").count() == 1, path
        if problems := violations(page):
            found[f"name-blind {path}"] = problems
    page.locator("#reveal-form button[type=submit]").click()
    if problems := violations(page):
        found["name-blind reveal with errors"] = problems
    context.close()
    assert not found, found


@pytest.mark.parametrize("width", [320, 375])
def test_staff_pages_do_not_scroll_sideways_on_a_phone(browser, with_application, width):
    url, application_id = with_application
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = staff_signed_in(context, url)
    wide = {}
    for path in STAFF_PAGES["en"][:3]:
        page.goto(url + path.format(id=application_id))
        if (scroll := page.evaluate("document.documentElement.scrollWidth")) > width:
            wide[path] = scroll
    context.close()
    assert not wide, wide


def _a_posting_under_way(app) -> None:
    """Give the screenshots' posting applications at every stage, with their history."""
    from datetime import UTC, datetime, timedelta

    from portal.domain.models import Application, StatusChange
    from portal.plumbing.db import db
    from tests.records import HEAD, new_application

    paths = [("screening",), ("screening", "interview"), ("screening", "rejected"), ("rejected",)]
    paths += [("screening", "interview", "offer"), ()] * 2
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with app.app_context():
        for number, path in enumerate(paths):
            application = new_application(HEAD, submitted_at=start + timedelta(hours=number))
            status = "received"
            for step, after in enumerate(path, start=1):
                application.status_changes.append(
                    StatusChange(
                        from_status=status,
                        to_status=after,
                        reason="Does not meet the essential qualifications" if after == "rejected" else "",
                        changed_at=start + timedelta(days=3 * step, hours=number),
                    )
                )
                status = after
            application.status = status
            db.session.add(application)
        db.session.commit()
        assert db.session.query(Application).count() > len(paths)


def test_screenshots_of_the_staff_screens(browser, with_application, live_app):
    """Writes the dashboard, a posting's list and an application page at 1280 and
    375 px to .cache/screenshots/ (git-ignored), for the issue's closing note."""
    url, application_id = with_application
    _a_posting_under_way(live_app[1])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    names = ("staff-dashboard", "staff-posting", "staff-application")
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = staff_signed_in(context, url)
        for name, path in zip(names, STAFF_PAGES["en"][:3], strict=True):
            page.goto(url + path.format(id=application_id))
            target = SCREENSHOTS / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 0
        context.close()


def test_status_withdrawal_and_decision_pages_pass_axe(browser, live_app, tmp_path):
    """The pages after applying: the status page through the emailed link, the
    withdrawal step, "lost your link?", and the staff decision preview."""
    from sqlalchemy import select

    from portal.domain.models import OutboxEmail
    from portal.plumbing.db import db

    url, app = live_app
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(PDF)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(url + FORM["fr"])
    fill_application(page, resume)
    page.click("button[type=submit]")
    with app.app_context():
        body = db.session.scalars(select(OutboxEmail)).one().body_text
    status_url = re.search(r"https?://\S+\?token=[\w-]+", body).group(0)
    found = {}
    for name, address in (
        ("status", status_url),
        ("withdraw", status_url.replace("?token", "/retirer?token")),
        ("lost link", url + "/fr/etat-de-la-candidature/lien-perdu"),
        ("lost link (en)", url + "/en/application-status/lost-link"),
    ):
        page.goto(address)
        assert page.locator("h1").count() == 1, name
        if problems := violations(page):
            found[name] = problems
    sign_in(page, url)
    page.goto(url + "/en/staff/applications/1/")
    if problems := violations(page):
        found["staff application"] = problems
    status_form = page.locator("form[action$='/status']")
    status_form.locator("select").select_option("rejected")
    status_form.locator("textarea[name=reason]").fill("Does not meet the essential experience.")
    status_form.locator("button[type=submit]").click()
    assert page.locator("h1").inner_text() == "Check the email before it is sent"
    if problems := violations(page):
        found["decision preview"] = problems
    context.close()
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_keyboard_alone_assesses_an_application_and_axe_finds_nothing(browser, live_app, lang):
    """Ratings chosen with the arrow keys, justifications typed, the form sent
    with Enter; the assessment section passes axe with an error and once saved,
    and does not scroll sideways at 320 px. Screenshots for the closing note."""
    from tests.records import PYTHON, insert, new_application

    url, app = live_app
    (application_id,) = insert(app, new_application(PYTHON))
    path = {"en": "/en/staff/applications/{id}/", "fr": "/fr/personnel/candidatures/{id}/"}[lang]
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = staff_signed_in(context, url, lang)
    page.goto(url + path.format(id=application_id))
    found = {}

    # "Met" without a justification: the error summary takes the focus.
    page.focus("#assessment-rating_0-3")
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    assert page.is_checked("#assessment-rating_0-0")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "assessment-justification_0"
    page.locator("#assessment button[type=submit]").press("Enter")
    # autofocus is applied when the browser next renders the new page: keep polling.
    page.wait_for_function(
        "document.activeElement !== null && document.activeElement.classList.contains('error-summary')",
        timeout=5000,
    )
    if problems := violations(page):
        found["assessment with an error"] = problems

    page.focus("#assessment-justification_0")
    page.keyboard.type("Master's degree in computing, 2015")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "assessment-rating_1-3"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    page.keyboard.type("Scripts for reports; no web service in production")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_selector("#assessment table")

    table = page.locator("#assessment table").inner_text()
    assert "Master's degree in computing, 2015" in table
    assert "no web service in production" in table
    if problems := violations(page):
        found["assessment saved"] = problems
    if lang == "en":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(SCREENSHOTS / f"staff-application-assessed-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_dashboard_search_and_equity_figures_fit_a_phone(browser, live_app, monkeypatch, lang):
    """The funnels, the closing-soon notice, the search results and the equity
    report at 320 px: nothing scrolls sideways (tables scroll in their region)."""
    from datetime import UTC, datetime

    from portal.web.staff import views
    from tests.records import HEAD, add_equity, insert, new_application

    url, app = live_app
    insert(app, new_application(HEAD, full_name="Marie-Ève Tremblay-Laframboise de la Vérendrye"))
    add_equity(app, HEAD, [{"woman"}] * 6)
    monkeypatch.setattr(views, "_now", lambda: datetime(2027, 3, 26, 12, tzinfo=UTC))
    context = browser.new_context(viewport={"width": 320, "height": 700}, bypass_csp=True)
    page = staff_signed_in(context, url, lang)
    paths = {
        "en": ("/en/staff/", "/en/staff/search/?q=tremblay", "/en/staff/equity/"),
        "fr": ("/fr/personnel/", "/fr/personnel/recherche/?q=tremblay", "/fr/personnel/equite/"),
    }[lang]
    wide, found = {}, {}
    for path in paths:
        page.goto(url + path)
        if (scroll := page.evaluate("document.documentElement.scrollWidth")) > 320:
            wide[path] = scroll
        if problems := violations(page):
            found[path] = problems
    assert page.locator(".notice--attention").count() == 0  # the equity page has none
    page.goto(url + paths[0])
    assert page.locator(".notice--attention").is_visible()
    if lang == "en":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for path, name in zip(paths, ("dashboard", "search", "equity")):
            page.goto(url + path)
            page.screenshot(path=str(SCREENSHOTS / f"staff-{name}-320.png"), full_page=True)
    context.close()
    assert not wide, wide
    assert not found, found
