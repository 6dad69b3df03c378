"""The public site as files (``flask content export DIR``): every page, feed,
sitemap, API document and static file the same for every visitor, rendered
through the app and written at its URL, so a web server can serve them
without asking the app. Forms, job alerts, the application status and staff
pages stay with the app, and so does anything else a request must decide
(a closed posting's 410, a search, an old slug's 301).

What to export is found, not listed: each GET rule of the public and API
blueprints and the static files, with its variable parts filled from the
content index (``FILLERS``). Each URL is asked of the app with the public
origin (``base_url``); a response is written only when it is 200 and
shareable (no cookie, not ``private``/``no-store``). A 404 means nothing is
there (a draft, a sitemap part of a small sitemap); any other answer (410,
a redirect, a private page) is left to the app and named in the manifest;
a server error fails the export.

Files are at the URL's path, decoded as a web server matches it (nginx's
``$uri``):

======================================  ================================  =================
URL                                     file                              Content-Type
======================================  ================================  =================
``/``, ``/en/``, ``/en/jobs/<slug>/``   ``index.html`` in that folder     HTML
``/en/jobs/?page=2`` (listing pages)    ``en/jobs/page-2.html``           HTML
``/en/jobs/feed.xml`` (each feed)       the same path                     Atom
``/sitemap.xml``                        ``sitemap.xml``                   XML
``/robots.txt``                         ``robots.txt``                    text
``/api/v1/postings``                    ``api/v1/postings.json``          JSON
``/api/v1/postings/<key>``              ``api/v1/postings/<key>.json``    JSON
``/api/v1/openapi.json``                ``api/v1/openapi.json``           JSON
``/static/<file>``                      ``static/<file>``                 by its extension
``/404.html``, ``/en/404.html``         the same path (a 404 page)        HTML
======================================  ================================  =================

HTML is ``text/html; charset=utf-8``, Atom ``application/atom+xml;
charset=utf-8``, XML ``application/xml; charset=utf-8``, text ``text/plain;
charset=utf-8``, JSON ``application/json``: the manifest gives each file's
exact type, as the app sends it. ``/404.html`` is the page, in every
language, for an address that matches nothing; ``/en/404.html`` the same in
one language (status 404 in the manifest).

The rule behind the table (:func:`file_for`): a URL ending in ``/`` gets
``index`` plus its type's extension (``EXTENSIONS``); a path that does not
end in that extension gets it added; ``?page=N`` becomes ``page-N`` beside
the folder's ``index``. The API's default representation only is exported
(``?lang``, ``?include`` and filters are the app's); so is the jobs list
without search or filters.

Beside the files, two dot files a server should not serve (nginx:
``location ~ /\\. { deny all; }``):

- ``.export-manifest.json``: ``files`` (``url`` with its query string,
  ``file``, ``status``, ``content_type``, ``etag``, ``bytes``), ``redirects``,
  ``left_to_app``, ``base_url``, ``generated_at`` and ``stale_after`` (the
  next closing time or midnight: export again before it, from cron);
- ``.redirects.map``: the content's old addresses (``aliases``) the app
  answers with a 301, as the body of an nginx ``map $uri $portal_redirect
  { include .../.redirects.map; }`` (``"/old/" "/en/jobs/new/";``, and the
  address without its final slash when the app redirects that too); nginx
  reads it when it reloads.

A server in front (nginx) serves a file only for a URL without a query
string, or with exactly ``page=N`` on a folder URL, and asks the app
otherwise (and when no file is there); it must send each file's type as the
manifest gives it: nginx's ``mime.types`` says ``text/xml`` for ``.xml``,
where the feeds are ``application/atom+xml`` and the sitemap
``application/xml``, and ``.json`` needs no charset.

The export is written next to DIR, then swapped in by renaming: a server
never reads half an export (between the two renames DIR is missing for an
instant, and the server asks the app), and an existing DIR is replaced only
once the new one is complete, and only if it was an export (it holds a
manifest) or is empty. A lock beside it (``.DIR.export-lock``) keeps two
exports from running at once.
"""

from __future__ import annotations

import fcntl
import json
import mimetypes
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

from flask import Flask
from werkzeug.routing import MapAdapter, Rule

from ..content import ContentIndex, Kind, current_index
from ..plumbing.config import timezone
from ..plumbing.i18n import LANG_ARG
from .documents import DOCUMENT_ENDPOINTS, LISTING_ENDPOINTS
from .errors import UNTRUSTED_HOST
from .public import discovery, job_list

#: The blueprints whose GET pages are the same for every visitor.
EXPORTED_BLUEPRINTS = ("public", "api")
MANIFEST = ".export-manifest.json"
REDIRECTS = ".redirects.map"
#: Each content type's file extension (others: what ``mimetypes`` says).
EXTENSIONS = {
    "text/html": ".html",
    "application/json": ".json",
    "application/xml": ".xml",
    "application/atom+xml": ".xml",
    "text/plain": ".txt",
}
#: The pages answered for an address that matches nothing: in every language
#: (``/404.html``), and in each language (``/en/404.html``).
NOT_FOUND_PAGE = "404.html"
_PAGE_QUERY = re.compile(r"page=([1-9][0-9]*)")


class ExportError(Exception):
    """The export cannot be made (the folder already holds something else, a page fails)."""


@dataclass(frozen=True)
class Target:
    """One URL to ask the app for, and the status that is worth a file."""

    url: str
    status: int = 200


@dataclass
class ExportReport:
    """What an export wrote."""

    directory: Path
    files: int = 0
    bytes: int = 0
    redirects: int = 0
    left_to_app: list[str] = field(default_factory=list)


def default_base_url(app: Flask) -> str:
    """Return the origin pages are exported for when none is given: HTTPS
    and the first of ``PORTAL_TRUSTED_HOSTS`` (plain HTTP for localhost)."""
    hosts = [host.lstrip(".") for host in app.config.get("TRUSTED_HOSTS") or ["localhost"]]
    host = hosts[0] if hosts else "localhost"
    if host in ("localhost", "127.0.0.1", "::1"):
        return "http://localhost"
    return f"https://{host}"


def file_for(url: str, content_type: str) -> str:
    """Return the file, relative to the export folder, that holds ``url``
    (see the module's table); raise ValueError for a URL no file can hold."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    segments = path.split("/")
    if not path.startswith("/") or any(part in (".", "..") for part in segments) or "\0" in path:
        raise ValueError(f"{url}: not a path a file can hold")
    mimetype = content_type.partition(";")[0].strip()
    extension = EXTENSIONS.get(mimetype) or mimetypes.guess_extension(mimetype) or ""
    relative = path.lstrip("/")
    if parts.query:
        page = _PAGE_QUERY.fullmatch(parts.query)
        if page is None or not path.endswith("/"):
            raise ValueError(f"{url}: only a listing's ?page=N has a file")
        return f"{relative}page-{page.group(1)}{extension}"
    if path.endswith("/"):
        return f"{relative}index{extension}"
    if path.startswith("/static/") or relative.endswith(extension):
        return relative
    return relative + extension


# Finding the URLs ------------------------------------------------------------


Filler = Callable[[Flask, ContentIndex, str | None, datetime], Iterable[dict]]


def _documents(kind: Kind) -> Filler:
    def fill(app: Flask, index: ContentIndex, lang: str | None, now: datetime) -> Iterable[dict]:
        return ({"slug": doc.slug} for doc in index.all(kind, lang or "") if doc.published)

    return fill


def _posting_keys(app: Flask, index: ContentIndex, lang: str | None, now: datetime) -> Iterable[dict]:
    return ({"key": key} for key in index.posting_keys())


def _sitemap_parts(app: Flask, index: ContentIndex, lang: str | None, now: datetime) -> Iterable[dict]:
    # At most this many parts (a part past the last is a 404, not exported).
    urls = len(index.documents) + 1 + 3 * len(app.config["PORTAL_LANGUAGES"])
    parts = -(-urls // discovery.MAX_SITEMAP_URLS)
    return ({"number": number} for number in range(1, parts + 1)) if parts > 1 else ()


def _static_files(app: Flask, index: ContentIndex, lang: str | None, now: datetime) -> Iterable[dict]:
    folder = Path(app.static_folder or "")
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield {"filename": Path(directory, name).relative_to(folder).as_posix()}


#: How to fill each exported endpoint's variable parts, in the rule's language.
FILLERS: dict[str, Filler] = {
    **{endpoint: _documents(kind) for kind, endpoint in DOCUMENT_ENDPOINTS.items()},
    "api.posting": _posting_keys,
    "public.sitemap_part": _sitemap_parts,
    "static": _static_files,
}


def _listing_pages(app: Flask, index: ContentIndex, lang: str, now: datetime) -> Iterable[dict]:
    """The jobs list's pages after the first, as its own links ask for them."""
    pages = job_list.page_count(len(job_list.open_postings(index, lang, now)))
    return ({"page": page} for page in range(2, pages + 1))


#: Query strings worth a file, per endpoint (any other query is the app's).
PAGINATED: dict[str, Callable[[Flask, ContentIndex, str, datetime], Iterable[dict]]] = {
    LISTING_ENDPOINTS[Kind.POSTING]: _listing_pages,
}


def exported_rules(app: Flask) -> Iterator[Rule]:
    """Yield the GET rules whose pages are exported: the public and API
    blueprints' and the static files'."""
    for rule in app.url_map.iter_rules():
        exported = rule.endpoint == "static" or rule.endpoint.partition(".")[0] in EXPORTED_BLUEPRINTS
        if exported and "GET" in (rule.methods or ()):
            yield rule


def discover(app: Flask, base_url: str, now: datetime | None = None) -> tuple[list[Target], list[str]]:
    """Return the URLs to export, and the rules whose variable parts nothing
    fills (left to the app). Call it in an app context."""
    now = now or datetime.now(UTC)
    index = current_index()
    adapter = _adapter(app, base_url)
    targets: list[Target] = []
    unfilled: list[str] = []
    for rule in exported_rules(app):
        defaults = dict(rule.defaults or {})
        lang = defaults.get(LANG_ARG)
        needed = rule.arguments - set(defaults)
        if needed and rule.endpoint not in FILLERS:
            unfilled.append(rule.rule)
            continue
        for values in FILLERS[rule.endpoint](app, index, lang, now) if needed else [{}]:
            url = adapter.build(rule.endpoint, {**defaults, **values})
            targets.append(Target(url))
        if rule.endpoint in PAGINATED and lang:
            for query in PAGINATED[rule.endpoint](app, index, lang, now):
                targets.append(Target(f"{adapter.build(rule.endpoint, defaults)}?{urlencode(query)}"))
    targets.append(Target(f"/{NOT_FOUND_PAGE}", 404))
    for lang in app.config["PORTAL_LANGUAGES"]:
        targets.append(Target(f"/{lang}/{NOT_FOUND_PAGE}", 404))
    return list(dict.fromkeys(targets)), unfilled


def _adapter(app: Flask, base_url: str) -> MapAdapter:
    origin = urlsplit(base_url)
    return app.url_map.bind(origin.netloc, script_name=origin.path or "/", url_scheme=origin.scheme)


def stale_after(index: ContentIndex, app: Flask, now: datetime) -> datetime:
    """Return when the export stops being what the app serves: the next
    closing time (a posting leaves the lists) or midnight (a card's "closes
    in 3 days"), whichever comes first."""
    zone = timezone(app.config)
    local = now.astimezone(zone)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    closings = [doc.closing_at for doc in index.documents.values() if doc.closing_at and doc.closing_at > now]
    return min([midnight.astimezone(UTC), *(moment.astimezone(UTC) for moment in closings)])


# Writing ---------------------------------------------------------------------


def _shareable(response) -> bool:
    cache_control = response.cache_control
    return "Set-Cookie" not in response.headers and not (cache_control.private or cache_control.no_store)


def export_site(
    app: Flask,
    directory: Path,
    targets: list[Target],
    *,
    base_url: str,
    unfilled: Iterable[str] = (),
    progress: Callable[[int, int], object] | None = None,
    now: datetime | None = None,
) -> ExportReport:
    """Render ``targets`` through the app and write them, with the manifest
    and the redirect map, into a new folder that then replaces ``directory``.

    ``progress(done, total)`` is told after each URL (a progress bar). Raises
    ExportError, leaving ``directory`` as it was.
    """
    now = now or datetime.now(UTC)
    directory = Path(directory)
    _check_replaceable(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _only_export(directory):
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
        try:
            # mkdtemp's folder is private (0700): the web server must read it.
            staging.chmod(0o777 & ~_umask())
            report = _write(app, staging, targets, base_url, list(unfilled), progress, now)
            _swap(staging, directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    report.directory = directory
    return report


@contextmanager
def _only_export(directory: Path) -> Iterator[None]:
    """Hold a lock beside ``directory`` while exporting into it: two runs at
    once (a slow cron job overtaken by the next) would swap folders under
    each other."""
    with open(directory.parent / f".{directory.name}.export-lock", "w", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportError(f"another export into {directory} is running") from None
        yield


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_replaceable(directory: Path) -> None:
    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        raise ExportError(f"{directory} is not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MANIFEST).is_file():
        raise ExportError(
            f"{directory} holds files that are not an export (no {MANIFEST}): choose another folder"
        )


def _write(
    app: Flask,
    staging: Path,
    targets: list[Target],
    base_url: str,
    unfilled: list[str],
    progress: Callable[[int, int], object] | None,
    now: datetime,
) -> ExportReport:
    client = app.test_client()
    report = ExportReport(staging, left_to_app=list(unfilled))
    files = []
    for done, target in enumerate(targets, start=1):
        response = _get(client, target.url, base_url)
        try:
            if response.status_code == 400 and response.get_data(as_text=True) == UNTRUSTED_HOST:
                raise ExportError(
                    f"the site does not answer to {base_url}: "
                    f"add {urlsplit(base_url).hostname} to PORTAL_TRUSTED_HOSTS"
                )
            if response.status_code >= 500:
                raise ExportError(f"{target.url} answers {response.status_code}")
            if response.status_code == target.status and _shareable(response):
                files.append(_write_file(staging, target, response))
                report.files += 1
                report.bytes += files[-1]["bytes"]
            elif response.status_code != 404:
                report.left_to_app.append(target.url)
        finally:
            response.close()
        if progress is not None:
            progress(done, len(targets))
    redirects = _redirects(client, base_url)
    report.redirects = len(redirects)
    (staging / REDIRECTS).write_text(
        "".join(f"{_nginx_string(source)} {_nginx_string(to)};\n" for source, to in redirects),
        encoding="utf-8",
    )
    with app.app_context():
        stale = stale_after(current_index(), app, now)
    manifest = {
        "base_url": base_url,
        "generated_at": _iso(now),
        "stale_after": _iso(stale),
        "files": files,
        "redirects": [{"from": source, "to": to, "status": 301} for source, to in redirects],
        "left_to_app": report.left_to_app,
    }
    (staging / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return report


def _get(client, url: str, base_url: str):
    """Ask the app for ``url`` as a server would: in an app context of its
    own (a request inside the command's context would share its ``g`` with
    the requests before it)."""
    with client.application.app_context():
        return client.get(url, base_url=base_url)


def _write_file(staging: Path, target: Target, response) -> dict:
    content_type = response.headers.get("Content-Type", "")
    relative = file_for(target.url, content_type)
    path = staging / relative
    if path.exists() or any(parent.is_file() for parent in path.parents):
        raise ExportError(f"{target.url} and another URL would share the file {relative}")
    path.parent.mkdir(parents=True, exist_ok=True)
    body = response.get_data()
    path.write_bytes(body)
    return {
        "url": target.url,
        "file": relative,
        "status": response.status_code,
        "content_type": content_type,
        "etag": response.headers.get("ETag"),
        "bytes": len(body),
    }


def _redirects(client, base_url: str) -> list[tuple[str, str]]:
    """Ask the app where each old address of the content (``aliases``) leads."""
    with client.application.app_context():
        aliases = sorted(current_index().aliases)
    found = []
    for alias in aliases:
        for source in dict.fromkeys([alias, alias.rstrip("/") or "/"]):
            response = _get(client, source, base_url)
            response.close()
            if response.status_code == 301 and response.location:
                found.append((source, response.location))
    return found


def _nginx_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _swap(staging: Path, directory: Path) -> None:
    """Put ``staging`` at ``directory``: a rename, after moving the old export
    aside (for that instant the folder is missing, never half written)."""
    if not directory.exists():
        staging.rename(directory)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
    old.rmdir()
    directory.rename(old)
    try:
        staging.rename(directory)
    except OSError:
        old.rename(directory)
        raise
    shutil.rmtree(old, ignore_errors=True)
