"""Command-line tools: the content check, catalog compilation, staff accounts,
and commands that keep quiet about what they were not asked."""

from __future__ import annotations

import io
import shutil
import sys
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import cli as commands
from portal.content.loader import load
from portal.domain.models import StaffSession, StaffUser
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db
from tests.conftest import FIXTURES, STAFF_PASSWORD, sign_in


def test_content_check_reports_path_line_and_fails_on_errors(runner):
    result = runner.invoke(args=["content", "check", str(FIXTURES / "content")])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{FIXTURES / 'content' / 'en/jobs/empty.md'}:1: error: empty file; file skipped" in lines
    assert any(
        line.startswith(f"{FIXTURES / 'content' / 'en/jobs/broken-yaml.md'}:3: error: invalid YAML")
        for line in lines
    )
    assert "8 errors" in result.stderr  # 4 broken files, 4 open postings in English only


def test_content_check_passes_clean_content_and_strict_fails_warnings(runner, content_tree):
    content_tree("en/jobs/a.md", "---\nlayout: job-posting\ntitle: A\ntranslationKey: a\n---\n")
    content_tree("fr/emplois/a.md", "---\nlayout: job-posting\ntitle: A\ntranslationKey: a\n---\n")
    clean = runner.invoke(args=["content", "check", str(content_tree.root)])
    assert clean.exit_code == 0, clean.output
    assert clean.stdout == ""
    content_tree("en/blog/b.md", "---\nlayout: blog\ntitle: B\ntranslationKey: b\n---\n")
    relaxed = runner.invoke(args=["content", "check", str(content_tree.root)])
    assert relaxed.exit_code == 0
    assert "b.md:4: warning: unpaired" in relaxed.stdout
    strict = runner.invoke(args=["content", "check", "--strict", str(content_tree.root)])
    assert strict.exit_code == 1


@pytest.mark.parametrize("options", [[], ["--strict"]])
def test_content_check_fails_on_an_open_posting_in_one_language(runner, content_tree, options):
    alone = content_tree(
        "fr/emplois/seul.md", "---\nlayout: job-posting\ntitle: Seul\ntranslationKey: seul\n---\n"
    )
    result = runner.invoke(args=["content", "check", *options, str(content_tree.root)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{alone}:4: error: unpaired: no en file has translationKey 'seul': "
        "an open posting must be published in en too"
    ]
    assert "1 errors, 0 warnings" in result.stderr


def test_content_check_defaults_to_the_configured_content(make_app, content_tree):
    content_tree("en/blog/a.md", "---\nlayout: blog\ntitle: A\ntranslationKey: a\n---\n")
    result = (
        make_app(PORTAL_CONTENT_DIR=str(content_tree.root))
        .test_cli_runner()
        .invoke(args=["content", "check"])
    )
    assert result.exit_code == 0, result.output
    assert "a.md:4: warning: unpaired" in result.stdout


def test_the_bundled_sample_content_passes_the_strict_check(runner):
    """Every sample posting and story is paired and clean: what a newcomer
    serves first shows no warning (unpaired pages are shown by test fixtures)."""
    result = runner.invoke(args=["content", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert not [line for line in result.stdout.splitlines() if ": note: " not in line]
    assert "0 errors, 0 warnings" in result.stderr


def test_i18n_compile_builds_the_french_catalog(runner, app):
    result = runner.invoke(args=["i18n", "compile"])
    assert result.exit_code == 0
    assert "fr/LC_MESSAGES/messages.mo" in result.stdout
    assert "untranslated" not in result.stdout and "fuzzy" not in result.stdout


@pytest.mark.parametrize("command", [["outbox", "status"], ["retention", "purge", "--dry-run"]])
def test_commands_about_something_else_say_nothing_of_the_content(make_app, caplog, command):
    """Content problems are for `content check` and the server's log, not every
    command (`i18n check` reports the French glossary's findings in content on
    purpose: tests/plumbing/test_glossary.py)."""
    runner = make_app(PORTAL_CONTENT_DIR=str(FIXTURES / "content")).test_cli_runner()
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
    assert ".md:" not in result.output
    assert not [record for record in caplog.records if record.name == "portal.content"]


# Staff accounts ------------------------------------------------------------------


def cli(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


#: portal/cli.py reads --password-stdin with click.get_text_stream, deprecated in
#: Click 8.5: the tests of what the commands do look past that warning, and
#: test_password_stdin_uses_no_deprecated_click_api below reports it.
def test_password_stdin_uses_no_deprecated_click_api(db_app):
    result = cli(
        db_app,
        "staff",
        "create",
        "new@nds.example",
        "--role",
        "admin",
        "--password-stdin",
        input="a long enough passphrase\n",
    )
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0


def account(app, email: str) -> StaffUser | None:
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


NEW_PASSWORD = "a brand new long passphrase"


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_create_reads_the_password_from_stdin(db_app, role):
    result = cli(
        db_app,
        "staff",
        "create",
        "New.Person@NDS.example",
        "--role",
        role,
        "--password-stdin",
        input=f"{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert f"Created {role} new.person@nds.example." in result.stdout
    user = account(db_app, "new.person@nds.example")
    assert (user.role, user.active) == (role, True)
    assert NEW_PASSWORD not in user.password_hash

    client = db_app.test_client()
    assert sign_in(client, "new.person@nds.example", NEW_PASSWORD).status_code == 302
    assert client.get("/en/staff/equity/").status_code == (200 if role == "admin" else 404)


@pytest.mark.parametrize("email", ["admin@nds.example", " ADMIN@nds.example "])
def test_staff_create_refuses_a_taken_email(db_app, staff, email):
    before = account(db_app, staff.admin).password_hash
    result = cli(
        db_app, "staff", "create", email, "--role", "reviewer", "--password-stdin", input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 1
    assert "already has that email" in result.stderr
    assert account(db_app, staff.admin).password_hash == before
    assert account(db_app, staff.admin).role == "admin"


@pytest.mark.parametrize("password", ["short", "eleven char", ""])
def test_staff_create_refuses_a_short_password(db_app, password):
    result = cli(
        db_app,
        "staff",
        "create",
        "new@nds.example",
        "--role",
        "admin",
        "--password-stdin",
        input=f"{password}\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert account(db_app, "new@nds.example") is None


def test_staff_create_needs_a_known_role(db_app):
    result = cli(
        db_app,
        "staff",
        "create",
        "new@nds.example",
        "--role",
        "owner",
        "--password-stdin",
        input=f"{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 2
    assert account(db_app, "new@nds.example") is None


def test_set_password_signs_the_account_out_everywhere(db_app, staff):
    browsers = [staff.client(staff.assigned), staff.client(staff.assigned)]
    bystander = staff.client(staff.admin)
    assert all(browser.get("/en/staff/").status_code == 200 for browser in browsers)

    result = cli(
        db_app, "staff", "set-password", "Assigned@nds.example", "--password-stdin", input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    for browser in browsers:
        response = browser.get("/en/staff/postings/head-product-management/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/en/staff/sign-in")
    assert bystander.get("/en/staff/").status_code == 200

    assert sign_in(db_app.test_client(), staff.assigned, STAFF_PASSWORD).status_code == 200
    assert sign_in(db_app.test_client(), staff.assigned, NEW_PASSWORD).status_code == 302


def test_set_password_refuses_a_short_one_and_keeps_the_sessions(db_app, staff):
    browser = staff.client(staff.assigned)
    result = cli(db_app, "staff", "set-password", staff.assigned, "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert browser.get("/en/staff/").status_code == 200
    assert sign_in(db_app.test_client(), staff.assigned, STAFF_PASSWORD).status_code == 302


@pytest.mark.parametrize("command", [["set-password", "--password-stdin"], ["disable"]])
def test_commands_on_an_unknown_account_fail(db_app, staff, command):
    result = cli(db_app, "staff", command[0], "nobody@nds.example", *command[1:], input=f"{NEW_PASSWORD}\n")
    assert result.exit_code == 1
    assert "No staff account has the email nobody@nds.example." in result.stderr


def test_disable_signs_the_account_out_and_it_cannot_sign_in(db_app, staff):
    browser = staff.client(staff.assigned)
    assert browser.get("/en/staff/").status_code == 200

    result = cli(db_app, "staff", "disable", staff.assigned)
    assert result.exit_code == 0, result.output
    assert f"{staff.assigned} is disabled and signed out." in result.stdout
    assert account(db_app, staff.assigned).active is False

    response = browser.get("/en/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/en/staff/sign-in")
    again = sign_in(db_app.test_client(), staff.assigned, STAFF_PASSWORD)
    assert again.status_code == 200
    assert "The email address or password is not right." in again.get_data(as_text=True)
    with db_app.app_context():
        live = db.session.scalar(
            select(func.count(StaffSession.id))
            .join(StaffUser)
            .where(StaffUser.email == staff.assigned, StaffSession.revoked_at.is_(None))
        )
        assert live == 0


@pytest.mark.parametrize(
    "command",
    [["outbox", "status"], ["staff", "disable", "a@nds.example"], ["retention", "purge", "--dry-run"]],
)
def test_commands_on_a_database_never_migrated_say_what_to_run(make_app, tmp_path, command):
    runner = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}").test_cli_runner()
    result = runner.invoke(args=command)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().count("\n") == 0
    assert "run `flask --app wsgi db upgrade`" in result.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_commands_draw_a_progress_bar_on_a_terminal_and_nothing_under_cron(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with commands._progress("Reading the content") as report:
        load([FIXTURES / "content"], ["en", "fr"], ZoneInfo("America/Toronto"), progress=report)
    assert list(commands._tracked([1, 2], "Sending job alerts")) == [1, 2]
    drawn = terminal.getvalue()
    assert "Reading the content" in drawn and "Sending job alerts" in drawn and "2/2" in drawn
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with commands._progress("Reading the content") as report:
        load([FIXTURES / "content"], ["en", "fr"], ZoneInfo("America/Toronto"), progress=report)
    assert list(commands._tracked([1, 2], "Sending job alerts")) == [1, 2]
    assert piped.getvalue() == ""


def test_loading_a_tree_tells_its_progress_up_to_the_end():
    told = []
    zone = ZoneInfo("America/Toronto")
    load([FIXTURES / "content"], ["en", "fr"], zone, progress=lambda *step: told.append(step))
    done = [step[0] for step in told]
    assert done == sorted(done) and told[-1][0] == told[-1][1] > 0


# Starting content -----------------------------------------------------------------

NEW_POSTING = ["content", "new", "posting", "Service Designer", "Conceptrice ou concepteur de services"]


def test_content_new_writes_a_draft_pair_the_strict_check_passes(make_app, tmp_path):
    root = tmp_path / "content"
    root.mkdir()
    runner = make_app(PORTAL_CONTENT_DIR=str(root)).test_cli_runner()
    result = runner.invoke(args=NEW_POSTING)
    assert result.exit_code == 0, result.output
    english = root / "en" / "jobs" / "service-designer.md"
    french = root / "fr" / "jobs" / "conceptrice-ou-concepteur-de-services.md"
    assert result.stdout.splitlines() == [str(english), str(french)]
    assert "draft: false" in result.stderr
    check = runner.invoke(args=["content", "check", "--strict"])
    assert check.exit_code == 0, check.output
    assert "2 documents served; 0 errors, 0 warnings, 2 notes" in check.stderr

    before = {path: path.read_bytes() for path in (english, french)}
    again = runner.invoke(args=NEW_POSTING)
    assert again.exit_code == 1
    assert again.stderr == f"portal: {english} already exists: refusing to overwrite it\n"
    reused = runner.invoke(args=[*NEW_POSTING[:3], "Designer", "Designer FR", "--key", "Service-Designer"])
    assert reused.exit_code == 1
    assert f"translationKey 'service-designer' is already used by {english}" in reused.stderr
    assert {path: path.read_bytes() for path in (english, french)} == before
    assert sorted(path.name for path in root.rglob("*.md")) == sorted([english.name, french.name])


def test_content_new_story_goes_where_content_dir_says(runner, tmp_path):
    titles = ["Our second year", "Notre deuxième année"]
    result = runner.invoke(args=["content", "new", "story", *titles, "--content-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(tmp_path / "en" / "blog" / "posts" / "our-second-year.md"),
        str(tmp_path / "fr" / "blog" / "posts" / "notre-deuxieme-annee.md"),
    ]
    assert not list((PROJECT_ROOT / "content").rglob("our-second-year.md")), "configured content untouched"
    assert runner.invoke(args=["content", "check", "--strict", str(tmp_path)]).exit_code == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["page", "Title", "Titre"], "'page' is not one of 'posting', 'story'"),
        (["posting", "Title only"], "give one title per language, in this order: en, fr"),
        (["posting", "Title", "Titre", "--key", "2"], "is a bare number"),
        (["posting", "???", "Titre"], "has no letters or digits"),
        (["posting", "Title", "Titre", "--content-dir", "nowhere/at/all"], "does not exist"),
    ],
)
def test_content_new_refuses_what_it_cannot_use_as_a_usage_error(make_app, tmp_path, arguments, message):
    root = tmp_path / "content"
    root.mkdir()
    runner = make_app(PORTAL_CONTENT_DIR=str(root)).test_cli_runner()
    result = runner.invoke(args=["content", "new", *arguments])
    assert result.exit_code == 2
    assert message in result.stderr
    assert list(root.iterdir()) == [], "nothing written"


def test_content_new_refuses_a_slug_the_sample_content_has_in_another_section(make_app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", root)
    before = sorted(root.rglob("*.md"))
    result = make_app(PORTAL_CONTENT_DIR=str(root)).test_cli_runner().invoke(args=NEW_POSTING)
    assert result.exit_code == 1
    taken = root / "en" / "careers" / "positions" / "service-designer.md"
    assert result.stderr == (
        f"portal: {taken} already has the slug 'service-designer' in en: give another title, "
        "or rename that file\n"
    )
    assert sorted(root.rglob("*.md")) == before
