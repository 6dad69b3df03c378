"""Load a Hugo-style content tree into a ContentIndex, reporting every problem.

A content root holds one folder per language (``en/``, ``fr/``) with any
sections below. ``layout: job-posting`` files are postings, ``layout: blog``
files (and files with no layout under a ``blog/`` folder) are stories.
A broken file is reported and skipped; it never stops the rest loading.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from . import frontmatter
from .model import (
    Choice, ContentIndex, Document, DocumentKey, Kind, Problem, Question, QuestionType,
    Severity, slug_key,
)
from .render import render_markdown

#: Keys the portal reads, or knowingly ignores (Hugo and CMS bookkeeping).
KNOWN_KEYS = frozenset({
    "title", "description", "layout", "type", "archived", "draft", "formHidden",
    "linkHidden", "leverId", "translationKey", "author", "date", "image",
    "image-alt", "image-translation", "thumb", "tags", "aliases", "url",
    "processed", "classification", "compensation", "term", "languageRequirement",
    "closingDate", "questions",
})
#: Optional posting facts shown on the posting page, in this order.
DETAIL_KEYS = ("classification", "compensation", "term", "languageRequirement")

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TEST_TITLE = re.compile(r"^\s*test\b", re.I)
_QUESTION_TYPES = {
    "text": QuestionType.TEXT,
    "yes-no": QuestionType.YES_NO, "yesno": QuestionType.YES_NO, "yes/no": QuestionType.YES_NO,
    "choice": QuestionType.CHOICE, "single-choice": QuestionType.CHOICE,
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def normalise_translation_key(value: Any) -> str | None:
    """Return the pairing form of a translationKey: trimmed, lower-case, no trailing slash."""
    if value is None:
        return None
    key = str(value).strip().lower().rstrip("/").strip()
    return key or None


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
) -> ContentIndex:
    """Read every content file under ``roots`` and build the index."""
    roots = tuple(str(root) for root in roots)
    signature = scan_signature(roots)
    loader = _Loader(languages, timezone)
    for root in roots:
        loader.read_root(root)
    return loader.finish(roots, signature)


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


class _Loader:
    def __init__(self, languages: Sequence[str], timezone: tzinfo) -> None:
        self.languages = tuple(languages)
        self.timezone = timezone
        self.problems: list[Problem] = []
        self.sources: list[_Source] = []

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
        for lang in found:
            for path in _markdown_files(Path(root, lang)):
                relative = path.relative_to(Path(root, lang))
                self.read_file(os.path.join(root, lang, *relative.parts), lang, relative)

    def read_file(self, display: str, lang: str, relative: Path) -> None:
        try:
            text = Path(display).read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            self.report(display, 1, Severity.ERROR, f"not UTF-8 text ({error.reason})")
            return
        except OSError as error:
            self.report(display, 1, Severity.ERROR, f"cannot be read ({error.strerror})")
            return
        try:
            parsed = frontmatter.parse(text)
        except frontmatter.FrontMatterError as error:
            self.report(display, error.line, Severity.ERROR, f"{error.message}; file skipped")
            return
        folder = tuple(unicodedata.normalize("NFC", part) for part in relative.parts[:-1])
        stem = unicodedata.normalize("NFC", relative.stem)
        self.sources.append(_Source(display, lang, folder, stem, parsed))

    # Building ------------------------------------------------------------

    def finish(self, roots: tuple[str, ...], signature: str) -> ContentIndex:
        self.classify()
        documents = [doc for doc in (self.build(source) for source in self.sources) if doc]
        # Files whose front matter drew warnings (placeholders, stray keys,
        # test postings) lose to clean files for one slug or key.
        self.doubtful = {
            source.display for source in self.sources
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
            elif layout == "blog":
                source.kind = Kind.STORY
            elif layout is None and in_blog:
                source.kind = Kind.STORY
            elif layout in (None, "page") and (
                (source.lang, source.folder) in posting_folders
                or "leverId" in data or "Lever ID" in data
            ):
                source.kind = Kind.POSTING
                source.problems.append(Problem(
                    source.display, source.line_of("layout"), Severity.WARNING,
                    f"layout {layout!r} among job postings: served as a job posting "
                    "(set 'layout: job-posting')",
                ))
            else:
                source.problems.append(Problem(
                    source.display, source.line_of("layout"), Severity.NOTE,
                    f"layout {layout!r} is neither 'job-posting' nor 'blog': not served",
                ))

    def build(self, source: _Source) -> Document | None:
        if source.kind is None:
            return None
        data = source.parsed.data
        check = _FieldReader(source, self.timezone)
        title = check.text("title")
        if not title:
            source.problems.append(Problem(
                source.display, source.line_of("title"), Severity.ERROR,
                "missing title; file skipped",
            ))
            return None
        check.unknown_keys()
        check.path_segments()
        document = Document(
            kind=source.kind,
            lang=source.lang,
            slug=source.stem,
            source=source.display,
            title=title,
            description=check.text("description"),
            body_html=render_markdown(source.parsed.body),
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
            details=tuple(
                (key, check.text(key)) for key in DETAIL_KEYS if check.text(key)
            ),
            closing_at=check.closing_date(),
            questions=check.questions(),
        )
        if document.image and not document.image_alt:
            source.problems.append(Problem(
                source.display, source.line_of("image"), Severity.WARNING,
                "image has no 'image-alt' text for screen-reader users",
            ))
        if document.draft:
            source.problems.append(Problem(
                source.display, source.line_of("draft"), Severity.NOTE,
                "draft: true, not published",
            ))
        if document.kind is Kind.POSTING:
            check.test_posting(document)
        return document

    def choose_slugs(self, documents: list[Document]) -> list[Document]:
        """Keep one document per kind, language and slug; report the others."""
        by_slug: dict[tuple[Kind, str, str], list[Document]] = defaultdict(list)
        for document in documents:
            by_slug[(document.kind, document.lang, slug_key(document.slug))].append(document)
        served = []
        for group in by_slug.values():
            winner, *others = sorted(group, key=self.preference)
            served.append(winner)
            for other in others:
                self.report(
                    other.source, 1, Severity.WARNING,
                    f"slug {other.slug!r} is also used by {winner.source}, which is "
                    "served instead (published, clean, open, paired files win); rename one file",
                )
        return served

    def pair(self, documents: list[Document]) -> dict[DocumentKey, dict[str, str]]:
        """Pair documents across languages by normalised translationKey."""
        groups: dict[tuple[Kind, str], dict[str, list[Document]]] = defaultdict(
            lambda: defaultdict(list)
        )
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
                        duplicate.source, duplicate.translation_key_line, Severity.ERROR,
                        f"duplicate translationKey {key!r} in {lang!r}: "
                        f"{winner.source} has it too and is paired instead",
                    )
            slugs = {lang: doc.slug for lang, doc in chosen.items()}
            for document in chosen.values():
                translations[(kind, document.lang, document.slug)] = slugs
            self.compare_translations(list(chosen.values()))
        for document in documents:
            slugs = translations.get((document.kind, document.lang, document.slug), {})
            missing = [lang for lang in self.languages if lang not in slugs and lang != document.lang]
            if not document.translation_key:
                self.report(
                    document.source, document.translation_key_line, Severity.WARNING,
                    "no translationKey: cannot be paired with its translation",
                )
            elif missing:
                self.report(
                    document.source, document.translation_key_line, Severity.WARNING,
                    f"unpaired: no {'/'.join(missing)} file has translationKey "
                    f"{document.translation_key!r}",
                )
        return translations

    def preference(self, document: Document) -> tuple:
        """Order documents competing for one slug or key: the first one wins.

        Published before draft, clean front matter before doubtful, open
        before archived, paired before keyless, then by path.
        """
        return (
            document.draft,
            document.source in self.doubtful,
            document.archived,
            document.translation_key is None,
            document.source,
        )

    def compare_translations(self, documents: list[Document]) -> None:
        """Report translations that disagree on what a candidate is asked."""
        first, *others = sorted(documents, key=lambda doc: self.languages.index(doc.lang))
        for other in others:
            if _question_shape(other) != _question_shape(first):
                self.report(
                    other.source, 1, Severity.WARNING,
                    f"questions differ from {first.source} (ids, types or choice ids): "
                    "answers cannot be matched across languages",
                )
            if other.closing_at != first.closing_at:
                self.report(
                    other.source, 1, Severity.WARNING,
                    f"closingDate differs from {first.source}",
                )

    def collect_aliases(self, documents: list[Document]) -> dict[str, DocumentKey]:
        aliases: dict[str, DocumentKey] = {}
        for document in sorted(documents, key=self.preference):
            for alias in document.aliases:
                if alias in aliases:
                    self.report(
                        document.source, 1, Severity.WARNING,
                        f"alias {alias!r} is already used by another file; ignored here",
                    )
                    continue
                aliases[alias] = (document.kind, document.lang, document.slug)
        return aliases


def _markdown_files(folder: Path) -> Iterable[Path]:
    """Yield ``*.md`` files below ``folder`` in a stable order, skipping hidden
    files and Hugo section pages (``_index.md``)."""
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md") and not name.startswith((".", "_")):
                yield Path(directory, name)


def _question_shape(document: Document) -> tuple:
    return tuple(
        (q.id, q.type, q.required, tuple(choice.id for choice in q.choices))
        for q in document.questions
    )




class _FieldReader:
    """Read front-matter values of one file, reporting what is odd about them."""

    def __init__(self, source: _Source, timezone: tzinfo) -> None:
        self.source = source
        self.data = source.parsed.data
        self.timezone = timezone

    def warn(self, key: str, message: str, severity: Severity = Severity.WARNING) -> None:
        self.source.problems.append(
            Problem(self.source.display, self.source.line_of(key), severity, message)
        )

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, (list, dict)):
            self.warn(key, f"{key!r} should be text, not a {type(value).__name__}")
            return ""
        return " ".join(str(value).split())

    def names(self, key: str) -> str | None:
        value = self.data.get(key)
        if isinstance(value, list):
            return ", ".join(str(item).strip() for item in value if item) or None
        return self.text(key) or None

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        if str(value).strip().lower() in _TRUE:
            return True
        if str(value).strip().lower() not in _FALSE:
            self.warn(key, f"{key}: {value!r} is not true or false; taken as false")
        return False

    def translation_key(self) -> str | None:
        raw = self.data.get("translationKey")
        key = normalise_translation_key(raw)
        if key is not None and key.isdigit():
            self.warn(
                "translationKey",
                f"translationKey {key!r} is a bare number, probably a CMS placeholder",
            )
        return key

    def lever_id(self) -> str | None:
        value = self.data.get("leverId")
        if value is None:
            return None
        text = str(value).strip()
        if not _UUID.match(text):
            self.warn("leverId", f"leverId {text!r} is not a Lever posting id (a UUID)")
        return text or None

    def date(self) -> datetime | None:
        value = self.data.get("date")
        if value is None or value == "":
            return None
        try:
            return parse_date(value, self.timezone)
        except ValueError:
            self.warn("date", f"date {value!r} is not a date this portal understands; ignored")
            return None

    def closing_date(self) -> datetime | None:
        value = self.data.get("closingDate")
        if value is None or value == "":
            return None
        try:
            # A date alone closes at the end of that day, local time.
            return datetime.combine(date.fromisoformat(str(value).strip()), time(23, 59, 59),
                                    tzinfo=self.timezone)
        except ValueError:
            pass
        try:
            return parse_date(value, self.timezone)
        except ValueError:
            self.warn(
                "closingDate",
                f"closingDate {value!r} is not an ISO 8601 date; the posting has no deadline",
            )
            return None

    def questions(self) -> tuple[Question, ...]:
        value = self.data.get("questions")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.warn("questions", "questions must be a list; none are asked")
            return ()
        questions: list[Question] = []
        for position, item in enumerate(value, start=1):
            problem, question = _read_question(item)
            if problem:
                self.warn("questions", f"question {position}: {problem}; it is not asked")
            elif question.id in {q.id for q in questions}:
                self.warn("questions", f"question {position}: id {question.id!r} is used twice")
            else:
                questions.append(question)
        return tuple(questions)

    def tags(self) -> tuple[str, ...]:
        value = self.data.get("tags")
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        return tuple(" ".join(str(item).split()) for item in items if str(item or "").strip())

    def aliases(self) -> tuple[str, ...]:
        found = []
        for key in ("aliases", "url"):
            value = self.data.get(key)
            for item in value if isinstance(value, list) else [value]:
                if item and str(item).strip().strip("/"):
                    found.append("/" + str(item).strip().strip("/") + "/")
        return tuple(dict.fromkeys(found))

    def unknown_keys(self) -> None:
        for key in self.data:
            if key in KNOWN_KEYS:
                continue
            folded = {known.replace("-", "").lower(): known for known in KNOWN_KEYS}
            plain = key.replace(" ", "").replace("-", "").replace("_", "").lower()
            guess = folded.get(plain) or next(
                iter(difflib.get_close_matches(key, KNOWN_KEYS, n=1)), None
            )
            hint = f"; did you mean {guess!r}?" if guess else ""
            self.warn(key, f"unknown front-matter key {key!r} ignored{hint}")
        present = [key for key in DETAIL_KEYS if key in self.data]
        if present:
            self.warn(
                present[0],
                f"optional posting details {', '.join(present)} shown on the posting page",
                Severity.NOTE,
            )

    def path_segments(self) -> None:
        source = self.source
        parts = (*source.folder, source.stem)
        for index, part in enumerate(parts[:-1]):
            if part.endswith("-") or parts[index + 1].startswith("-"):
                joined = "/".join(parts[index:])
                self.warn(
                    "title",
                    f"path '{joined}' looks like a title containing '/' split into "
                    f"folders; the slug is {source.stem!r}",
                )
                return

    def test_posting(self, document: Document) -> None:
        if _TEST_TITLE.match(document.title):
            self.warn("title", f"looks like a CMS test posting (title {document.title!r})")


def _read_question(item: Any) -> tuple[str | None, Question | None]:
    """Return (problem, None) or (None, question) for one ``questions`` entry."""
    if not isinstance(item, dict):
        return "must be a mapping with id, type and label", None
    question_id = str(item.get("id") or "").strip()
    label = " ".join(str(item.get("label") or "").split())
    kind = _QUESTION_TYPES.get(str(item.get("type") or "").strip().lower())
    if not question_id:
        return "has no id", None
    if not label:
        return "has no label", None
    if kind is None:
        return f"type {item.get('type')!r} is not text, yes-no or choice", None
    choices: list[Choice] = []
    if kind is QuestionType.CHOICE:
        raw = item.get("choices")
        if not isinstance(raw, list) or not raw:
            return "a choice question needs a list of choices", None
        for number, choice in enumerate(raw, start=1):
            if isinstance(choice, dict):
                choice_id = str(choice.get("id") or number).strip()
                choice_label = " ".join(str(choice.get("label") or "").split())
            else:
                choice_id, choice_label = str(number), " ".join(str(choice).split())
            if not choice_label:
                return f"choice {number} has no label", None
            choices.append(Choice(choice_id, choice_label))
        if len({choice.id for choice in choices}) != len(choices):
            return "two choices share an id", None
    required = item.get("required", True)
    return None, Question(
        id=question_id,
        type=kind,
        label=label,
        required=required if isinstance(required, bool) else str(required).lower() in _TRUE,
        hint=" ".join(str(item.get("hint") or "").split()),
        choices=tuple(choices),
    )


def parse_date(value: Any, timezone: tzinfo) -> datetime:
    """Parse any date format the CDS site used into an aware datetime.

    ``2019-07-23T13:00:00.000Z``, ``2023-05-01 12:00:00 -0400``,
    ``2024-01-02T10:00:00`` (local time) and ``2024-01-02`` are understood.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone)
    return moment.astimezone(timezone)
