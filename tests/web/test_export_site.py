"""The public site as files: each exported file is what the app serves at its
URL, byte for byte; forms, alerts and staff pages stay with the app; an export
that fails leaves the previous one in place."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.content import Kind, current_index
from portal.plumbing.config import PROJECT_ROOT
from portal.web import export_site
from portal.web.documents import document_url
from portal.web.export_site import MANIFEST, REDIRECTS, ExportError, Target, file_for
from portal.web.public import job_list

BASE_URL = "http://localhost"
PRIVATE_BLUEPRINTS = ("staff", "apply", "alerts", "health")


def export(app, directory: Path, **options) -> dict:
    """Export ``app`` into ``directory``; return the manifest."""
    with app.app_context():
        targets, unfilled = export_site.discover(app, BASE_URL)
        export_site.export_site(app, directory, targets, base_url=BASE_URL, unfilled=unfilled, **options)
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def posting(status: str = "open", **front_matter) -> str:
    lines = ["---", "layout: job-posting"]
    lines += [f"{key}: {value}" for key, value in front_matter.items()]
    if status == "closed":
        lines.append("closingDate: 2020-01-31")
    return "\n".join([*lines, "---", "", "About the job.", ""])


@pytest.fixture
def site(app, tmp_path):
    directory = tmp_path / "site"
    return directory, export(app, directory)


def test_every_exported_file_is_what_the_app_serves_at_its_url(app, client, site):
    directory, manifest = site
    for entry in manifest["files"]:
        with client.get(entry["url"]) as response:
            assert response.status_code == entry["status"], entry["url"]
            assert response.headers["Content-Type"] == entry["content_type"], entry["url"]
            assert response.headers.get("ETag") == entry["etag"], entry["url"]
            assert (directory / entry["file"]).read_bytes() == response.get_data(), entry["url"]
    written = {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }
    assert written == {entry["file"] for entry in manifest["files"]}


def test_the_public_pages_of_both_languages_are_files_at_their_urls(app, site):
    directory, manifest = site
    files = {entry["url"]: entry["file"] for entry in manifest["files"]}
    assert {
        "/": "index.html",
        "/en/": "en/index.html",
        "/fr/": "fr/index.html",
        "/en/jobs/": "en/jobs/index.html",
        "/fr/emplois/": "fr/emplois/index.html",
        "/en/blog/": "en/blog/index.html",
        "/fr/blogue/": "fr/blogue/index.html",
        "/en/jobs/feed.xml": "en/jobs/feed.xml",
        "/fr/blogue/feed.xml": "fr/blogue/feed.xml",
        "/sitemap.xml": "sitemap.xml",
        "/robots.txt": "robots.txt",
        "/api/v1/postings": "api/v1/postings.json",
        "/api/v1/openapi.json": "api/v1/openapi.json",
        "/static/css/portal.css": "static/css/portal.css",
        "/404.html": "404.html",
        "/en/404.html": "en/404.html",
        "/fr/404.html": "fr/404.html",
    }.items() <= files.items()
    now = datetime.now(UTC)
    with app.test_request_context():
        index = current_index()
        for lang in ("en", "fr"):
            for kind in Kind:
                for document in index.listed(kind, lang, now):
                    assert document_url(document) in files, document.source
        for key in index.posting_keys():
            english = index.posting(key, "en")
            if english is not None and english.is_open(now):
                assert files[f"/api/v1/postings/{key}"] == f"api/v1/postings/{key}.json"
    assert "<urlset" in (directory / "sitemap.xml").read_text(encoding="utf-8")
    generated = datetime.fromisoformat(manifest["generated_at"])
    stale = datetime.fromisoformat(manifest["stale_after"])
    assert generated < stale <= generated + timedelta(days=1)
    assert 'lang="fr"' in (directory / "fr/emplois/index.html").read_text(encoding="utf-8")


def test_forms_alerts_status_and_staff_pages_are_left_to_the_app(app, site):
    _, manifest = site
    adapter = app.url_map.bind("localhost")
    for entry in manifest["files"]:
        if entry["status"] == 404:
            continue
        endpoint, _ = adapter.match(entry["url"].partition("?")[0])
        assert endpoint.partition(".")[0] not in PRIVATE_BLUEPRINTS, entry["url"]
    urls = " ".join(entry["url"] for entry in manifest["files"])
    for private in (
        "/staff/",
        "/personnel/",
        "/apply",
        "/postuler",
        "job-alerts",
        "application-status",
        "healthz",
    ):
        assert private not in urls


def test_every_exported_rule_has_its_variable_parts_filled(app):
    with app.app_context():
        _, unfilled = export_site.discover(app, BASE_URL)
    assert unfilled == []


def test_drafts_are_absent_closed_postings_and_old_addresses_are_left_to_the_app(
    make_app, content_tree, tmp_path, monkeypatch
):
    for lang, folder in (("en", "jobs"), ("fr", "emplois")):
        content_tree(f"{lang}/{folder}/open-{lang}.md", posting(title=f"Open {lang}", translationKey="open"))
        content_tree(f"{lang}/{folder}/more-{lang}.md", posting(title=f"More {lang}", translationKey="more"))
        content_tree(
            f"{lang}/{folder}/closed-{lang}.md",
            posting("closed", title=f"Closed {lang}", translationKey="closed"),
        )
    content_tree("en/jobs/old-draft.md", posting(title="Draft", translationKey="draft", draft="true"))
    content_tree(
        "en/jobs/renamed.md",
        posting(title="Renamed", translationKey="renamed", aliases='["/en/jobs/old-name/"]'),
    )
    content_tree("fr/emplois/renomme.md", posting(title="Renommé", translationKey="renamed"))
    # One posting a page: the jobs list has pages 2 and 3, each its own file.
    monkeypatch.setattr(job_list, "JOBS_PER_PAGE", 1)
    app = make_app(PORTAL_CONTENT_DIR=str(content_tree.root))
    client = app.test_client()
    directory = tmp_path / "site"
    manifest = export(app, directory)
    files = {entry["url"]: entry["file"] for entry in manifest["files"]}
    assert "/en/jobs/open-en/" in files and "/fr/emplois/open-fr/" in files
    assert not any("draft" in url for url in files)
    assert "/en/jobs/closed-en/" not in files and "/en/jobs/closed-en/" in manifest["left_to_app"]
    assert client.get("/en/jobs/closed-en/").status_code == 410
    assert files["/en/jobs/?page=2"] == "en/jobs/page-2.html"
    assert files["/en/jobs/?page=3"] == "en/jobs/page-3.html"
    assert "/en/jobs/?page=4" not in files
    assert (directory / "en/jobs/page-2.html").read_bytes() == client.get("/en/jobs/?page=2").get_data()
    redirect = client.get("/en/jobs/old-name/")
    assert redirect.status_code == 301
    assert {"from": "/en/jobs/old-name/", "to": redirect.location, "status": 301} in manifest["redirects"]
    lines = (directory / REDIRECTS).read_text(encoding="utf-8").splitlines()
    assert f'"/en/jobs/old-name/" "{redirect.location}";' in lines
    for entry in manifest["redirects"]:
        answer = client.get(entry["from"])
        assert (answer.status_code, answer.location) == (301, entry["to"])


@pytest.mark.parametrize(
    ("url", "content_type", "file"),
    [
        ("/", "text/html; charset=utf-8", "index.html"),
        ("/fr/emplois/d%C3%A9veloppeur/", "text/html; charset=utf-8", "fr/emplois/développeur/index.html"),
        ("/en/jobs/?page=12", "text/html; charset=utf-8", "en/jobs/page-12.html"),
        ("/en/jobs/feed.xml", "application/atom+xml; charset=utf-8", "en/jobs/feed.xml"),
        ("/api/v1/postings", "application/json", "api/v1/postings.json"),
        ("/api/v1/postings/a.b", "application/json", "api/v1/postings/a.b.json"),
        ("/api/v1/openapi.json", "application/json", "api/v1/openapi.json"),
        ("/static/img/a.svg", "image/svg+xml; charset=utf-8", "static/img/a.svg"),
    ],
)
def test_each_url_has_one_file(url, content_type, file):
    assert file_for(url, content_type) == file


@pytest.mark.parametrize("url", ["/en/jobs/?q=python", "/api/v1/postings?page=2", "/en/%2E%2E/secret/"])
def test_a_url_no_file_can_hold_is_refused(url):
    with pytest.raises(ValueError):
        file_for(url, "text/html; charset=utf-8")


def test_a_failed_export_leaves_the_previous_one_untouched(app, tmp_path, monkeypatch):
    directory = tmp_path / "site"
    first = export(app, directory)
    before = {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()}
    real_file_for = export_site.file_for

    def failing(url, content_type):
        if url == "/sitemap.xml":
            raise OSError("disk full")
        return real_file_for(url, content_type)

    monkeypatch.setattr(export_site, "file_for", failing)
    with pytest.raises(OSError):
        export(app, directory)
    assert {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()} == before
    beside = sorted(path.name for path in tmp_path.iterdir())
    assert beside == [".site.export-lock", "site"], "no half export left beside it"
    assert json.loads((directory / MANIFEST).read_text(encoding="utf-8")) == first


def test_two_exports_into_one_folder_never_run_at_once(app, tmp_path):
    directory = tmp_path / "site"
    with export_site._only_export(directory), app.app_context(), pytest.raises(ExportError, match="running"):
        export_site.export_site(app, directory, [Target("/")], base_url=BASE_URL)
    assert not directory.exists()


def test_a_folder_that_is_not_an_export_is_never_replaced(app, tmp_path):
    directory = tmp_path / "mine"
    directory.mkdir()
    (directory / "notes.txt").write_text("keep me", encoding="utf-8")
    with app.app_context(), pytest.raises(ExportError, match="not an export"):
        export_site.export_site(app, directory, [Target("/")], base_url=BASE_URL)
    assert (directory / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_the_command_fails_clearly_for_a_host_the_site_does_not_answer_to(runner, tmp_path):
    result = runner.invoke(
        args=["content", "export", str(tmp_path / "site"), "--base-url", "https://elsewhere.example"]
    )
    assert result.exit_code == 1
    assert "add elsewhere.example to PORTAL_TRUSTED_HOSTS" in result.stderr
    assert not (tmp_path / "site").exists()


def test_the_command_run_by_cron_prints_its_summary_only(tmp_path):
    """Not on a terminal (cron, a pipe): no progress bar, no log line per page."""
    directory = tmp_path / "site"
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("PORTAL_", "FLASK_"))},
        "SECRET_KEY": secrets.token_hex(32),
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "PORTAL_TRUSTED_HOSTS": "jobs.example.ca",
    }
    flask = Path(sys.executable).parent / "flask"
    command = [str(flask), "--app", "wsgi", "content", "export", str(directory)]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    size = sum(entry["bytes"] for entry in manifest["files"])
    assert result.stdout == (
        f"Exported {len(manifest['files'])} files ({size / 1_000_000:.1f} MB) to {directory}; "
        f"{len(manifest['left_to_app'])} URLs left to the app, {len(manifest['redirects'])} redirects\n"
    )
    assert manifest["base_url"] == "https://jobs.example.ca"
    assert "https://jobs.example.ca/en/jobs/" in (directory / "sitemap.xml").read_text(encoding="utf-8")
    again = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and again.stderr == "", "an export replaces the previous one"
