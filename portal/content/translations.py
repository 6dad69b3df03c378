"""The translators' report: what keeps postings and stories from being
properly translated.

Six kinds of finding, for job postings and blog stories:

``unpaired``
    a file with no counterpart in another configured language; when an
    unpaired file of that language looks like its translation (keys, slugs or
    titles almost alike), it is suggested.
``inexact-key``
    two files paired only because keys are compared after trimming,
    lower-casing and removing a trailing slash (``wanted-ceo-cds`` and
    ``wanted-ceo-cds/``): the translator should make them identical.
``untranslated``
    a counterpart whose body is (nearly) the same text as the other
    language's, or whose long title is identical.
``stale``
    in a git checkout, a counterpart whose last commit is much older than
    the last commit of its source.
``open-closed``
    a posting open in one language and closed (archived, draft or past its
    closing date) in another: some candidates can apply, others cannot.
``closing-date``
    a posting whose translations close at different times.

Everything here is plain functions over a loaded :class:`ContentIndex`; the
``flask content translations`` command and the staff page only present it.
"""

from __future__ import annotations

import difflib
import html
import os
import re
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from . import frontmatter
from .fields import normalise_translation_key
from .loader import closed_one_of, closing_key, markdown_files
from .model import ContentIndex, Document, Kind

#: A counterpart last committed more than this many days before its source is stale.
DEFAULT_STALE_DAYS = 30
#: How alike (0 to 1) an unpaired file's key, slug or title must be to another
#: language's to be suggested as its pair.
LIKELY_PAIR_LIKENESS = 0.8
#: How alike (0 to 1) two bodies' words must be for the translation to look untranslated.
UNTRANSLATED_LIKENESS = 0.9
#: Identical titles shorter than this are probably names ("GC Notify"), not untranslated.
LONG_TITLE_CHARACTERS = 20
#: Bodies with fewer words than this are too short to call untranslated.
SHORTEST_COMPARED_BODY = 10
#: A git command taking longer than this (seconds) is given up.
GIT_TIMEOUT = 10

_SECONDS_PER_DAY = 86400
_TAG = re.compile(r"<[^>]*>")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
# Lever-era file names end with the posting id, or "--null" when it had none.
_LEVER_SUFFIX = re.compile(r"--(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|null)$")


class FindingKind(StrEnum):
    """What a finding is about, in the order the report lists them."""

    UNPAIRED = "unpaired"
    INEXACT_KEY = "inexact-key"
    UNTRANSLATED = "untranslated"
    STALE = "stale"
    OPEN_CLOSED = "open-closed"
    CLOSING_DATE = "closing-date"


class UnpairedReason(StrEnum):
    """Why a file has no counterpart in a language."""

    #: The file has no translationKey.
    NO_KEY = "no-key"
    #: No file of that language has its translationKey.
    NO_MATCH = "no-match"
    #: A file of that language has the key but is not served (see ``content check``).
    COUNTERPART_NOT_SERVED = "counterpart-not-served"
    #: Another file of the same language has the key and is paired instead.
    KEY_USED_TWICE = "key-used-twice"


@dataclass(frozen=True, slots=True)
class FileRef:
    """A content file named by a finding: where it is and how it is keyed."""

    language: str
    path: str
    slug: str
    title: str
    #: The translationKey as written in the file (None: the file has none).
    key: str | None

    def to_json(self) -> dict:
        """Return the file as a JSON-ready mapping."""
        return {
            "language": self.language,
            "path": self.path,
            "slug": self.slug,
            "title": self.title,
            "key": self.key,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a translator should look at, about one file."""

    kind: FindingKind
    content: Kind
    file: FileRef
    line: int
    message: str
    #: The language the finding is about: missing, or the counterpart's.
    other_language: str
    #: unpaired: why there is no counterpart.
    reason: UnpairedReason | None = None
    #: The other file the finding is about: the counterpart (inexact-key,
    #: untranslated, stale), the counterpart not served, or the file of the
    #: same language paired instead (unpaired).
    other: FileRef | None = None
    #: The likely pair of an unpaired file, if one was found.
    suggestion: FileRef | None = None
    #: How alike (0 to 1): the suggestion's key, slug or title; or the bodies.
    likeness: float | None = None
    #: untranslated: the titles are identical.
    same_title: bool = False
    #: stale: how many days the file's last commit is older than its source's.
    days_behind: int | None = None

    def __str__(self) -> str:
        return f"{self.file.path}:{self.line}: {self.kind}: {self.message}"

    def to_json(self) -> dict:
        """Return the finding as a JSON-ready mapping."""
        return {
            "kind": str(self.kind),
            "content": str(self.content),
            "language": self.file.language,
            "other_language": self.other_language,
            "path": self.file.path,
            "line": self.line,
            "key": self.file.key,
            "reason": None if self.reason is None else str(self.reason),
            "file": self.file.to_json(),
            "other": self.other.to_json() if self.other else None,
            "suggestion": self.suggestion.to_json() if self.suggestion else None,
            "likeness": None if self.likeness is None else round(self.likeness, 3),
            "same_title": self.same_title,
            "days_behind": self.days_behind,
            "message": self.message,
        }


@dataclass(frozen=True)
class TranslationReport:
    """Every finding, sorted by kind then path, and what was looked at."""

    findings: tuple[Finding, ...]
    documents: int
    pairs: int
    stale_days: int
    #: Whether any file had a git commit time (else staleness was not checked).
    git_history: bool
    roots: tuple[str, ...] = field(default=())

    def of_kind(self, kind: FindingKind) -> tuple[Finding, ...]:
        """Return the findings of one kind."""
        return tuple(finding for finding in self.findings if finding.kind is kind)

    def counts(self) -> dict[str, int]:
        """Return how many findings there are of each kind (zeros included)."""
        return {str(kind): len(self.of_kind(kind)) for kind in FindingKind}

    def summary(self) -> str:
        """Return a one-line summary for people."""
        counts = self.counts()
        suggested = sum(1 for finding in self.findings if finding.suggestion)
        history = "" if self.git_history else " (no git history: not checked)"
        return (
            f"{self.documents} documents, {self.pairs} translation pairs: "
            f"{counts['unpaired']} unpaired ({suggested} with a likely pair), "
            f"{counts['inexact-key']} inexact keys, {counts['untranslated']} untranslated, "
            f"{counts['stale']} stale{history}, {counts['open-closed']} open in one language only, "
            f"{counts['closing-date']} with different closing dates"
        )

    def short_path(self, path: str) -> str:
        """Return ``path`` relative to its content root, for display."""
        for root in self.roots:
            prefix = root.rstrip(os.sep) + os.sep
            if path.startswith(prefix):
                return path[len(prefix) :]
        return path

    def to_json(self) -> dict:
        """Return the whole report as a JSON-ready mapping."""
        return {
            "roots": list(self.roots),
            "documents": self.documents,
            "pairs": self.pairs,
            "stale_days": self.stale_days,
            "git_history": self.git_history,
            "counts": self.counts(),
            "findings": [finding.to_json() for finding in self.findings],
        }


CommitTime = Callable[[str], "int | None"]


def translation_report(
    index: ContentIndex,
    languages: Sequence[str],
    *,
    stale_days: int = DEFAULT_STALE_DAYS,
    commit_time: CommitTime | None = None,
    now: datetime | None = None,
) -> TranslationReport:
    """Build the translators' report over every posting and story of ``index``.

    ``commit_time(path)`` returns a file's last commit time (Unix seconds) or
    None; by default it asks git, and staleness is skipped where git or the
    repository is absent. ``now`` (default: the current time) tells which
    postings are open.
    """
    commit_time = commit_time or GitCommitTimes()
    documents = list(index.documents.values())
    groups = translation_groups(index)
    written = read_written_files(index.roots, languages)
    written_keys = {path: file.key for path, file in written.items()}
    for document in documents:
        if document.source not in written_keys:
            written_keys[document.source] = written_translation_key(document.source)
    served = {document.source for document in documents}
    unserved = [file for path, file in written.items() if path not in served]
    times = {doc.source: commit_time(doc.source) for group in groups for doc in group}
    findings = [
        *unpaired_findings(index, languages, written_keys, unserved),
        *inexact_key_findings(groups, written_keys),
        *untranslated_findings(groups, languages, written_keys),
        *stale_findings(groups, times, stale_days, written_keys),
        *open_state_findings(groups, languages, written_keys, now or datetime.now(UTC)),
    ]
    return TranslationReport(
        findings=tuple(sorted(findings, key=_finding_order)),
        documents=len(documents),
        pairs=len(groups),
        stale_days=stale_days,
        git_history=any(value is not None for value in times.values()),
        roots=tuple(index.roots),
    )


def _finding_order(finding: Finding) -> tuple:
    return (list(FindingKind).index(finding.kind), finding.file.path, finding.line, finding.other_language)


# Files and pairs ----------------------------------------------------------------


def translation_groups(index: ContentIndex) -> list[tuple[Document, ...]]:
    """Return the documents paired by the loader, one tuple per page, each in
    a stable order (by path). A toggle leading one way only (to the page that
    took the slug of a translation) is no pair."""
    seen: set[tuple] = set()
    groups = []
    for (kind, _lang, _slug), slugs in index.translations.items():
        identity = (kind, tuple(sorted(slugs.items())))
        if identity in seen or not _paired_both_ways(index, kind, slugs):
            continue
        seen.add(identity)
        members = [index.documents.get((kind, lang, slug)) for lang, slug in slugs.items()]
        members = [doc for doc in members if doc is not None]
        if len(members) > 1:
            groups.append(tuple(sorted(members, key=lambda doc: doc.source)))
    return sorted(groups, key=lambda group: group[0].source)


def missing_languages(index: ContentIndex, document: Document, languages: Sequence[str]) -> list[str]:
    """Return the configured languages in which ``document`` has no
    counterpart paired with it both ways."""
    slugs = index.translations.get((document.kind, document.lang, document.slug), {})
    return [
        lang
        for lang in languages
        if lang != document.lang
        and index.translations.get((document.kind, lang, slugs.get(lang, "")), {}).get(document.lang)
        != document.slug
    ]


def _paired_both_ways(index: ContentIndex, kind: Kind, slugs: Mapping[str, str]) -> bool:
    return all(index.translations.get((kind, lang, slug)) == slugs for lang, slug in slugs.items())


def read_written_files(roots: Iterable[str], languages: Sequence[str]) -> dict[str, FileRef]:
    """Describe every content file under ``roots`` (served or not) with its
    translationKey as written, by path (the loader's display path)."""
    found = {}
    for root in roots:
        for lang in languages:
            folder = os.path.join(root, lang)
            for path in markdown_files(Path(folder)):
                # The loader's display path: the root as given, then the relative parts.
                display = os.path.join(folder, *path.relative_to(folder).parts)
                found[display] = _written_file(display, lang)
    return found


def _written_file(path: str, lang: str) -> FileRef:
    data = _front_matter(path)
    key = data.get("translationKey")
    title = data.get("title")
    return FileRef(
        lang,
        path,
        unicodedata.normalize("NFC", Path(path).stem),
        " ".join(str(title).split()) if title else "",
        None if key is None else str(key),
    )


def _front_matter(path: str) -> dict:
    try:
        return frontmatter.parse(Path(path).read_text(encoding="utf-8")).data
    except (OSError, UnicodeDecodeError, frontmatter.FrontMatterError):
        return {}


def written_translation_key(path: str) -> str | None:
    """Return the translationKey exactly as written in the file, or None."""
    value = _front_matter(path).get("translationKey")
    return None if value is None else str(value)


def file_ref(document: Document, written_keys: dict[str, str | None]) -> FileRef:
    """Describe ``document`` for a finding."""
    return FileRef(
        document.lang,
        document.source,
        document.slug,
        document.title,
        written_keys.get(document.source, document.translation_key),
    )


# 1 and 2: unpaired files and their likely pairs ---------------------------------


def unpaired_findings(
    index: ContentIndex,
    languages: Sequence[str],
    written_keys: dict[str, str | None],
    unserved: Sequence[FileRef] = (),
) -> list[Finding]:
    """Report each file without a counterpart, once per missing language,
    saying why, and suggesting the likeliest unpaired file of that language."""
    explained = {}
    for document in index.documents.values():
        for lang in missing_languages(index, document, languages):
            explained[(document, lang)] = unpaired_reason(index, document, lang, unserved)
    open_questions = defaultdict(list)
    for (document, lang), (reason, _other) in explained.items():
        if reason in (UnpairedReason.NO_KEY, UnpairedReason.NO_MATCH):
            open_questions[document].append(lang)
    suggestions = likely_pairs(open_questions)
    return [
        _unpaired_finding(document, lang, reason, other, suggestions.get((document, lang)), written_keys)
        for (document, lang), (reason, other) in explained.items()
    ]


def unpaired_reason(
    index: ContentIndex,
    document: Document,
    lang: str,
    unserved: Sequence[FileRef],
) -> tuple[UnpairedReason, FileRef | Document | None]:
    """Tell why ``document`` has no counterpart in ``lang``, with the file
    that explains it (a counterpart not served, a file paired instead)."""
    key = document.translation_key
    if key is None:
        return UnpairedReason.NO_KEY, None
    for other in index.all(document.kind, document.lang):
        if (
            other is not document
            and other.translation_key == key
            and (other.kind, other.lang, other.slug) in index.translations
        ):
            return UnpairedReason.KEY_USED_TWICE, other
    for file in unserved:
        if file.language == lang and normalise_translation_key(file.key) == key:
            return UnpairedReason.COUNTERPART_NOT_SERVED, file
    return UnpairedReason.NO_MATCH, None


def _unpaired_finding(
    document: Document,
    lang: str,
    reason: UnpairedReason,
    other: FileRef | Document | None,
    suggestion: tuple[Document, float] | None,
    written_keys: dict[str, str | None],
) -> Finding:
    key = written_keys.get(document.source, document.translation_key)
    if isinstance(other, Document):
        other = file_ref(other, written_keys)
    message = {
        UnpairedReason.NO_KEY: f"no translationKey, so no {lang} counterpart can be paired with it",
        UnpairedReason.NO_MATCH: f"no {lang} file has translationKey {key!r}",
        UnpairedReason.COUNTERPART_NOT_SERVED: (
            f"its {lang} counterpart {other and other.path} has translationKey "
            f"{other and other.key!r} but is not served (see flask content check)"
        ),
        UnpairedReason.KEY_USED_TWICE: (
            f"translationKey {key!r} is also used by {other and other.path}, "
            "which is paired instead: give this file its own key"
        ),
    }[reason]
    likely, likeness = suggestion if suggestion else (None, None)
    if likely is not None:
        likely_key = written_keys.get(likely.source, likely.translation_key)
        message += (
            f"; likely pair: {likely.source} (translationKey {likely_key!r}, "
            f"{likeness:.0%} alike): give both the same translationKey"
        )
    return Finding(
        kind=FindingKind.UNPAIRED,
        content=document.kind,
        file=file_ref(document, written_keys),
        line=document.translation_key_line,
        message=message,
        other_language=lang,
        reason=reason,
        other=other,
        suggestion=file_ref(likely, written_keys) if likely is not None else None,
        likeness=likeness,
    )


def likely_pairs(
    unpaired: dict[Document, list[str]],
    threshold: float = LIKELY_PAIR_LIKENESS,
) -> dict[tuple[Document, str], tuple[Document, float]]:
    """Match unpaired files of one kind across languages, best likeness first,
    each file with at most one file per other language.

    ``unpaired`` gives each file's languages without a counterpart. Returns
    ``{(document, other language): (likely pair, likeness)}``, both ways.
    """
    candidates = []
    for first, first_missing in unpaired.items():
        for second, second_missing in unpaired.items():
            if (
                first.kind is second.kind
                and first.lang < second.lang
                and second.lang in first_missing
                and first.lang in second_missing
            ):
                likeness = pair_likeness(first, second)
                if likeness >= threshold:
                    candidates.append((-likeness, first.source, second.source, first, second))
    chosen: dict[tuple[Document, str], tuple[Document, float]] = {}
    for negative_likeness, _, _, first, second in sorted(candidates, key=lambda c: c[:3]):
        if (first, second.lang) in chosen or (second, first.lang) in chosen:
            continue
        chosen[(first, second.lang)] = (second, -negative_likeness)
        chosen[(second, first.lang)] = (first, -negative_likeness)
    return chosen


def pair_likeness(first: Document, second: Document) -> float:
    """Return how alike two files' keys, slugs or titles are (the best of the
    three, 0 to 1), after folding case, accents and punctuation."""
    scores = [
        text_likeness(
            plain_form(_strip_lever_suffix(first.slug)), plain_form(_strip_lever_suffix(second.slug))
        ),
        text_likeness(plain_form(first.title), plain_form(second.title)),
    ]
    if first.translation_key and second.translation_key:
        scores.append(text_likeness(plain_form(first.translation_key), plain_form(second.translation_key)))
    return max(scores)


def plain_form(text: str) -> str:
    """Return ``text`` folded for comparison: no accents, lower case, words
    joined by single hyphens (``Équipe – Lead`` gives ``equipe-lead``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALPHANUMERIC.sub("-", bare.casefold()).strip("-")


def _strip_lever_suffix(slug: str) -> str:
    return _LEVER_SUFFIX.sub("", slug.casefold())


def text_likeness(first: str, second: str) -> float:
    """Return difflib's ratio of two short texts (0 when either is empty)."""
    if not first or not second:
        return 0.0
    return difflib.SequenceMatcher(None, first, second, autojunk=False).ratio()


# 2: pairs that only pair after normalisation ------------------------------------


def inexact_key_findings(
    groups: Iterable[tuple[Document, ...]],
    written_keys: dict[str, str | None],
) -> list[Finding]:
    """Report paired files whose translationKeys differ as written (case,
    spaces, trailing slash): they pair only because keys are normalised."""
    findings = []
    for group in groups:
        reference = _reference_key_holder(group, written_keys)
        reference_key = written_keys.get(reference.source)
        for document in group:
            key = written_keys.get(document.source)
            if document is reference or key is None or key == reference_key:
                continue
            findings.append(
                Finding(
                    kind=FindingKind.INEXACT_KEY,
                    content=document.kind,
                    file=file_ref(document, written_keys),
                    line=document.translation_key_line,
                    message=(
                        f"translationKey {key!r} pairs with {reference_key!r} in "
                        f"{reference.source} only after {_key_difference(key, reference_key)}: "
                        f"write it {reference_key!r}"
                    ),
                    other_language=reference.lang,
                    other=file_ref(reference, written_keys),
                )
            )
    return findings


def _reference_key_holder(
    group: tuple[Document, ...],
    written_keys: dict[str, str | None],
) -> Document:
    """Return the file whose written key the others should copy: one written
    in the normal form (lower case, no trailing slash) if any, else the first."""
    for document in group:
        if written_keys.get(document.source) == document.translation_key:
            return document
    return group[0]


def _key_difference(key: str, reference: str | None) -> str:
    """Name what normalisation had to do to make ``key`` match ``reference``."""
    reference = reference or ""
    changes = []
    if key.strip() != key or reference.strip() != reference:
        changes.append("trimming spaces")
    if key.strip().lower() != key.strip() or reference.strip().lower() != reference.strip():
        changes.append("lower-casing")
    if key.strip().endswith("/") or reference.strip().endswith("/"):
        changes.append("removing a trailing slash")
    return " and ".join(changes) or "normalising"


# 3: counterparts left untranslated ----------------------------------------------


def untranslated_findings(
    groups: Iterable[tuple[Document, ...]],
    languages: Sequence[str],
    written_keys: dict[str, str | None],
) -> list[Finding]:
    """Report counterparts whose body is (nearly) the text of the first
    language's file, or whose long title is the same."""
    findings = []
    for group in groups:
        reference, *others = sorted(group, key=lambda doc: _language_rank(doc.lang, languages))
        reference_words = body_words(reference.body_html)
        for document in others:
            likeness = body_likeness(reference_words, body_words(document.body_html))
            same_title = titles_look_untranslated(reference.title, document.title)
            if likeness is None and not same_title:
                continue
            findings.append(
                Finding(
                    kind=FindingKind.UNTRANSLATED,
                    content=document.kind,
                    file=file_ref(document, written_keys),
                    line=1,
                    message=_untranslated_message(reference, likeness, same_title),
                    other_language=reference.lang,
                    other=file_ref(reference, written_keys),
                    likeness=likeness,
                    same_title=same_title,
                )
            )
    return findings


def _language_rank(lang: str, languages: Sequence[str]) -> int:
    return languages.index(lang) if lang in languages else len(languages)


def _untranslated_message(reference: Document, likeness: float | None, same_title: bool) -> str:
    parts = []
    if same_title:
        parts.append(f"title is the same as in {reference.source}")
    if likeness is not None:
        parts.append(f"body is {likeness:.0%} the same text as in {reference.source}")
    return "; ".join(parts) + ": not translated?"


def body_words(body_html: str) -> list[str]:
    """Return the words of a rendered body: tags removed, entities decoded."""
    return html.unescape(_TAG.sub(" ", body_html)).split()


def body_likeness(
    first: list[str],
    second: list[str],
    threshold: float = UNTRANSLATED_LIKENESS,
) -> float | None:
    """Return how alike two bodies' words are (0 to 1) when it reaches
    ``threshold``, else None; bodies too short to tell give None."""
    if min(len(first), len(second)) < SHORTEST_COMPARED_BODY:
        return None
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    # The cheap upper bounds skip the full comparison of real translations.
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    likeness = matcher.ratio()
    return likeness if likeness >= threshold else None


def titles_look_untranslated(first: str, second: str) -> bool:
    """Tell whether two titles are the same and long enough not to be a name."""
    folded = " ".join(first.split()).casefold()
    return len(folded) >= LONG_TITLE_CHARACTERS and folded == " ".join(second.split()).casefold()


# 4: counterparts much older than their source -----------------------------------


def stale_findings(
    groups: Iterable[tuple[Document, ...]],
    times: dict[str, int | None],
    stale_days: int,
    written_keys: dict[str, str | None],
) -> list[Finding]:
    """Report counterparts last committed more than ``stale_days`` before the
    most recently committed file of their pair (the source)."""
    findings = []
    for group in groups:
        dated = [(times[doc.source], doc) for doc in group if times.get(doc.source) is not None]
        if len(dated) < 2:
            continue
        newest_time, source = max(dated, key=lambda item: (item[0], item[1].source))
        for when, document in dated:
            days_behind = (newest_time - when) // _SECONDS_PER_DAY
            if document is source or newest_time - when <= stale_days * _SECONDS_PER_DAY:
                continue
            findings.append(
                Finding(
                    kind=FindingKind.STALE,
                    content=document.kind,
                    file=file_ref(document, written_keys),
                    line=1,
                    message=(
                        f"last committed {days_behind} days before {source.source} "
                        f"(more than {stale_days}): the translation may be out of date"
                    ),
                    other_language=source.lang,
                    other=file_ref(source, written_keys),
                    days_behind=days_behind,
                )
            )
    return findings


class GitCommitTimes:
    """Return a file's last commit time from git, or None where git, the
    repository or the file's history is absent. Folders found outside any
    repository are remembered, so a plain tree costs one git call per folder.
    """

    def __init__(self) -> None:
        self._outside_git: set[str] = set()

    def __call__(self, path: str) -> int | None:
        folder, name = os.path.split(os.path.abspath(path))
        if folder in self._outside_git:
            return None
        output = run_git(folder, "log", "-1", "--format=%ct", "--", name)
        if output is None:
            self._outside_git.add(folder)
            return None
        return int(output) if output.isdigit() else None


def run_git(folder: str, *arguments: str) -> str | None:
    """Run ``git arguments`` in ``folder`` (no shell; read-only, no optional
    locks); return its stripped output, or None if git failed or is absent."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
    }
    environment["GIT_OPTIONAL_LOCKS"] = "0"
    try:
        completed = subprocess.run(
            ["git", "--literal-pathspecs", *arguments],
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


# 5 and 6: postings open in one language only, or closing at different times ----


def open_state_findings(
    groups: Iterable[tuple[Document, ...]],
    languages: Sequence[str],
    written_keys: dict[str, str | None],
    now: datetime,
) -> list[Finding]:
    """Report translations of a posting that are closed at ``now`` while the
    first language's is open (or the reverse), and translations whose
    closing date differs from the first language's."""
    findings = []
    for group in groups:
        reference, *others = sorted(group, key=lambda doc: _language_rank(doc.lang, languages))
        for document in others:
            closed = closed_one_of(reference, document, now)
            if closed is not None:
                opened = document if closed is reference else reference
                key = closing_key(closed, now)
                findings.append(
                    Finding(
                        kind=FindingKind.OPEN_CLOSED,
                        content=closed.kind,
                        file=file_ref(closed, written_keys),
                        line=front_matter_line(closed.source, key),
                        message=(
                            f"closed here ({key}) but open in {opened.source}: "
                            f"{opened.lang} readers can apply, {closed.lang} readers cannot"
                        ),
                        other_language=opened.lang,
                        other=file_ref(opened, written_keys),
                    )
                )
            if document.kind is Kind.POSTING and document.closing_at != reference.closing_at:
                findings.append(
                    Finding(
                        kind=FindingKind.CLOSING_DATE,
                        content=document.kind,
                        file=file_ref(document, written_keys),
                        line=front_matter_line(document.source, "closingDate"),
                        message=(
                            f"closes {_moment(document.closing_at)}, but {reference.source} "
                            f"closes {_moment(reference.closing_at)}"
                        ),
                        other_language=reference.lang,
                        other=file_ref(reference, written_keys),
                    )
                )
    return findings


def _moment(closing_at: datetime | None) -> str:
    return closing_at.isoformat() if closing_at else "never"


def front_matter_line(path: str, key: str) -> int:
    """Return the line of ``key`` in a file's front matter (1 when absent or unreadable)."""
    try:
        parsed = frontmatter.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, frontmatter.FrontMatterError):
        return 1
    return parsed.key_lines.get(key, 1)
