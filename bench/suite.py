"""The benchmark suite: one table, each row beside its peer measured in the same run.

Run: .venv/bin/python bench/suite.py            (the full table, about ten minutes)
     .venv/bin/python bench/suite.py --quick    (every row, small and short: it runs)

Pages are served by gunicorn (2 sync workers) on loopback and driven by wrk
(8 connections), alternately with their peer, several rounds; the table
shows medians, and the ratio to the peer, which is the number that counts on
a noisy machine. The peer of a page is the smallest useful Flask app (one
route, one small template, bench/peer.py) under the same gunicorn settings;
the peer of the exported page is the same nginx serving its bytes as one plain file; the
peer of start-up is Hugo building the same content tree. Submissions, the
staff list and the CSV export have absolute targets. A row whose tool is
missing (wrk, nginx, hugo, PostgreSQL) says "skipped" instead of failing.

Each server gets a temporary instance folder, its own SQLite database (or
PostgreSQL database ``portal_bench``, created and dropped here, never the
test suite's), a secret key, no virus scanner (``PORTAL_CLAMAV_SOCKET``
empty: résumés are checked but not scanned) and a rate limit on
submissions too high to reach.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import io
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
POSTING = "/fr/emplois/chef-de-la-gestion-de-produits/"
#: The posting whose form the submission rows fill, and whose applications the staff rows list.
APPLY_URL = "/en/jobs/head-of-product-management/apply"
POSTING_KEY = "head-product-management"
LISTING = "/en/jobs/"
SEARCH = "/en/jobs/?q=developer&where=ON&sort=closing"
POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "portal_bench"
STAFF_EMAIL = "bench-admin@nds.example"
STAFF_PASSWORD = "correct horse battery staple"


# ---------------------------------------------------------------- the table


@dataclass
class Row:
    """One line of the table: a measurement, its peer's, and the target."""

    what: str
    result: str
    peer: str = "—"
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "**no**", None: "—"}[self.met]


def ratio_row(
    what: str,
    result: float,
    peer: float,
    minimum: float,
    unit: str = "req/s",
    errors: int = 0,
    extra: str = "",
) -> Row:
    """A row compared with its peer: met when result/peer reaches ``minimum`` with no errors."""
    ratio = result / peer if peer else 0.0
    shown = (
        f"{result:,.0f} {unit}" + (f", {errors} errors" if errors else "") + (f", {extra}" if extra else "")
    )
    return Row(
        what,
        shown,
        f"{peer:,.0f} {unit}",
        ratio,
        f"≥ {minimum:g}×" + (", 0 errors" if unit == "req/s" else ""),
        ratio >= minimum and errors == 0,
    )


def skipped(what: str, reason: str, target: str = "") -> Row:
    """A row that could not be measured here, and why."""
    return Row(what, f"skipped: {reason}", target=target)


def format_table(rows: list[Row]) -> str:
    """Return the rows as a Markdown table."""
    header = ["what", "result", "peer (same run)", "ratio", "target", "met?"]
    lines = [
        [
            row.what,
            row.result,
            row.peer,
            "—" if row.ratio is None else f"{row.ratio:.2f}×",
            row.target,
            row.verdict,
        ]
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    return "\n".join(
        [line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|", *map(line, lines)]
    )


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` (0-1) of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


# ---------------------------------------------------------------- servers and tools


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 120, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers (the health check may fail while the database is not made)
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline or (process is not None and process.poll() is not None):
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.2)


def peer_environment() -> dict[str, str]:
    """This environment without gunicorn's own settings: every server runs with the same ones."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")
    }


def portal_environment(instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a bench portal: its own instance folder and secret
    key, plain HTTP cookies, no virus scanner, a limit nobody reaches."""
    env = {
        name: value
        for name, value in peer_environment().items()
        if not name.startswith(("PORTAL_", "DATABASE_URL"))
    }
    env.update(
        SECRET_KEY="bench-" + hashlib.sha256(str(instance).encode()).hexdigest(),
        PORTAL_INSTANCE_DIR=str(instance),
        PORTAL_SECURE_COOKIES="false",
        PORTAL_CLAMAV_SOCKET="",
        PORTAL_APPLY_RATE_LIMIT="1000000 per second",
        PORTAL_PASSWORD_RESET_RATE_LIMIT="1000000 per second",
    )
    env.update(settings)
    return env


@contextlib.contextmanager
def gunicorn(
    app: str, env: dict[str, str], log: Path, workers: int = 2
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve ``app`` with gunicorn (sync workers) on a loopback port; yield its base URL and process."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}"]
    command += ["--pythonpath", f"{ROOT},{BENCH}", app]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz" if app.startswith("wsgi") else base + "/", process=process)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass
class WrkResult:
    requests_per_second: float
    errors: int
    #: What the errors were, as wrk names them ("timeout 1", "non-2xx/3xx 3").
    kinds: tuple[str, ...] = ()


def wrk(url: str, seconds: float, headers: dict[str, str] | None = None) -> WrkResult:
    """Drive ``url`` with wrk (2 threads, 8 connections); errors are socket
    errors and answers other than 2xx or 3xx."""
    command = ["wrk", "-t", "2", "-c", "8", "-d", f"{max(seconds, 1):g}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", output).group(1))
    kinds = [
        f"{kind} {n}" for kind, n in re.findall(r"(connect|read|write|timeout) (\d+)", output) if n != "0"
    ]
    if found := re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output):
        kinds.append(f"non-2xx/3xx {found.group(1)}")
    return WrkResult(rate, sum(int(kind.split()[-1]) for kind in kinds), tuple(kinds))


@dataclass
class Pair:
    """Measurements of a page and of its peer, round by round."""

    results: list[WrkResult] = field(default_factory=list)
    peers: list[WrkResult] = field(default_factory=list)

    def add(self, measure: Callable[[], WrkResult], peer: Callable[[], WrkResult], peer_first: bool) -> None:
        if peer_first:
            self.peers.append(peer())
            self.results.append(measure())
        else:
            self.results.append(measure())
            self.peers.append(peer())

    def row(self, what: str, minimum: float, extra: str = "") -> Row:
        return ratio_row(
            what,
            statistics.median(r.requests_per_second for r in self.results),
            statistics.median(r.requests_per_second for r in self.peers),
            minimum,
            errors=sum(r.errors for r in self.results) + sum(r.errors for r in self.peers),
            extra=", ".join(
                [
                    *([extra] if extra else []),
                    *(f"{kind} (this)" for r in self.results for kind in r.kinds),
                    *(f"{kind} (peer)" for r in self.peers for kind in r.kinds),
                ]
            ),
        )


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ---------------------------------------------------------------- pages against the peer


def page_rows(options, work: Path) -> list[Row]:
    """The posting page, its conditional GET, the listing and search at 1,000
    postings, each against the peer; then the exported page through nginx."""
    whats = [
        "GET the seed posting page",
        "conditional GET of the posting (If-None-Match → 304)",
        f"GET the jobs listing, {options.postings:,} open postings",
        f"GET the jobs listing searched, {options.postings:,} open postings",
        f"the same search with the page cache off (every search new), {options.postings:,} postings",
    ]
    if not shutil.which("wrk"):
        return [skipped(what, "wrk not installed") for what in whats] + [
            skipped("the exported posting page through nginx", "wrk not installed")
        ]
    from jobs_search import write_postings

    content = work / "content-listing"
    shutil.copytree(ROOT / "content", content)
    write_postings(content, options.postings)
    logs = work / "servers.log"
    pairs = [Pair() for _ in whats]
    with contextlib.ExitStack() as stack:
        seed, _ = stack.enter_context(gunicorn("wsgi:app", portal_environment(work / "seed"), logs))
        listing, _ = stack.enter_context(
            gunicorn("wsgi:app", portal_environment(work / "listing", PORTAL_CONTENT_DIR=str(content)), logs)
        )
        uncached, _ = stack.enter_context(
            gunicorn(
                "wsgi:app",
                portal_environment(
                    work / "uncached", PORTAL_CONTENT_DIR=str(content), PORTAL_PAGE_CACHE_SIZE="0"
                ),
                logs,
            )
        )
        peer, _ = stack.enter_context(gunicorn("peer:app", peer_environment(), logs))
        status, headers, page = get(seed + POSTING)
        if status != 200:
            raise RuntimeError(f"{POSTING} answered {status}")
        etag = headers["ETag"]
        conditional = get(seed + POSTING, {"If-None-Match": etag})[0]
        targets = [
            (seed + POSTING, None),
            (seed + POSTING, {"If-None-Match": etag}),
            (listing + LISTING, None),
            (listing + SEARCH, None),
            (uncached + SEARCH, None),
        ]
        # Each worker renders what a page shows on its first requests: warm every
        # worker up (wrk's 8 connections reach both), untimed.
        for url, headers in [*targets, (peer + "/jobs/a-posting/", None)] if not options.quick else []:
            wrk(url, 1, headers)
        for number in range(options.rounds):
            for pair, (url, headers) in zip(pairs, targets, strict=True):
                pair.add(
                    lambda url=url, headers=headers: wrk(url, options.seconds, headers),
                    lambda: wrk(peer + "/jobs/a-posting/", options.seconds),
                    peer_first=number % 2 == 0,
                )
        rows = [
            pairs[0].row(whats[0], 0.8, f"{len(page) / 1024:.0f} KB"),
            pairs[1].row(whats[1], 0.9, f"status {conditional}"),
            pairs[2].row(whats[2], 0.7),
            pairs[3].row(whats[3], 0.7),
            pairs[4].row(whats[4], 0.7),
        ]
        # The searches' target is the row above: the issue lets the portal cache
        # their results. This one shows what a search nobody made before costs.
        rows[4].target, rows[4].met = "none (the row above has the searches' target)", None
        if conditional != 304:
            rows[1].met = False
        rows.append(nginx_row(options, work, seed, page))
    return rows


def export_site(work: Path, base: str, page: bytes) -> tuple[Path, str]:
    """The static export of the bundled content: ``flask content export`` when
    the portal has it, else the posting page as the app serves it."""
    site = work / "export"
    env = portal_environment(work / "export-instance")
    has_export = (
        subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "content", "export", "--help"],
            cwd=ROOT,
            env=env,
            capture_output=True,
        ).returncode
        == 0
    )
    if has_export:
        subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "content", "export", str(site)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        return site, "flask content export"
    target = site / POSTING.strip("/") / "index.html"
    target.parent.mkdir(parents=True)
    target.write_bytes(page)
    return site, "the page as served (no flask content export yet)"


NGINX_CONF = """{user}
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    # As Debian's /etc/nginx/nginx.conf, which deploy/nginx/portal.conf is included in.
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        # As deploy/nginx/portal.conf tries the files of the export.
        location / {{ try_files ${{uri}}index.html $uri =404; }}
    }}
    server {{
        listen 127.0.0.1:{peer_port};
        root {peer_site};
    }}
}}
"""


def nginx_row(options, work: Path, base: str, page: bytes) -> Row:
    """The exported posting page through nginx against one static file of the same bytes, same nginx."""
    what = "the exported posting page through nginx"
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        return skipped(what, "nginx not installed")
    site, how = export_site(work, base, page)
    tmp = work / "nginx"
    peer_site = tmp / "peer"
    peer_site.mkdir(parents=True)
    # The same bytes as one plain file: the difference is the export's layout and nothing else.
    (peer_site / "index.html").write_bytes((site / POSTING.strip("/") / "index.html").read_bytes())
    port, peer_port = free_port(), free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            # As root, nginx's workers would run as "nobody", who cannot read the temporary folder.
            user="user root;" if os.geteuid() == 0 else "",
            tmp=tmp,
            port=port,
            site=site,
            peer_port=peer_port,
            peer_site=peer_site,
        ),
        encoding="utf-8",
    )
    command = [nginx, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{peer_port}/", 30, process)
        url = f"http://127.0.0.1:{port}{POSTING}"
        status, _, body = get(url)
        if status != 200:
            return Row(what, f"status {status}", target="≥ 0.9×", met=False)
        pair = Pair()
        for number in range(options.rounds):
            pair.add(
                lambda: wrk(url, options.seconds),
                lambda: wrk(f"http://127.0.0.1:{peer_port}/", options.seconds),
                peer_first=number % 2 == 0,
            )
        return pair.row(what, 0.9, f"{len(body) / 1024:.0f} KB, {how}")
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(30)


# ---------------------------------------------------------------- start-up against Hugo

HUGO_CONFIG = """baseURL = "http://localhost/"
defaultContentLanguage = "en"
disableKinds = ["taxonomy", "term"]
[languages.en]
contentDir = "content/en"
weight = 1
[languages.fr]
contentDir = "content/fr"
weight = 2
"""
HUGO_SINGLE = (
    '<!doctype html><html lang="{{ .Lang }}"><title>{{ .Title }}</title>'
    "<h1>{{ .Title }}</h1>{{ .Content }}</html>\n"
)
HUGO_LIST = (
    '<!doctype html><html lang="{{ .Lang }}"><title>{{ .Title }}</title><ul>'
    '{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></html>\n'
)

#: A posting body shaped like the corpus's (headings, paragraphs, lists, links; about 5 KB).
BODY = {
    "en": """## About the team

{p0}

{p1}

## What you will do

- Lead the work of a multidisciplinary team, from discovery to live service.
- Work in the open: share [our code](https://github.com/cds-snc) and what we learn.
- Test with the people who use the service, early and often.
- Mentor colleagues and help them grow.

## What you bring

- Experience delivering digital services with a team.
- A habit of making things simpler for the people who use them.
- **Asset:** experience in government.

## How to apply

{p2}

Submit a résumé and answer the questions. We accept applications in English or French.

{p0} {p1}

{p2} {p0}
""",
    "fr": """## Au sujet de l'équipe

{p0}

{p1}

## Ce que vous ferez

- Diriger le travail d'une équipe multidisciplinaire, de la découverte au service en ligne.
- Travailler ouvertement : partager [notre code](https://github.com/cds-snc) et nos apprentissages.
- Faire des essais auprès des personnes qui utilisent le service, tôt et souvent.
- Encadrer des collègues et les aider à progresser.

## Ce que vous apportez

- De l'expérience dans la prestation de services numériques en équipe.
- L'habitude de simplifier les choses pour les personnes qui les utilisent.
- **Atout :** de l'expérience au gouvernement.

## Comment postuler

{p2}

Soumettez un curriculum vitæ et répondez aux questions.
Nous acceptons les candidatures en français ou en anglais.

{p0} {p1}

{p2} {p0}
""",
}


def hugo_tree(root: Path, pairs: int) -> None:
    """Write ``pairs`` EN/FR postings (bodies like the corpus's) and a minimal Hugo site around them."""
    from jobs_search import PARAGRAPHS, write_postings

    bodies = {
        lang: BODY[lang].format(**{f"p{n}": paragraph[index] for n, paragraph in enumerate(PARAGRAPHS)}) * 2
        for index, lang in enumerate(("en", "fr"))
    }
    write_postings(root / "content", pairs, bodies)
    (root / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")


LOAD = """
import sys, time
started = time.perf_counter()
from portal import create_app
app = create_app({"PORTAL_CONTENT_DIR": sys.argv[1], "PORTAL_CONTENT_RELOAD_INTERVAL": -1})
index = app.extensions["portal.content"].index()
print(time.perf_counter() - started, time.time())
"""


def timed_process(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str, float]:
    """Run a command; return its wall time (s), peak memory (MB), output and launch time (epoch s)."""
    launched, started = time.time(), time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output, errors = process.communicate()
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise RuntimeError(f"{command[0]} failed: {errors.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, output.decode(), launched


def startup_row(options, work: Path) -> Row:
    """Loading N generated posting files into the portal's index against Hugo building them."""
    files = options.startup_pairs * 2
    what = f"start-up with {files:,} posting files ({options.startup_pairs:,} EN/FR pairs)"
    target = "≤ 1× Hugo's build time; memory reported"
    site = work / "hugo-site"
    hugo_tree(site, options.startup_pairs)
    env = portal_environment(work / "startup")
    # In a child of its own so that the peak memory (ru_maxrss of children) is the loader's alone.
    # Start-up is from the launch until the app is ready; the process then ends,
    # and the time Python takes to free the index as it does is shown apart
    # (a server does not end after starting; Hugo's Go process frees nothing).
    loads, readies, endings = [], [], []
    for _ in range(options.startup_rounds):
        wall, _, output, launched = timed_process(
            [sys.executable, "-c", LOAD, str(site / "content")], ROOT, env
        )
        in_create_app, ready_at = map(float, output.strip().splitlines()[-1].split())
        loads.append(in_create_app)
        readies.append(ready_at - launched)
        endings.append(wall - (ready_at - launched))
    portal_memory = measure_memory([sys.executable, "-c", LOAD, str(site / "content")], ROOT, env)
    hugo = shutil.which("hugo")
    portal = statistics.median(readies)
    result = (
        f"{portal:.2f} s from launch to ready ({statistics.median(loads):.2f} s in create_app; "
        f"the process ended {statistics.median(endings):.2f} s later), {portal_memory:.0f} MB"
    )
    if hugo is None:
        return Row(what, result, "skipped: hugo not installed", target=target)
    builds = []
    for _ in range(options.startup_rounds):
        shutil.rmtree(site / "public", ignore_errors=True)
        builds.append(timed_process([hugo, "--quiet"], site, dict(os.environ))[0])
    hugo_memory = measure_memory([hugo, "--quiet"], site, dict(os.environ))
    build = statistics.median(builds)
    return Row(what, result, f"{build:.2f} s, {hugo_memory:.0f} MB", portal / build, target, portal <= build)


def measure_memory(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Peak resident memory (MB) of one run of ``command``, in a child of its own."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


# ---------------------------------------------------------------- submissions


def resume_pdf(size: int = 200_000) -> bytes:
    """A real one-page PDF of about ``size`` bytes (a long page of text)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    stream = StreamObject()
    line = b"BT /F1 10 Tf 72 700 Td (Ada Tremblay builds accessible public services.) Tj ET\n"
    stream.set_data(line * (size // len(line)))
    page[NameObject("/Contents")] = writer._add_object(stream)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


TOKEN = {
    name: re.compile(rf'name="{name}" type="hidden" value="([^"]*)"')
    for name in ("csrf_token", "submission_token")
}


def form_data(html: str) -> dict[str, str]:
    """The fields of the apply form a candidate fills in, with the form's tokens."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    data = {
        name: tree.xpath(f'//input[@name="{name}"]/@value')[0] for name in ("csrf_token", "submission_token")
    }
    data.update(
        full_name="Ada Tremblay",
        phone="613-555-0123",
        preferred_language="en",
        about="I build accessible services.",
        privacy_acknowledged="y",
    )
    for fieldset in tree.xpath("//fieldset[starts-with(@id, 'question_')]"):
        data[fieldset.get("id")] = fieldset.xpath(".//input")[0].get("value")
    for textarea in tree.xpath("//textarea[starts-with(@id, 'question_')]"):
        data[textarea.get("id")] = "A thoughtful answer."
    return data


@dataclass
class Submissions:
    acknowledged: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: CPU the clients themselves used, in cores (they share the machine with the server).
    client_cpu: float = 0.0


class Candidate:
    """One candidate's browser, as lean as a load generator should be (it
    shares the machine with the server): http.client, the cookies the
    portal sets, and a multipart body assembled from parts made once."""

    def __init__(self, base: str, pdf: bytes) -> None:
        address = urllib.parse.urlsplit(base)
        self.host, self.port = address.hostname, address.port
        self.cookies: dict[str, str] = {}
        self.boundary = os.urandom(16).hex()
        self.file_part = (
            self.part("resume", pdf, b'; filename="cv.pdf"\r\nContent-Type: application/pdf')
            + f"--{self.boundary}--\r\n".encode()
        )

    def part(self, name: str, value: bytes, extra: bytes = b"") -> bytes:
        head = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        return head + extra + b"\r\n\r\n" + value + b"\r\n"

    def fields(self, values: dict[str, str]) -> bytes:
        return b"".join(self.part(name, value.encode()) for name, value in values.items())

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str, bytes]:
        """Send one request on a new connection (gunicorn's sync workers close
        each one); return the status, the Location header and the body."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = f"multipart/form-data; boundary={self.boundary}"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.headers.get("Location", ""), content
        finally:
            connection.close()


def submit_for(base: str, seconds: float, clients: int, pdf: bytes) -> tuple[Submissions, float]:
    """``clients`` threads each fetch the form and submit it with ``pdf``,
    over and over for ``seconds``; return what happened and the time taken."""
    totals = Submissions()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        candidate = Candidate(base, pdf)
        count, fields = 0, b""
        while time.monotonic() < deadline:
            count += 1
            try:
                _status, _location, page = candidate.request("GET", APPLY_URL)
                html = page.decode()
                if not fields:
                    filled = form_data(html)
                    fields = candidate.fields({name: filled[name] for name in filled if name not in TOKEN})
                # Only the tokens change from one form to the next (a regular expression beats lxml).
                tokens = {name: TOKEN[name].search(html).group(1) for name in TOKEN}
                tokens["email"] = f"bench-{number}-{count}@example.ca"
                body = candidate.fields(tokens) + fields + candidate.file_part
                began = time.perf_counter()
                status, location, _ = candidate.request("POST", APPLY_URL, body)
                latency = time.perf_counter() - began
                ok = status in (302, 303) and "/applications/" in location
            except Exception as error:
                latency, ok = 0.0, False
                problem = f"{type(error).__name__}: {error}"
            else:
                problem = f"status {status}"
            with lock:
                if ok:
                    totals.acknowledged += 1
                    totals.latencies.append(latency)
                else:
                    totals.errors += 1
                    if len(totals.problems) < 3:
                        totals.problems.append(problem)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    totals.client_cpu = (time.process_time() - cpu) / elapsed
    return totals, elapsed


def stored_applications(url: str) -> tuple[int, int]:
    """How many applications, and résumés, the database holds."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        counts = tuple(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("application", "resume")
        )
    engine.dispose()
    return counts


@contextlib.contextmanager
def bench_database(server: str) -> Iterator[str | None]:
    """A PostgreSQL database of the bench's own, created empty and dropped
    afterwards; None when the server cannot be reached."""
    try:
        import psycopg

        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except Exception:
        yield None
        return
    admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield server.rsplit("/", 1)[0] + "/" + BENCH_DATABASE
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.close()


def databases(options) -> Iterator[tuple[str, str | None]]:
    """(name, URL) of each database measured: SQLite (None: the instance
    folder's file) and PostgreSQL when asked for."""
    yield "SQLite", None
    if options.postgresql:
        with bench_database(options.postgresql) as url:
            yield "PostgreSQL", url or ""


def sqlalchemy_url(instance: Path, url: str | None) -> str:
    if url is None:
        return f"sqlite:///{instance / 'portal.sqlite3'}"
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def disk_sync_row(options, work: Path) -> Row:
    """How long one ``fdatasync`` of a small write takes on the disk of ``work``.

    Each PostgreSQL commit waits for one before the candidate is answered, so
    the disk's slowest syncs show in the PostgreSQL rows' p99 (SQLite in WAL
    mode with ``synchronous=NORMAL`` does not wait for the disk on a commit)."""
    seconds = options.sync_seconds
    durations = sync_durations(work / "sync-probe", seconds)
    slow = sum(duration > 0.1 for duration in durations)
    p50, p99, longest = (percentile(durations, share) * 1000 for share in (0.5, 0.99, 1))
    return Row(
        f"the disk: fdatasync after a 16 KB write, for {seconds:g} s (context for the PostgreSQL rows)",
        f"{len(durations):,} syncs, p50 {p50:.2f} ms, p99 {p99:.2f} ms, longest {longest:.0f} ms, "
        f"{slow} over 100 ms",
        target="none (PostgreSQL's commits wait for these)",
    )


def sync_durations(path: Path, seconds: float) -> list[float]:
    """Write 16 KB and ``fdatasync`` over and over for ``seconds``; return each sync's duration."""
    durations = []
    block = os.urandom(16 * 1024)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            os.write(descriptor, block)
            began = time.perf_counter()
            os.fdatasync(descriptor)
            durations.append(time.perf_counter() - began)
    finally:
        os.close(descriptor)
        path.unlink()
    return durations


def submission_rows(options, work: Path) -> list[Row]:
    """``clients`` candidates submitting the real form with a 200 KB PDF, on
    each database, after the disk's own sync times."""
    rows = [disk_sync_row(options, work)]
    pdf = resume_pdf()
    for name, url in databases(options):
        what = (
            f"{options.clients} clients submitting with a {len(pdf) // 1000} KB PDF "
            f"for {options.submit_seconds:g} s, {name}"
        )
        target = "≥ 100/s, p99 < 250 ms, stored = acknowledged, 0 errors"
        if url == "":
            rows.append(skipped(what, f"PostgreSQL not reachable at {options.postgresql}", target))
            continue
        instance = work / f"submit-{name}"
        env = portal_environment(instance, **({"DATABASE_URL": url} if url else {}))
        migrate(env)
        with gunicorn("wsgi:app", env, work / "servers.log") as (base, master):
            workers = workers_of(master)
            cpu = sum(map(cpu_seconds, workers))
            totals, elapsed = submit_for(base, options.submit_seconds, options.clients, pdf)
            cpu = sum(map(cpu_seconds, workers)) - cpu
        database = sqlalchemy_url(instance, url)
        if url is None:
            database = find_sqlite(instance)
        stored, resumes = stored_applications(database)
        rate = totals.acknowledged / elapsed
        p50, p99 = (percentile(totals.latencies, share) * 1000 for share in (0.5, 0.99))
        result = (
            f"{rate:.0f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
            f"{totals.acknowledged} acknowledged, {stored} stored ({resumes} résumés), {totals.errors} errors"
        )
        per_submission = 1000 * cpu / max(totals.acknowledged, 1)
        result += (
            f"; server CPU {per_submission:.0f} ms per submission (form and POST), "
            f"clients {totals.client_cpu:.1f} of {os.cpu_count()} cores"
        )
        if totals.problems:
            result += f" ({'; '.join(totals.problems)})"
        met = rate >= 100 and p99 < 250 and stored == resumes == totals.acknowledged and totals.errors == 0
        rows.append(Row(what, result, target=target, met=met))
    return rows


def find_sqlite(instance: Path) -> str:
    """The SQLite file the portal made in its instance folder."""
    files = sorted(instance.glob("*.sqlite*")) + sorted(instance.glob("*.db"))
    return f"sqlite:///{files[0]}"


# ---------------------------------------------------------------- the staff list and the CSV export


def fill_applications(env: dict[str, str], rows: int) -> list[str]:
    """Insert ``rows`` applications to the bench posting and a staff admin;
    return cursors to pages spread over the whole list (first to last)."""
    from sqlalchemy import func, insert, select

    from portal import create_app
    from portal.domain import accounts, passwords, review
    from portal.domain.models import Application, Status
    from portal.plumbing.db import db

    settings = {name: value for name, value in env.items() if name in ("SECRET_KEY", "DATABASE_URL")}
    settings["PORTAL_INSTANCE_DIR"] = env["PORTAL_INSTANCE_DIR"]
    app = create_app(settings)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        batch = []
        for number in range(rows):
            batch.append(
                {
                    "reference": f"B{number:011d}",
                    "submission_token": hashlib.sha1(str(number).encode()).hexdigest(),
                    "posting_key": POSTING_KEY,
                    "posting_lang": "en",
                    "posting_slug": "head-of-product-management",
                    "posting_title": "Head of Product Management",
                    "full_name": f"Candidate {number:06d}",
                    "email": f"c{number}@example.ca",
                    "preferred_language": "en",
                    "about": "I build accessible services. " * 4,
                    "keep_for_future": False,
                    "privacy_notice_version": "bench",
                    "status": list(Status)[number % 5],
                    "submitted_at": start + timedelta(seconds=number * 37),
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert(Application), batch)
                batch = []
        if batch:
            db.session.execute(insert(Application), batch)
        user = accounts.create_invited_user(db.session, STAFF_EMAIL, "admin", now=datetime.now(UTC))
        user.password_hash = passwords.hash_password(STAFF_PASSWORD, "argon2id:1:8:1")
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        # Every 50th row in the list's order (newest first) starts a page: cursors to 40 of them.
        ordered = select(Application.id).where(Application.posting_key == POSTING_KEY)
        total = db.session.scalar(select(func.count()).select_from(ordered.subquery()))
        pages = max(1, total // review.PAGE_SIZE)
        picks = sorted({0, pages - 1, *random.Random(1).sample(range(pages), min(pages, 38))})
        cursors = []
        query = ordered.order_by(Application.submitted_at.desc(), Application.id.desc())
        for page in picks:
            if page == 0:
                cursors.append("")
                continue
            identifier = db.session.scalar(query.offset(page * review.PAGE_SIZE - 1).limit(1))
            cursors.append(review.encode_cursor("after", db.session.get(Application, identifier), "newest"))
        db.session.remove()
        db.engine.dispose()
    return cursors


def signed_in(base: str):
    import requests

    session = requests.Session()
    page = session.get(base + "/en/staff/sign-in", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="csrf_token"', page
    )
    response = session.post(
        base + "/en/staff/sign-in",
        data={"csrf_token": token.group(1), "email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"staff sign-in answered {response.status_code}")
    return session


def workers_of(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int, key: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{key}:\s*(\d+) kB", status, re.M).group(1))


def staff_rows(options, work: Path) -> list[Row]:
    """The staff list at any page and the CSV export, with N applications, on each database."""
    rows = []
    for name, url in databases(options):
        list_what = f"staff list of a posting with {options.applications:,} applications, any page, {name}"
        csv_what = f"CSV export of {options.applications:,} applications, {name}"
        if url == "":
            rows += [
                skipped(list_what, "PostgreSQL not reachable", "p95 < 50 ms"),
                skipped(csv_what, "PostgreSQL not reachable", "streams; < 5 s; memory growth < 50 MB"),
            ]
            continue
        instance = work / f"staff-{name}"
        env = portal_environment(instance, **({"DATABASE_URL": url} if url else {}))
        migrate(env)
        cursors = fill_applications(env, options.applications)
        page_url = f"/en/staff/postings/{POSTING_KEY}/"
        with gunicorn("wsgi:app", env, work / "servers.log") as (base, master):
            session = signed_in(base)
            for cursor in cursors[:4]:  # each worker's first pages load templates and caches
                session.get(base + page_url, params={"cursor": cursor} if cursor else None, timeout=30)
            latencies, statuses = [], set()
            for cursor in cursors * options.list_repeats:
                began = time.perf_counter()
                response = session.get(
                    base + page_url, params={"cursor": cursor} if cursor else None, timeout=30
                )
                latencies.append(time.perf_counter() - began)
                statuses.add(response.status_code)
            p50, p95 = (percentile(latencies, share) * 1000 for share in (0.5, 0.95))
            rows.append(
                Row(
                    list_what,
                    f"p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(latencies)} requests "
                    f"({len(cursors)} pages, first to last), statuses {sorted(statuses)}",
                    target="p95 < 50 ms",
                    met=p95 < 50 and statuses == {200},
                )
            )
            rows.append(
                csv_export(
                    session,
                    base + page_url + "export.csv",
                    master,
                    work / "servers.log",
                    csv_what,
                    options.applications,
                )
            )
    return rows


def csv_export(session, url: str, master: subprocess.Popen, log: Path, what: str, expected: int) -> Row:
    """Download the export as a stream: first bytes, total time, rows, and the
    workers' peak memory growth over their memory before."""
    workers = workers_of(master)
    before = {}
    for pid in workers:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current size
        before[pid] = memory_kib(pid, "VmRSS")
    began = time.perf_counter()
    first = None
    lines = 0
    target = "streams; < 5 s; memory growth < 50 MB"
    try:
        with session.get(url, stream=True, timeout=120) as response:
            chunked = "Content-Length" not in response.headers
            for chunk in response.iter_content(64 * 1024):
                if first is None:
                    first = time.perf_counter() - began
                lines += chunk.count(b"\n")
            status = response.status_code
    except OSError as error:  # requests' errors are OSErrors
        broken = f"broken off after {time.perf_counter() - began:.1f} s and {max(lines - 1, 0):,} rows"
        return Row(
            what,
            f"{broken} ({type(error).__name__}; gunicorn: {last_complaint(log)})",
            target=target,
            met=False,
        )
    total = time.perf_counter() - began
    growth = max(memory_kib(pid, "VmHWM") - before[pid] for pid in workers) / 1024
    streams = chunked and first is not None and first < total / 2
    result = (
        f"{total:.2f} s, first bytes after {1000 * (first or 0):.0f} ms, {lines - 1:,} rows, "
        f"memory growth {growth:.1f} MB, status {status}"
    )
    met = status == 200 and streams and total < 5 and growth < 50 and lines - 1 >= expected
    return Row(what, result, target=target, met=met)


def last_complaint(log: Path) -> str:
    """The last error or critical line of the servers' log, shortened."""
    found = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if "[CRITICAL]" in line or "[ERROR]" in line
    ]
    return found[-1].split("] ", 2)[-1][:120] if found else "nothing logged"


# ---------------------------------------------------------------- profile


def profile(options) -> None:
    """Print where the time of the posting page and of the listing goes (cProfile, in one process)."""
    import cProfile
    import pstats

    from jobs_search import write_postings

    from portal import create_app

    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        shutil.copytree(ROOT / "content", content)
        write_postings(content, options.postings)
        app = create_app(
            {
                "TESTING": True,
                "PORTAL_CONTENT_DIR": str(content),
                "PORTAL_INSTANCE_DIR": folder,
                "SECRET_KEY": "x",
            }
        )
        client = app.test_client()
        for url in (POSTING, LISTING, SEARCH):
            client.get(url).close()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(500):
                client.get(url).close()
            profiler.disable()
            print(f"\n==== {url} (500 requests)")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


# ---------------------------------------------------------------- main


def parse(arguments: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="every row, small and short: checks that it runs"
    )
    parser.add_argument("--seconds", type=float, help="wrk time per server per round")
    parser.add_argument("--rounds", type=int, help="alternating rounds of each page and its peer")
    parser.add_argument(
        "--postgresql", help="a PostgreSQL server URL ('' for none); the bench creates its own database there"
    )
    parser.add_argument("--only", choices=["pages", "startup", "submissions", "staff"], action="append")
    parser.add_argument(
        "--profile", action="store_true", help="profile the posting page and the listing instead"
    )
    options = parser.parse_args(arguments)
    quick = options.quick
    defaults = {
        "seconds": 1 if quick else 5,
        "rounds": 1 if quick else 5,
        "postgresql": "" if quick else POSTGRESQL,
    }
    for name, value in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    options.postings = 100 if quick else 1000
    options.startup_pairs = 100 if quick else 5000
    options.startup_rounds = 1 if quick else 3
    options.clients = 16
    options.submit_seconds = 1 if quick else 30
    options.sync_seconds = 1 if quick else 10
    options.applications = 1000 if quick else 100_000
    options.list_repeats = 1 if quick else 5
    return options


def main(arguments: list[str] | None = None) -> None:
    options = parse(arguments)
    sys.path.insert(0, str(BENCH))
    if options.profile:
        profile(options)
        return
    import logging

    logging.disable(logging.INFO)
    parts = {"pages": page_rows, "startup": startup_row, "submissions": submission_rows, "staff": staff_rows}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        for name, part in parts.items():
            if options.only and name not in options.only:
                continue
            began = time.perf_counter()
            try:
                found = part(options, Path(folder))
            except Exception as error:
                found = [Row(name, f"failed: {type(error).__name__}: {str(error)[:200]}", met=False)]
            found = found if isinstance(found, list) else [found]
            print(format_table(found), file=sys.stderr)
            rows += found
            print(f"[{name}: {time.perf_counter() - began:.0f} s]", file=sys.stderr, flush=True)
    cpu = os.cpu_count()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cpu} cores, {'quick' if options.quick else 'full'} run")
    print(format_table(rows))


if __name__ == "__main__":
    main()
