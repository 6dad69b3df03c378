"""The immutable content index: documents, their translations, and problems."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from .criteria import Criterion
from .jobfacts import NO_FACTS, JobFacts
from .text import fold, plain_text


class Kind(StrEnum):
    """What a content file is, and so where it is served."""

    POSTING = "jobs"
    STORY = "blog"


class Severity(StrEnum):
    """How bad a content problem is: only errors fail ``flask content check``."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong (or worth knowing) about one content file."""

    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


class QuestionType(StrEnum):
    """The kinds of screening question a posting may ask."""

    TEXT = "text"
    YES_NO = "yes-no"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer offered by a single-choice question."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """A screening question declared in a posting's front matter.

    The EN and FR files of a posting declare the same ``id``s (and choice
    ids), each with labels in its own language.
    """

    id: str
    type: QuestionType
    label: str
    required: bool = True
    hint: str = ""
    choices: tuple[Choice, ...] = ()
    #: The answer ("yes" or "no") a yes-no question marked essential needs;
    #: empty for a question that is not an essential requirement.
    required_answer: str = ""

    @property
    def essential(self) -> bool:
        """Tell whether the question is an essential requirement of the job."""
        return bool(self.required_answer)

    def meets(self, answer: str) -> bool:
        """Tell whether ``answer`` meets the question (always, unless it is essential)."""
        return not self.essential or answer == self.required_answer


@dataclass(frozen=True, slots=True)
class Document:
    """A job posting or blog story in one language, body already sanitised."""

    kind: Kind
    lang: str
    slug: str
    source: str
    title: str
    description: str
    body_html: str
    translation_key: str | None = None
    #: Line of ``translationKey`` in the file (1 when absent), for reports.
    translation_key_line: int = 1
    archived: bool = False
    draft: bool = False
    link_hidden: bool = False
    form_hidden: bool = False
    lever_id: str | None = None
    author: str | None = None
    date: datetime | None = None
    image: str | None = None
    image_alt: str | None = None
    thumb: str | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    #: What a posting states as data: classification, salary, employment, places, languages.
    facts: JobFacts = NO_FACTS
    #: When applications close (``closingDate``), aware; None: no deadline.
    closing_at: datetime | None = None
    #: ``closingDate`` is written but is no date: no applications are taken.
    closing_date_unreadable: bool = False
    questions: tuple[Question, ...] = ()
    #: The merit criteria (essential and asset qualifications) candidates are assessed on.
    criteria: tuple[Criterion, ...] = ()
    #: ``nameBlind``: the stage (a ``Status`` value: screening, interview, offer)
    #: from which reviewers see candidates' names; None: review is not name-blind.
    name_blind: str | None = None
    #: Title, description and body folded for searching (made where the document is built).
    search_text: str = field(default="", compare=False, repr=False)

    @property
    def published(self) -> bool:
        """Drafts are not served at all."""
        return not self.draft

    @property
    def posting_key(self) -> str:
        """Identify the posting across languages (its translationKey), so
        applications in English and French belong to one posting."""
        return self.translation_key or f"{self.lang}:{self.slug}"

    def is_open(self, now: datetime) -> bool:
        """Tell whether the posting is open at ``now``: published, not
        archived, and its closing date (if any) not passed."""
        if not self.published or self.archived:
            return False
        return self.closing_at is None or now <= self.closing_at

    def is_listed(self, now: datetime) -> bool:
        """Tell whether listings show the document: open (for postings) and
        not hidden from listings."""
        if self.link_hidden:
            return False
        return self.is_open(now) if self.kind is Kind.POSTING else self.published

    def accepts_applications(self, now: datetime) -> bool:
        """Tell whether the apply form takes applications: an open posting
        whose form is not hidden."""
        return (
            self.kind is Kind.POSTING
            and self.is_open(now)
            and not self.form_hidden
            and not self.closing_date_unreadable
        )


def slug_key(slug: str) -> str:
    """Return the form of a slug used to find it whatever its case or encoding."""
    return unicodedata.normalize("NFC", slug).casefold()


DocumentKey = tuple[Kind, str, str]


def searchable_text(title: str, description: str, body_html: str) -> str:
    """A document's words as searches compare them: title, description and body, folded."""
    return fold(f"{title} {description} {plain_text(body_html)}")


@dataclass(frozen=True, eq=False)
class ContentIndex:
    """Every served document, looked up by kind, language and slug, and
    postings by their posting key.

    Built once by the loader; never changed afterwards, so requests can share
    it without locks. A new index replaces the old one when files change.
    """

    roots: tuple[str, ...]
    signature: str
    documents: Mapping[DocumentKey, Document]
    translations: Mapping[DocumentKey, Mapping[str, str]]
    listings: Mapping[tuple[Kind, str], tuple[Document, ...]]
    aliases: Mapping[str, DocumentKey]
    problems: tuple[Problem, ...]
    _folded: Mapping[tuple[Kind, str, str], str]
    #: Every posting (drafts too) by posting key, then language.
    _postings: Mapping[str, Mapping[str, Document]]
    #: Title, description and body of every document, folded for searching.
    _search_texts: Mapping[DocumentKey, str]

    @classmethod
    def build(
        cls,
        *,
        roots: tuple[str, ...],
        signature: str,
        documents: dict[DocumentKey, Document],
        translations: dict[DocumentKey, dict[str, str]],
        aliases: dict[str, DocumentKey],
        problems: list[Problem],
    ) -> ContentIndex:
        """Freeze the loader's results into an index."""
        listings: dict[tuple[Kind, str], list[Document]] = {}
        for document in documents.values():
            listings.setdefault((document.kind, document.lang), []).append(document)
        ordered = {key: tuple(sorted(docs, key=_listing_order)) for key, docs in listings.items()}
        folded = {(kind, lang, slug_key(slug)): slug for (kind, lang, slug) in documents}
        postings: dict[str, dict[str, Document]] = {}
        for (kind, lang, slug), document in documents.items():
            if kind is Kind.POSTING:
                # The translation the loader paired wins over a duplicate key.
                paired = translations.get((kind, lang, slug), {}).get(lang) == slug
                by_lang = postings.setdefault(document.posting_key, {})
                if paired or lang not in by_lang:
                    by_lang[lang] = document
        return cls(
            roots=roots,
            signature=signature,
            documents=MappingProxyType(dict(documents)),
            translations=MappingProxyType(
                {key: MappingProxyType(dict(value)) for key, value in translations.items()}
            ),
            listings=MappingProxyType(ordered),
            aliases=MappingProxyType(dict(aliases)),
            problems=tuple(sorted(problems)),
            _folded=MappingProxyType(folded),
            _postings=MappingProxyType({key: MappingProxyType(by_lang) for key, by_lang in postings.items()}),
            _search_texts=MappingProxyType(
                {
                    key: doc.search_text or searchable_text(doc.title, doc.description, doc.body_html)
                    for key, doc in documents.items()
                }
            ),
        )

    def get(self, kind: Kind, lang: str, slug: str) -> Document | None:
        """Return the published document at exactly this slug, or None."""
        document = self.documents.get((kind, lang, slug))
        return document if document is not None and document.published else None

    def canonical_slug(self, kind: Kind, lang: str, slug: str) -> str | None:
        """Return the served slug that ``slug`` names, ignoring case and encoding."""
        return self._folded.get((kind, lang, slug_key(slug)))

    def find(self, kind: Kind, lang: str, slug: str) -> Document | None:
        """Return the document an inexact URL means, so it can be redirected.

        The slug may differ in case or Unicode form, or belong to another
        language: then the translation in ``lang`` is preferred, else the
        document itself.
        """
        canonical = self.canonical_slug(kind, lang, slug)
        if canonical is not None:
            return self.get(kind, lang, canonical)
        for other_kind, other_lang in self.listings:
            if other_kind is not kind or other_lang == lang:
                continue
            canonical = self.canonical_slug(kind, other_lang, slug)
            document = canonical and self.get(kind, other_lang, canonical)
            if document:
                return self.counterparts(document).get(lang, document)
        return None

    def counterparts(self, document: Document) -> dict[str, Document]:
        """Return the published translations of ``document``, by language."""
        slugs = self.translations.get((document.kind, document.lang, document.slug), {})
        found = {}
        for lang, slug in slugs.items():
            other = self.get(document.kind, lang, slug)
            if other is not None and lang != document.lang:
                found[lang] = other
        return found

    def translations_of(self, document: Document) -> dict[str, Document]:
        """Return ``document`` and its published translations, by language."""
        return {document.lang: document, **self.counterparts(document)}

    def postings(self, posting_key: str) -> Mapping[str, Document]:
        """Return every translation of a posting (drafts too), by language."""
        return self._postings.get(posting_key, MappingProxyType({}))

    def posting_keys(self) -> tuple[str, ...]:
        """Return the key of every published posting."""
        return tuple(
            key
            for key, by_lang in self._postings.items()
            if any(document.published for document in by_lang.values())
        )

    def posting(self, posting_key: str, lang: str) -> Document | None:
        """Return a published posting in ``lang``, else in another language, else None."""
        published = [doc for doc in self.postings(posting_key).values() if doc.published]
        return next((doc for doc in published if doc.lang == lang), published[0] if published else None)

    def search_text(self, document: Document) -> str:
        """Return the document's title, description and body as searches compare them."""
        return self._search_texts.get((document.kind, document.lang, document.slug), "")

    def listed(self, kind: Kind, lang: str, now: datetime) -> tuple[Document, ...]:
        """Return the documents a listing page shows at ``now``, in display order."""
        return tuple(doc for doc in self.listings.get((kind, lang), ()) if doc.is_listed(now))

    def all(self, kind: Kind, lang: str) -> tuple[Document, ...]:
        """Return every document of a kind and language, drafts included."""
        return self.listings.get((kind, lang), ())


def _listing_order(document: Document) -> tuple:
    # Newest first where there is a date, then by title.
    timestamp = document.date.timestamp() if document.date else float("-inf")
    return (-timestamp, document.title.casefold(), document.slug)
