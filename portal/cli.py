"""Command-line tools for operators and translators: ``flask content|i18n|
outbox|staff|retention|resumes|alerts ...``. Like views, commands parse their arguments,
call the domain and report; each one's work is a single transaction."""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from .content import (
    Kind,
    Severity,
    content_mirrors,
    content_roots,
    content_workers,
    current_index,
    load_index,
    scaffold,
)
from .content.loader import load
from .content.translations import DEFAULT_STALE_DAYS, translation_report
from .domain import accounts, alerts, antivirus, limits, mail, resumes, retention, second_factor
from .domain.models import Role
from .plumbing import catalogs, glossary
from .plumbing.config import PROJECT_ROOT, timezone
from .plumbing.db import db, one_at_a_time, schema_state, transaction
from .plumbing.i18n import translation_directory
from .web import export_site

content_cli = AppGroup("content", help="Check the job postings and blog stories; export the public site.")
outbox_cli = AppGroup("outbox", help="Send the emails waiting in the outbox.")
staff_cli = AppGroup("staff", help="Manage hiring staff accounts.")
retention_cli = AppGroup("retention", help="Delete applications kept longer than allowed.")
i18n_cli = AppGroup("i18n", help="Work with the interface translation catalogs.")


def needs_database(command: Callable) -> Callable:
    """Run a command only on a database at the latest schema; else say, in
    one line, what to run."""

    @wraps(command)
    def checked(*args, **kwargs):
        state = schema_state(db.engine)
        if not state.ready:
            click.echo(f"portal: {state.describe()}", err=True)
            raise SystemExit(1)
        return command(*args, **kwargs)

    return checked


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], object]]:
    """Yield ``report(done, total)``, which draws a progress bar on a terminal
    (standard error); under cron or a pipe it shows nothing."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    with ExitStack() as stack:
        bars: list = []

        def report(done: int, total: int) -> None:
            if not bars:
                bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
                bars.append(stack.enter_context(bar))
            bars[0].update(done - bars[0].pos)

        yield report


def _tracked(items: list, label: str) -> Iterator:
    """Yield ``items``, with a progress bar on a terminal (see ``_progress``)."""
    if not sys.stderr.isatty() or not items:
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr, show_pos=True) as bar:
        yield from bar


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    app.cli.add_command(content_cli)
    app.cli.add_command(i18n_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(resumes_cli)
    app.cli.add_command(alerts_cli)


@content_cli.command("check")
@click.argument("directories", nargs=-1, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only errors.")
def content_check(directories: tuple[str, ...], strict: bool) -> None:
    """Report every problem in the content as path:line: message.

    DIRECTORIES default to PORTAL_CONTENT_DIR; several are read as one tree.
    Exits 1 when there are errors (or warnings, with --strict), else 0.
    """
    roots = list(directories) or content_roots(current_app.config["PORTAL_CONTENT_DIR"])
    languages = current_app.config["PORTAL_LANGUAGES"]
    with _progress("Reading the content") as report:
        index = load(
            roots,
            list(languages),
            timezone(current_app.config),
            mirrors=content_mirrors(languages),
            progress=report,
            workers=content_workers(current_app.config["PORTAL_CONTENT_WORKERS"]),
        )
    for problem in index.problems:
        click.echo(str(problem))
    counts = Counter(problem.severity for problem in index.problems)
    click.echo(
        f"{len(index.documents)} documents served; {counts[Severity.ERROR]} errors, "
        f"{counts[Severity.WARNING]} warnings, {counts[Severity.NOTE]} notes",
        err=True,
    )
    if counts[Severity.ERROR] or (strict and counts[Severity.WARNING]):
        raise SystemExit(1)


@content_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url",
    help="The public address pages, feeds and the sitemap link to "
    "(default: https:// and the first of PORTAL_TRUSTED_HOSTS; http://localhost for localhost).",
)
def content_export(directory: Path, base_url: str | None) -> None:
    """Write every public page, feed, sitemap, API document and static file
    into DIRECTORY at its URL, for a web server to serve without the app;
    forms, job alerts and staff pages stay with the app.

    The export is written beside DIRECTORY and replaces it only when
    complete, with .export-manifest.json (each URL's file, type and ETag)
    and .redirects.map (old addresses, an nginx map). Exits 1 on failure,
    DIRECTORY unchanged.
    """
    app = current_app._get_current_object()
    base_url = (base_url or export_site.default_base_url(app)).rstrip("/")
    # Warnings only: a log line per page rendered would bury the summary (cron mails it).
    level = app.logger.level
    app.logger.setLevel(logging.WARNING)
    try:
        targets, unfilled = export_site.discover(app, base_url)
        with _progress("Exporting the site") as report:
            result = export_site.export_site(
                app, directory, targets, base_url=base_url, unfilled=unfilled, progress=report
            )
    except (export_site.ExportError, OSError, ValueError) as error:
        click.echo(f"portal: export failed: {error}; {directory} is unchanged", err=True)
        raise SystemExit(1) from None
    finally:
        app.logger.setLevel(level)
    click.echo(
        f"Exported {result.files} files ({result.bytes / 1_000_000:.1f} MB) to {directory}; "
        f"{len(result.left_to_app)} URLs left to the app, {result.redirects} redirects"
    )


@content_cli.command("translations")
@click.argument("directories", nargs=-1, type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document for scripts.")
@click.option(
    "--stale-days",
    type=click.IntRange(min=0),
    default=DEFAULT_STALE_DAYS,
    show_default=True,
    help="In a git checkout, report a translation last committed more than this many days before its source.",
)
def content_translations(directories: tuple[str, ...], as_json: bool, stale_days: int) -> None:
    """Report translation gaps in postings and blog stories.

    Unpaired files (with their likely pair), keys that pair only after
    normalisation, untranslated counterparts, and (in a git checkout)
    translations much older than their source, postings open in one
    language only or closing at different times. DIRECTORIES default to
    PORTAL_CONTENT_DIR. Always exits 0: it is a report, not a check.
    """
    # A language showing another's content (the pseudo-locale) has nothing to translate.
    mirrors = content_mirrors(current_app.config["PORTAL_LANGUAGES"])
    languages = [lang for lang in current_app.config["PORTAL_LANGUAGES"] if lang not in mirrors]
    roots = list(directories) or content_roots(current_app.config["PORTAL_CONTENT_DIR"])
    index = load_index(roots, languages, timezone(current_app.config))
    report = translation_report(index, languages, stale_days=stale_days)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    for finding in report.findings:
        click.echo(str(finding))
    click.echo(report.summary(), err=True)


@content_cli.command("new")
@click.argument("kind", type=click.Choice(["posting", "story"]))
@click.argument("titles", nargs=-1, required=True)
@click.option("--key", help="The translationKey pairing the files (default: from the first title).")
@click.option(
    "--content-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The content folder to write into (default: the first of PORTAL_CONTENT_DIR).",
)
def content_new(kind: str, titles: tuple[str, ...], key: str | None, content_dir: Path | None) -> None:
    """Start a job posting or a blog story: one draft file per language,
    paired by one translationKey, with every front-matter key to fill in.

    TITLES are one title per language, in the order of PORTAL_LANGUAGES
    (English, then French); each file is named from its title. Nothing is
    published until draft: false is set in each file. Exits 1, writing
    nothing, if a file, slug or translationKey is taken.
    """
    config = current_app.config
    mirrors = content_mirrors(config["PORTAL_LANGUAGES"])
    languages = [lang for lang in config["PORTAL_LANGUAGES"] if lang not in mirrors]
    if len(titles) != len(languages):
        raise click.UsageError(f"give one title per language, in this order: {', '.join(languages)}")
    roots = [Path(root) for root in content_roots(config["PORTAL_CONTENT_DIR"])]
    if content_dir:
        roots = [content_dir]
    if not roots or not roots[0].is_dir():
        click.echo(f"portal: content folder {roots[0] if roots else '(none)'} does not exist", err=True)
        raise SystemExit(1)
    try:
        files = scaffold.plan(
            Kind.POSTING if kind == "posting" else Kind.STORY,
            dict(zip(languages, titles, strict=True)),
            roots[0],
            timezone=timezone(config),
            now=datetime.now(UTC),
            key=key,
            roots=roots,
        )
        scaffold.write(files)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    except (scaffold.Taken, OSError) as error:
        click.echo(f"portal: {error}", err=True)
        raise SystemExit(1) from None
    for new in files:
        click.echo(_shown(new.path))
    click.echo(
        f"A draft {kind} in {len(files)} languages: fill in each file, then set draft: false "
        "in each to publish it.",
        err=True,
    )


@i18n_cli.command("compile")
def i18n_compile() -> None:
    """Compile every .po catalog to the .mo file the site reads."""
    try:
        compiled = catalogs.compile_catalogs(translation_directory())
    except catalogs.CatalogError as error:
        click.echo(f"portal: {error}", err=True)
        raise SystemExit(1) from None
    for result in compiled:
        missing = f", {result.untranslated} untranslated" if result.untranslated else ""
        fuzzy = f", {result.fuzzy} fuzzy (left out)" if result.fuzzy else ""
        click.echo(f"{result.path}: {result.messages} messages{missing}{fuzzy}")


@i18n_cli.command("check")
def i18n_check() -> None:
    """Report untranslated, fuzzy, obsolete and stale messages, differing
    placeholders and French typography, and the French glossary's terms to
    avoid and house rules in the catalog, the content and the privacy notice,
    as file:line: message. Exits 1 if any."""
    problems = catalogs.check_catalogs(translation_directory(), _template(), PROJECT_ROOT)
    problems += _glossary_problems()
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(problems)} problems in the catalogs", err=True)
    if problems:
        raise SystemExit(1)


@i18n_cli.command("glossary")
@click.argument("lang")
def i18n_glossary(lang: str) -> None:
    """Print the glossary of LANG (translations/LANG/glossary.yaml) as the
    Markdown table of TRANSLATING.md."""
    path = glossary.path_for(translation_directory(), lang)
    if not path.is_file():
        click.echo(f"{path} does not exist: {lang} has no glossary.", err=True)
        raise SystemExit(1)
    click.echo(glossary.markdown_table(glossary.load(path)), nl=False)


def _glossary_problems() -> list[catalogs.CatalogProblem]:
    """Check each language that has a glossary: its catalog, content and privacy notice."""
    config = current_app.config
    problems = []
    for lang, language in config["PORTAL_LANGUAGES"].items():
        path = glossary.path_for(translation_directory(), lang)
        if not path.is_file():
            continue
        terms = glossary.load(path)
        french = catalogs.is_french(language.get("locale", lang))
        po_path = translation_directory() / lang / "LC_MESSAGES" / f"{catalogs.DOMAIN}.po"
        if po_path.is_file():
            problems += glossary.check_catalog(po_path, _shown(po_path), terms, french=french)
        roots = [Path(root) / lang for root in content_roots(config["PORTAL_CONTENT_DIR"])]
        problems += glossary.check_content(
            [root for root in roots if root.is_dir()], PROJECT_ROOT, terms, french=french
        )
        notice = Path(config["PORTAL_PRIVACY_NOTICE_DIR"]) / f"{lang}.md"
        if notice.is_file():
            problems += glossary.check_text_file(notice, _shown(notice), terms, french=french)
    return sorted(problems)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


@i18n_cli.command("extract")
def i18n_extract() -> None:
    """Extract the interface messages into translations/messages.pot."""
    template = _template()
    path = translation_directory() / f"{catalogs.DOMAIN}.pot"
    catalogs.write_template(template, path)
    click.echo(f"{path}: {len(template)} messages")


@i18n_cli.command("update")
def i18n_update() -> None:
    """Extract the messages and merge them into every language's .po catalog."""
    template = _template()
    for path in catalogs.update_catalogs(translation_directory(), template):
        click.echo(f"{path}: updated")


@i18n_cli.command("init")
@click.argument("locale")
def i18n_init(locale: str) -> None:
    """Start the catalog of a new language LOCALE (then add it to PORTAL_LANGUAGES)."""
    path = catalogs.init_catalog(translation_directory(), locale, _template())
    click.echo(f"{path}: created")


def _template():
    return catalogs.extract(PROJECT_ROOT, PROJECT_ROOT / "babel.cfg", "portal", "0.1")


@outbox_cli.command("send")
@click.option(
    "--retry-now",
    is_flag=True,
    help="Also try the emails waiting for their next retry, and those given up (once SMTP is fixed).",
)
@needs_database
def outbox_send(retry_now: bool) -> None:
    """Send every email that is due: failed sends are retried after a delay
    that grows (1 min, 5 min, 30 min, 2 h), then given up.

    Exits 1 if an email could not be sent, so a scheduler can alert.
    """
    if not current_app.config["PORTAL_SMTP_HOST"]:
        click.echo("PORTAL_SMTP_HOST is not set: nothing can be sent.", err=True)
        raise SystemExit(1)
    report = mail.deliver(db.session, current_app.config, retry_now=retry_now)
    click.echo(f"{report.sent} sent, {report.failed} failed, {report.skipped} being sent elsewhere")
    if report.failed:
        raise SystemExit(1)


@outbox_cli.command("status")
@needs_database
def outbox_status() -> None:
    """Show how many emails are sent, waiting, waiting for a retry and given up.

    Exits 1 when an email was given up, so a scheduler can alert.
    """
    status = mail.outbox_status(db.session)
    click.echo(
        f"{status.sent} sent, {status.waiting} waiting ({status.retrying} after a failed try), "
        f"{status.failed} failed (given up after {mail.MAX_ATTEMPTS} tries)"
    )
    if status.next_retry_at is not None:
        click.echo(f"next retry at {status.next_retry_at.astimezone(UTC).isoformat(timespec='seconds')}")
    if status.failed:
        raise SystemExit(1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _account_or_exit(email: str):
    user = accounts.find_user(db.session, email)
    if user is None:
        click.echo(f"No staff account has the email {email}.", err=True)
        raise SystemExit(1)
    return user


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@needs_database
def staff_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account with EMAIL (password prompted)."""
    password = _read_password(password_stdin)
    try:
        with transaction() as session:
            user = accounts.create_user(session, email, password, role, now=datetime.now(UTC))
    except accounts.AccountError as error:
        click.echo(_ACCOUNT_MESSAGES.get(error.code, error.code), err=True)
        raise SystemExit(1) from None
    click.echo(f"Created {role} {user.email}.")


@staff_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@needs_database
def staff_set_password(email: str, password_stdin: bool) -> None:
    """Set the password of EMAIL; every session of the account is signed out."""
    user = _account_or_exit(email)
    password = _read_password(password_stdin)
    try:
        with transaction() as session:
            accounts.set_password(session, user, password)
    except accounts.AccountError as error:
        click.echo(_ACCOUNT_MESSAGES.get(error.code, error.code), err=True)
        raise SystemExit(1) from None
    click.echo(f"Password of {user.email} changed; its sessions are signed out.")


@staff_cli.command("disable")
@click.argument("email")
@needs_database
def staff_disable(email: str) -> None:
    """Disable EMAIL's account and sign it out everywhere."""
    user = _account_or_exit(email)
    with transaction() as session:
        accounts.set_active(session, user, False)
    click.echo(f"{user.email} is disabled and signed out.")


@staff_cli.command("reset-second-factor")
@click.argument("email")
@needs_database
def staff_reset_second_factor(email: str) -> None:
    """Remove EMAIL's two-step sign-in (a lost phone and recovery codes);
    its sessions end and it sets it up again at its next sign-in if required."""
    user = _account_or_exit(email)
    try:
        with transaction() as session:
            second_factor.reset(session, user, by=None, now=datetime.now(UTC))
    except second_factor.SecondFactorError:
        click.echo(f"{user.email} does not use two-step sign-in.", err=True)
        raise SystemExit(1) from None
    click.echo(f"Two-step sign-in of {user.email} is reset; its sessions are signed out.")


_ACCOUNT_MESSAGES = {
    "password_too_short": f"The password must have at least {accounts.MIN_PASSWORD_LENGTH} characters.",
    "password_too_common": "That password is too easy to guess (a common password, or words, names, dates "
    "or the email address): use a passphrase of several unrelated words.",
    "password_too_long": f"The password must have at most {limits.PASSWORD} characters.",
    "email_taken": "A staff account already has that email.",
    "invalid_email": "That is not an email address.",
    "unknown_role": "The role must be admin or reviewer.",
}


@retention_cli.command("purge")
@click.option(
    "--older-than",
    "older_than",
    default=None,
    help="Delete applications whose clock (the later of their posting's closing and their last "
    "use) started longer ago than this (2y, 18m, 90d; calendar years and months). "
    "Default: PORTAL_RETENTION_PERIOD.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
@needs_database
def retention_purge(older_than: str | None, dry_run: bool) -> None:
    """Delete old applications with their files, answers and equity responses;
    applications under a legal hold are kept."""
    config = current_app.config
    try:
        period = retention.parse_period(older_than or config["PORTAL_RETENTION_PERIOD"])
        consented = retention.parse_period(config["PORTAL_RETENTION_CONSENTED_PERIOD"])
    except ValueError as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None
    with transaction() as session, _progress("Deleting old applications") as progress:
        one_at_a_time(session, "retention purge")
        report = retention.purge(
            session,
            current_index(),
            now=datetime.now(UTC),
            period=period,
            consented_period=consented,
            dry_run=dry_run,
            actor="flask retention purge",
            alert_confirm_days=int(config["PORTAL_ALERT_CONFIRM_DAYS"]),
            kept_resume_hours=int(config["PORTAL_KEPT_RESUME_HOURS"]),
            progress=progress,
        )
    click.echo(
        f"{'would remove' if dry_run else 'removed'} {report.kept_resumes} résumés kept for forms "
        f"never submitted (after {config['PORTAL_KEPT_RESUME_HOURS']} hours)"
    )
    click.echo(
        f"{'would remove' if dry_run else 'removed'} {report.unconfirmed_alerts} job alert subscriptions "
        f"not confirmed within {config['PORTAL_ALERT_CONFIRM_DAYS']} days"
    )
    verb = "would delete" if dry_run else "deleted"
    for key, count in sorted(report.applications.items()):
        click.echo(f"{key}: {count}")
    click.echo(f"{verb} {report.total} applications; {report.kept_open} belong to open postings")
    click.echo(f"{report.held} under a legal hold ({report.held_due} of them past their period, kept)")


resumes_cli = AppGroup("resumes", help="Scan the résumés held while the virus scanner was down.")


@resumes_cli.command("scan")
@needs_database
def resumes_scan() -> None:
    """Scan every held résumé: mark it clean, or delete it if the scanner
    flags it (audited). Run it from cron when PORTAL_CLAMAV_UNAVAILABLE=hold.

    Exits 1 when PORTAL_CLAMAV_SOCKET is not set, or while résumés stay held
    (the scanner could not be reached), so a scheduler can alert.
    """
    scanner = antivirus.from_config(current_app.config)
    if scanner is None:
        click.echo("PORTAL_CLAMAV_SOCKET is not set: nothing can be scanned.", err=True)
        raise SystemExit(1)
    with transaction() as session:
        held = resumes.held_resume_ids(session)
    clean = infected = still_held = 0
    for position, resume_id in enumerate(held):
        with transaction() as session:
            content = resumes.held_content(session, resume_id)
        if content is None:
            continue
        # Scanned outside any transaction: no writer waits on the scanner.
        try:
            verdict = scanner.scan(content)
        except antivirus.ScannerUnavailable as error:
            click.echo(f"The virus scanner cannot be reached ({error}).", err=True)
            still_held = len(held) - position
            break
        with transaction() as session:
            recorded = resumes.record_scan(
                session, resume_id, verdict, now=datetime.now(UTC), actor="flask resumes scan"
            )
        clean += recorded and verdict.clean
        infected += recorded and not verdict.clean
    click.echo(f"{clean} clean, {infected} infected (deleted), {still_held} still held")
    if still_held:
        raise SystemExit(1)


alerts_cli = AppGroup("alerts", help="Email job alert subscribers the new postings that match.")


@alerts_cli.command("send")
@needs_database
def alerts_send() -> None:
    """Email each confirmed subscriber the open postings that match their
    alert and that they never had, one email each; run it from cron.

    Each subscriber is its own transaction: the postings sent are recorded
    with the queued email, so no posting reaches a subscriber twice, even
    from two runs at once. The emails then leave like the others (at once
    when PORTAL_SMTP_HOST is set, else by `flask outbox send`). Says nothing
    when there is nothing new; exits 1 if an email could not be sent.
    """
    index = current_index()
    with transaction() as session:
        due = alerts.confirmed_alert_ids(session)
    emails: list[int] = []
    postings = 0
    for alert_id in _tracked(due, "Sending job alerts"):
        try:
            with transaction() as session:
                sent = alerts.send_alert(session, alert_id, index, now=datetime.now(UTC))
                queued = [email.id for email in mail.take_queued(session)]
        except IntegrityError:
            # Another run sent these postings first: this email was rolled back.
            mail.take_queued(db.session)
            continue
        emails += queued
        postings += sent
    if not emails:
        return
    summary = f"{len(emails)} job alert emails ({postings} postings)"
    if not current_app.config["PORTAL_SMTP_HOST"]:
        click.echo(f"{summary} wait in the outbox: PORTAL_SMTP_HOST is not set")
        return
    report = mail.deliver(db.session, current_app.config, emails)
    click.echo(
        f"{summary}: {report.sent} sent, {report.failed} failed, {report.skipped} being sent elsewhere"
    )
    if report.failed:
        raise SystemExit(1)
