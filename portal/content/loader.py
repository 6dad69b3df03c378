"""Load a Hugo-style content tree into a ContentIndex, reporting every problem.

A content root holds one folder per language (``en/``, ``fr/``) with any
sections below. ``layout: job-posting`` files are postings, ``layout: blog``
files (and files with no layout under a ``blog/`` folder) are stories.
A broken file is reported and skipped; it never stops the rest loading.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import multiprocessing
import os
import signal
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from . import frontmatter
from .criteria import criteria_shape
from .fields import FieldReader
from .jobfacts import NO_FACTS
from .model import ContentIndex, Document, DocumentKey, Kind, Problem, Severity, searchable_text, slug_key
from .render import render_body
from .text import plain_text

logger = logging.getLogger(__name__)

#: Content files are a few kilobytes; anything this large is a mistake.
MAX_FILE_BYTES = 1024 * 1024


def scan_signature(roots: Sequence[str | os.PathLike]) -> str:
    """Return a cheap fingerprint of every file's path, size and mtime under ``roots``."""
    digest = hashlib.blake2b(digest_size=16)
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories.sort()
            for name in sorted(files):
                path = os.path.join(directory, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load(
    roots: Sequence[str | os.PathLike],
    languages: Sequence[str],
    timezone: tzinfo,
    *,
    signature: str | None = None,
    now: datetime | None = None,
    mirrors: Mapping[str, str] | None = None,
    progress: Callable[[int, int], object] | None = None,
    workers: int = 1,
) -> ContentIndex:
    """Read every content file under ``roots`` and build the index.

    ``signature`` is the tree's fingerprint when the caller has just taken it;
    ``now`` (default: the current time) tells which postings are open.
    ``mirrors`` maps a language with no files of its own (the pseudo-locale)
    to the language whose documents it shows. ``progress(done, total)`` is
    called as the files are read, then built (a progress bar for a large tree).
    ``workers`` processes read and render a large tree's files at once.
    """
    roots = tuple(str(root) for root in roots)
    signature = signature or scan_signature(roots)
    mirrors = dict(mirrors or {})
    loader = _Loader([lang for lang in languages if lang not in mirrors], timezone, now or datetime.now(UTC))
    loader.workers = workers
    if progress is not None:
        loader.progress = progress
        loader.total = 2 * sum(
            1 for root in roots for lang in loader.languages for _ in markdown_files(Path(root, lang))
        )
    # Loading makes many objects and few cycles: no collector rounds over the
    # growing heap meanwhile (one at the end, when it is turned back on, as needed).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for root in roots:
            loader.read_root(root)
        index = loader.finish(roots, signature)
    finally:
        if collecting:
            gc.enable()
    return with_mirrors(index, mirrors) if mirrors else index


def with_mirrors(index: ContentIndex, mirrors: Mapping[str, str]) -> ContentIndex:
    """Return ``index`` with each mirror language serving the documents of its
    source language, as translations of them (same slugs, same text)."""
    documents = dict(index.documents)
    translations = {key: dict(slugs) for key, slugs in index.translations.items()}
    for mirror, source in mirrors.items():
        mirrored = [
            (kind, slug, doc) for (kind, lang, slug), doc in index.documents.items() if lang == source
        ]
        for kind, slug, _document in mirrored:
            translations.setdefault((kind, source, slug), {source: slug})
        for slugs in translations.values():
            if source in slugs:
                slugs[mirror] = slugs[source]
        for kind, slug, document in mirrored:
            documents[(kind, mirror, slug)] = replace(document, lang=mirror)
            translations[(kind, mirror, slug)] = translations[(kind, source, slug)]
    return ContentIndex.build(
        roots=index.roots,
        signature=index.signature,
        documents=documents,
        translations=translations,
        aliases=dict(index.aliases),
        problems=list(index.problems),
    )


@dataclass
class _Source:
    """A file whose front matter parsed, before it becomes a Document."""

    display: str
    lang: str
    folder: tuple[str, ...]
    stem: str
    parsed: frontmatter.ParsedFile
    kind: Kind | None = None
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, key: str) -> int:
        return self.parsed.key_lines.get(key, 1)


@dataclass(frozen=True, slots=True)
class _File:
    """A content file to read: its path as shown, language, path in its language folder, root."""

    display: str
    lang: str
    parts: tuple[str, ...]
    root: str
    timezone: tzinfo


@dataclass(frozen=True, slots=True)
class _Read:
    """What reading one file gave: a problem (line, message) that skips it,
    or the file read, and its document when its layout alone says its kind."""

    file: _File
    problem: tuple[int, str] | None = None
    source: _Source | None = None
    document: Document | None = None
    modified: int = 0


#: Below this many files a tree is read in this process: starting workers costs more.
PARALLEL_FROM_FILES = 1000


def read_files(files: Sequence[_File], workers: int) -> Iterable[_Read]:
    """Read, parse and render ``files``, in order, in ``workers`` processes
    when there are enough of them to be worth it (forked: the code is loaded)."""
    # Forking is safe only from a process with one thread (a lock another
    # thread holds would stay held in the child): a server reloading content
    # while it answers requests reads the files itself.
    if (
        workers <= 1
        or len(files) < PARALLEL_FROM_FILES
        or threading.active_count() > 1
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return map(read_file, files)
    return _read_in_workers(files, workers)


def _read_in_workers(files: Sequence[_File], workers: int) -> Iterator[_Read]:
    context = multiprocessing.get_context("fork")
    # The collector would visit every object the workers inherit, copying
    # the memory pages it touches: what exists now is left out of its rounds.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_plain_signals) as pool:
            # All read before the first is used: a worker that dies leaves nothing half-added.
            reads = list(pool.map(read_file, files, chunksize=max(64, len(files) // (8 * workers))))
    except BrokenProcessPool:
        logger.warning("a process reading the content stopped; reading the files in this one")
        reads = map(read_file, files)
    finally:
        gc.unfreeze()
    yield from reads


def _plain_signals() -> None:
    """Give a worker the default signal handlers: the process it was forked
    from (gunicorn's master) may have its own, meant for itself."""
    signal.set_wakeup_fd(-1)
    # A worker lives for one load and makes few reference cycles: no collector rounds.
    gc.disable()
    for number in (
        signal.SIGCHLD,
        signal.SIGHUP,
        signal.SIGTERM,
        signal.SIGINT,
        signal.SIGQUIT,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGTTIN,
        signal.SIGTTOU,
        signal.SIGWINCH,
    ):
        signal.signal(number, signal.SIG_DFL)


def read_file(file: _File) -> _Read:
    """Read one content file: checked, parsed and its body rendered, or the problem that skips it."""
    display = file.display
    real_root = _real_folder(file.root)
    if os.path.commonpath([real_root, _real_file(display)]) != real_root:
        return _Read(file, (1, "a link to a file outside the content folder; skipped"))
    try:
        status = os.stat(display)
        if status.st_size > MAX_FILE_BYTES:
            return _Read(file, (1, f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB; file skipped"))
        raw = Path(display).read_bytes()
    except OSError as error:
        return _Read(file, (1, f"cannot be read ({error.strerror})"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return _Read(file, (line, f"not UTF-8 text ({error.reason}); file skipped"))
    try:
        parsed = frontmatter.parse(text)
    except frontmatter.FrontMatterError as error:
        return _Read(file, (error.line, f"{error.message}; file skipped"))
    folder = tuple(unicodedata.normalize("NFC", part) for part in file.parts[:-1])
    stem = unicodedata.normalize("NFC", Path(file.parts[-1]).stem)
    source = _Source(display, file.lang, folder, stem, parsed)
    # A file that says its layout is built here (in a worker process, for a
    # large tree); the others wait until the whole tree tells what they are.
    source.kind = _kind_by_layout(source)
    document = build_document(source, file.timezone) if source.kind is not None else None
    if document is not None:
        # The body is rendered: not worth sending back from a worker process.
        source = replace(source, parsed=replace(parsed, body=""))
    return _Read(file, None, source, document, status.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _real_folder(path: str) -> str:
    # A tree's folders are few and its files many: each folder's real path once.
    return os.path.realpath(path)


def _real_file(path: str) -> str:
    """Where ``path`` really is, links followed (the folder's links and the file's own)."""
    if os.path.islink(path):
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    return os.path.join(_real_folder(folder), name)


def _kind_by_layout(source: _Source) -> Kind | None:
    layout = source.parsed.data.get("layout")
    if layout == "job-posting":
        return Kind.POSTING
    if layout == "blog" or (layout is None and any(part.casefold() == "blog" for part in source.folder)):
        return Kind.STORY
    return None


def build_document(source: _Source, timezone: tzinfo) -> Document | None:
    """Build the document of a file whose kind is known, appending what is odd
    about it to ``source.problems``; None if it cannot be served."""
    if source.kind is None:
        return None
    check = FieldReader(source, timezone)
    title = check.text("title")
    if not title:
        source.problems.append(
            Problem(
                source.display,
                source.line_of("title"),
                Severity.ERROR,
                "missing title; file skipped",
            )
        )
        return None
    check.unknown_keys()
    check.path_segments()
    # A description some CMS wrote as HTML (``<p>…</p>``) is shown as its words.
    description = plain_text(check.text("description"))
    body_html = render_body(source.parsed.body, description)
    document = Document(
        kind=source.kind,
        lang=source.lang,
        slug=source.stem,
        source=source.display,
        title=title,
        description=description,
        body_html=body_html,
        search_text=searchable_text(title, description, body_html),
        translation_key=check.translation_key(),
        translation_key_line=source.line_of("translationKey"),
        archived=check.flag("archived"),
        draft=check.flag("draft"),
        link_hidden=check.flag("linkHidden"),
        form_hidden=check.flag("formHidden"),
        lever_id=check.lever_id(),
        author=check.names("author"),
        date=check.date(),
        image=check.text("image") or None,
        image_alt=check.text("image-alt") or None,
        thumb=check.text("thumb") or None,
        tags=check.tags(),
        aliases=check.aliases(),
        facts=check.job_facts() if source.kind is Kind.POSTING else NO_FACTS,
        closing_at=check.closing_date(),
        closing_date_unreadable=check.closing_date_unreadable,
        questions=check.questions(),
        criteria=check.criteria() if source.kind is Kind.POSTING else (),
        name_blind=check.name_blind() if source.kind is Kind.POSTING else None,
    )

    if document.image and not document.image_alt:
        source.problems.append(
            Problem(
                source.display,
                source.line_of("image"),
                Severity.WARNING,
                "image has no 'image-alt' text for screen-reader users",
            )
        )
    if document.draft:
        source.problems.append(
            Problem(
                source.display,
                source.line_of("draft"),
                Severity.NOTE,
                "draft: true, not published",
            )
        )
    if document.kind is Kind.POSTING:
        check.test_posting(document)
    return document


class _Loader:
    def __init__(self, languages: Sequence[str], timezone: tzinfo, now: datetime) -> None:
        self.languages = tuple(languages)
        self.timezone = timezone
        self.now = now
        self.problems: list[Problem] = []
        self.sources: list[_Source] = []
        #: When each file was last changed: for two files claiming one URL or
        #: key, the one that was there first keeps it.
        self.modified: dict[str, int] = {}
        #: Told (done, total) after each file read and each document built.
        self.progress: Callable[[int, int], object] | None = None
        self.done = self.total = 0
        #: Processes reading and rendering files at once (a large tree only).
        self.workers = 1
        #: Documents built as their files were read, by path (None: not servable).
        self.built: dict[str, Document | None] = {}

    def step(self) -> None:
        if self.progress is not None:
            self.done = min(self.done + 1, self.total)
            self.progress(self.done, self.total)

    def report(self, path: str, line: int, severity: Severity, message: str) -> None:
        self.problems.append(Problem(path, line, severity, message))

    # Reading -------------------------------------------------------------

    def read_root(self, root: str) -> None:
        if not os.path.isdir(root):
            self.report(root, 1, Severity.ERROR, "content folder does not exist")
            return
        found = [lang for lang in self.languages if os.path.isdir(os.path.join(root, lang))]
        if not found:
            folders = ", ".join(f"{lang}/" for lang in self.languages)
            self.report(root, 1, Severity.ERROR, f"no language folder ({folders}) in this content folder")
        _real_folder.cache_clear()  # folders may have become links since the last load
        files = []
        for lang in found:
            for path in markdown_files(Path(root, lang)):
                relative = path.relative_to(Path(root, lang))
                display = os.path.join(root, lang, *relative.parts)
                files.append(_File(display, lang, relative.parts, root, self.timezone))
        for read in read_files(files, self.workers):
            self.add(read)
            self.step()

    def add(self, read: _Read) -> None:
        file = read.file
        if read.problem is not None:
            line, message = read.problem
            self.report(file.display, line, Severity.ERROR, message)
            return
        self.modified[file.display] = read.modified
        self.sources.append(read.source)
        if read.source.kind is not None:
            self.built[read.source.display] = read.document

    # Building ------------------------------------------------------------

    def finish(self, roots: tuple[str, ...], signature: str) -> ContentIndex:
        self.classify()
        documents = []
        for source in self.sources:
            if source.display in self.built:
                document = self.built[source.display]
            else:
                document = build_document(source, self.timezone)
            if document:
                documents.append(document)
            self.step()
        if self.progress is not None:
            self.progress(self.total, self.total)
        # Files whose front matter drew warnings (placeholders, stray keys,
        # test postings) lose to clean files for one slug or key.
        self.doubtful = {
            source.display
            for source in self.sources
            if any(problem.severity is Severity.WARNING for problem in source.problems)
        }
        served = self.choose_slugs(documents)
        translations = self.pair(served)
        aliases = self.collect_aliases(served)
        for source in self.sources:
            self.problems.extend(source.problems)
        return ContentIndex.build(
            roots=roots,
            signature=signature,
            documents={(doc.kind, doc.lang, doc.slug): doc for doc in served},
            translations=translations,
            aliases=aliases,
            problems=self.problems,
        )

    def classify(self) -> None:
        posting_folders = {
            (source.lang, source.folder)
            for source in self.sources
            if source.parsed.data.get("layout") == "job-posting"
        }
        for source in self.sources:
            data = source.parsed.data
            layout = data.get("layout")
            in_blog = any(part.casefold() == "blog" for part in source.folder)
            if layout == "job-posting":
                source.kind = Kind.POSTING
            elif layout == "blog" or (layout is None and in_blog):
                source.kind = Kind.STORY
            elif layout in (None, "page") and (
                (source.lang, source.folder) in posting_folders or "leverId" in data or "Lever ID" in data
            ):
                source.kind = Kind.POSTING
                source.problems.append(
                    Problem(
                        source.display,
                        source.line_of("layout"),
                        Severity.WARNING,
                        f"layout {layout!r} among job postings: served as a job posting "
                        "(set 'layout: job-posting')",
                    )
                )
            else:
                source.problems.append(
                    Problem(
                        source.display,
                        source.line_of("layout"),
                        Severity.NOTE,
                        f"layout {layout!r} is neither 'job-posting' nor 'blog': not served",
                    )
                )

    def choose_slugs(self, documents: list[Document]) -> list[Document]:
        """Keep one document per kind, language and slug; report the others."""
        by_slug: dict[tuple[Kind, str, str], list[Document]] = defaultdict(list)
        for document in documents:
            by_slug[(document.kind, document.lang, slug_key(document.slug))].append(document)
        served = []
        #: (a document that lost its slug, the one served at it instead)
        self.displaced: list[tuple[Document, Document]] = []
        for group in by_slug.values():
            winner, *others = sorted(group, key=self.preference)
            served.append(winner)
            for other in others:
                self.displaced.append((other, winner))
                self.report(
                    other.source,
                    1,
                    Severity.WARNING,
                    f"slug {other.slug!r} is also used by {winner.source}, which is "
                    "served instead (published, clean, open, paired files win); rename one file",
                )
        return served

    def pair(self, documents: list[Document]) -> dict[DocumentKey, dict[str, str]]:
        """Pair documents across languages by normalised translationKey."""
        groups: dict[tuple[Kind, str], dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
        for document in documents:
            if document.translation_key:
                groups[(document.kind, document.translation_key)][document.lang].append(document)
        translations: dict[DocumentKey, dict[str, str]] = {}
        for (kind, key), by_lang in groups.items():
            chosen = {}
            for lang, group in by_lang.items():
                winner, *duplicates = sorted(group, key=self.preference)
                chosen[lang] = winner
                for duplicate in duplicates:
                    self.report(
                        duplicate.source,
                        duplicate.translation_key_line,
                        Severity.ERROR,
                        f"duplicate translationKey {key!r} in {lang!r}: "
                        f"{winner.source} has it too and is paired instead",
                    )
            slugs = {lang: doc.slug for lang, doc in chosen.items()}
            for document in chosen.values():
                translations[(kind, document.lang, document.slug)] = slugs
            self.compare_translations(list(chosen.values()))
        self.link_displaced(documents, translations)
        for document in documents:
            slugs = translations.get((document.kind, document.lang, document.slug), {})
            missing = [lang for lang in self.languages if lang not in slugs and lang != document.lang]
            # Postings advertised online are published in every official
            # language at once: an open one alone is an error.
            advertised = bool(missing) and self.advertised(document)
            severity = Severity.ERROR if advertised else Severity.WARNING
            suffix = f": an open posting must be published in {'/'.join(missing)} too" if advertised else ""
            if not document.translation_key:
                self.report(
                    document.source,
                    document.translation_key_line,
                    severity,
                    f"no translationKey: cannot be paired with its translation{suffix}",
                )
            elif missing:
                self.report(
                    document.source,
                    document.translation_key_line,
                    severity,
                    f"unpaired: no {'/'.join(missing)} file has translationKey "
                    f"{document.translation_key!r}{suffix}",
                )
        return translations

    def link_displaced(
        self, documents: list[Document], translations: dict[DocumentKey, dict[str, str]]
    ) -> None:
        """Lead the toggle of a document whose translation lost its slug (a
        repost in another section took it) to the document served at that
        slug, the page readers of that language find there; report it."""
        for lost, winner in self.displaced:
            if not lost.translation_key:
                continue
            for document in documents:
                key = (document.kind, document.lang, document.slug)
                slugs = translations.get(key, {document.lang: document.slug})
                if (
                    document.kind is not lost.kind
                    or document.translation_key != lost.translation_key
                    or lost.lang in slugs
                ):
                    continue
                # A new mapping: the pair's members share theirs.
                translations[key] = {**slugs, lost.lang: winner.slug}
                self.report(
                    document.source,
                    document.translation_key_line,
                    Severity.WARNING,
                    f"its {lost.lang} translation {lost.source} lost its slug to {winner.source}: "
                    "the language toggle leads there instead; rename one of the two",
                )

    def advertised(self, document: Document) -> bool:
        """Tell whether ``document`` is an open posting shown in listings:
        published, not archived, not hidden, its closing date not passed."""
        return document.kind is Kind.POSTING and document.is_listed(self.now)

    def preference(self, document: Document) -> tuple:
        """Order documents competing for one slug or key: the first one wins.

        Published before draft, clean front matter before doubtful, open
        before archived, paired before keyless, a lower-case file name
        before one with capitals (Hugo's own URLs are lower-case), then the
        file that was there first, then by path. A file added later never
        takes over an existing page's URL, form or translation.
        """
        return (
            document.draft,
            document.source in self.doubtful,
            document.archived,
            document.translation_key is None,
            document.slug != document.slug.lower(),
            self.modified.get(document.source, 0),
            document.source,
        )

    def compare_translations(self, documents: list[Document]) -> None:
        """Report translations that disagree on what a candidate is asked."""
        first, *others = sorted(documents, key=lambda doc: self.languages.index(doc.lang))
        for other in others:
            if _question_shape(other) != _question_shape(first):
                self.report(
                    other.source,
                    1,
                    Severity.WARNING,
                    f"questions differ from {first.source} (ids, types or choice ids): "
                    "answers cannot be matched across languages",
                )
            if _essential_shape(other) != _essential_shape(first):
                self.report(
                    other.source,
                    self.line_of(other, "questions"),
                    Severity.WARNING,
                    f"essential questions differ from {first.source} (which ones, or the answer "
                    "required): candidates are flagged differently by language",
                )
            if criteria_shape(other.criteria) != criteria_shape(first.criteria):
                self.report(
                    other.source,
                    self.line_of(other, "criteria"),
                    Severity.WARNING,
                    f"merit criteria differ from {first.source} (ids or kinds): "
                    "assessments cannot be matched across languages",
                )
            if other.name_blind != first.name_blind:
                self.report(
                    other.source,
                    self.line_of(other, "nameBlind"),
                    Severity.WARNING,
                    f"nameBlind differs from {first.source}: staff review the posting "
                    "under the stricter of the two",
                )
            if other.facts.comparable() != first.facts.comparable():
                self.report(
                    other.source,
                    1,
                    Severity.WARNING,
                    f"job facts (classification, salary, employment, provinces, remote work or "
                    f"language requirement) differ from {first.source}",
                )
            if other.closing_at != first.closing_at:
                self.report(
                    other.source,
                    self.line_of(other, "closingDate"),
                    Severity.WARNING,
                    f"closingDate differs from {first.source}",
                )
            closed = closed_one_of(first, other, self.now)
            if closed is not None:
                opened = other if closed is first else first
                reason = closing_key(closed, self.now)
                self.report(
                    closed.source,
                    self.line_of(closed, reason),
                    Severity.WARNING,
                    f"closed here ({reason}) but open in {opened.source}: {opened.lang} readers can "
                    f"apply, {closed.lang} readers are told it is closed",
                )

    def line_of(self, document: Document, key: str) -> int:
        """Return the line of ``key`` in the front matter of ``document``'s file (1 if absent)."""
        source = next((source for source in self.sources if source.display == document.source), None)
        return source.line_of(key) if source else 1

    def collect_aliases(self, documents: list[Document]) -> dict[str, DocumentKey]:
        aliases: dict[str, DocumentKey] = {}
        for document in sorted(documents, key=self.preference):
            for alias in document.aliases:
                if alias in aliases:
                    self.report(
                        document.source,
                        1,
                        Severity.WARNING,
                        f"alias {alias!r} is already used by another file; ignored here",
                    )
                    continue
                aliases[alias] = (document.kind, document.lang, document.slug)
        return aliases


def markdown_files(folder: Path) -> Iterable[Path]:
    """Yield ``*.md`` files below ``folder`` in a stable order, skipping hidden
    files and Hugo section pages (``_index.md``)."""
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md") and not name.startswith((".", "_")):
                yield Path(directory, name)


def closed_one_of(first: Document, second: Document, now: datetime) -> Document | None:
    """Return whichever of two translations of a posting is closed at ``now``
    while the other is open, or None when they agree."""
    if first.kind is not Kind.POSTING or first.is_open(now) == second.is_open(now):
        return None
    return second if first.is_open(now) else first


def closing_key(document: Document, now: datetime) -> str:
    """Return the front-matter key that closes a posting at ``now``."""
    if document.draft:
        return "draft"
    if document.archived:
        return "archived"
    return "closingDate"


def _essential_shape(document: Document) -> dict[str, str]:
    return {q.id: q.required_answer for q in document.questions if q.essential}


def _question_shape(document: Document) -> tuple:
    return tuple(
        (q.id, q.type, q.required, tuple(choice.id for choice in q.choices)) for q in document.questions
    )
