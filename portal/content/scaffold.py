"""New content files: a job posting or blog story started in every language.

``flask content new`` writes one Markdown file per language, paired by one
``translationKey``, with every front-matter key the portal reads for that
kind, each with a placeholder or its default and a comment saying what it is
and the values allowed (docs/content.md). The files are drafts (``draft:
true``): nothing is served until an editor publishes each of them. The
front matter is built once for all languages, so the translations agree on
ids, kinds, facts and dates from the start; only the words differ.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path

import yaml

from . import frontmatter
from .criteria import CriterionKind
from .fields import NAME_BLIND_STAGES, collapse_spaces, normalise_translation_key
from .jobfacts import EmploymentType, LanguageRequirement, RemoteWork, SalaryPeriod
from .loader import markdown_files
from .model import Kind, slug_key
from .text import fold

#: Where each kind of file goes below its language folder, as in the bundled tree.
FOLDERS = {Kind.POSTING: ("jobs",), Kind.STORY: ("blog", "posts")}
#: A new posting's closing date, this many days ahead (an editor sets the real one).
CLOSING_AFTER_DAYS = 30
#: Slugs longer than this are cut at a hyphen: a file name, and part of a URL.
MAX_SLUG = 80
#: Where comments start in the front matter (longer lines put theirs after two spaces).
_COMMENT_COLUMN = 34
#: Letters NFKD does not take apart, written as French and Nordic slugs write them.
_LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ß": "ss"})
#: Whatever is not a letter or a digit of any script: a hyphen in the slug.
_NOT_WORD = re.compile(r"[\W_]+")


class Taken(Exception):
    """A file, slug or translationKey the new files need is already used."""


@dataclass(frozen=True)
class NewFile:
    """One language's file of a new posting or story."""

    lang: str
    path: Path
    text: str


@dataclass(frozen=True)
class _Words:
    """The placeholder text of a new file, in its language."""

    posting_description: str
    posting_body: str
    story_description: str
    story_body: str
    #: Screening questions' labels (and hints, choices) by question id.
    questions: Mapping[str, str]
    criteria: Mapping[str, str]


#: The placeholder text of new files, one YAML file per language: content in
#: that language, not interface text.
PLACEHOLDERS = Path(__file__).with_name("placeholders")


def _words(lang: str, first: str) -> _Words:
    """The placeholders of ``lang``; a language without its own gets those
    of ``first`` (the first language asked for) to translate."""
    for name in (lang, first):
        path = PLACEHOLDERS / f"{name}.yaml"
        if path.is_file():
            return _Words(**yaml.safe_load(path.read_text(encoding="utf-8")))
    raise ValueError(f"no placeholder text for {lang!r} or {first!r} in {PLACEHOLDERS}")


def slugify(title: str) -> str:
    """Return the file name (without .md) a title gives: accents folded, lower
    case, words joined by hyphens ("Spécialiste de l’accessibilité" gives
    "specialiste-de-l-accessibilite"); letters of other scripts are kept."""
    words = _NOT_WORD.sub("-", fold(title).translate(_LIGATURES)).strip("-")
    words = unicodedata.normalize("NFC", words)
    if len(words) > MAX_SLUG:
        cut = words[: MAX_SLUG + 1].rpartition("-")[0]
        words = (cut or words[:MAX_SLUG]).strip("-")
    return words


def plan(
    kind: Kind,
    titles: Mapping[str, str],
    root: Path,
    *,
    timezone: tzinfo,
    now: datetime,
    key: str | None = None,
    roots: Sequence[Path] = (),
) -> list[NewFile]:
    """Return the files of a new posting or story, one per language of ``titles``.

    ``key`` is the translationKey (default: the slug of the first title).
    Files go under ``root``; ``roots`` (default: ``root``) are the folders
    whose files' slugs and translationKeys must not be reused. Raises
    ValueError for a title or key that cannot be used, Taken for one in use.
    """
    # Runs of ordinary spaces and line breaks only: a French title's U+00A0 stays.
    titles = {lang: collapse_spaces(str(title)) for lang, title in titles.items()}
    slugs = {}
    for lang, title in titles.items():
        slugs[lang] = slugify(title)
        if not slugs[lang]:
            raise ValueError(f"the {lang} title {title!r} has no letters or digits to name a file with")
    first = next(iter(titles))
    key = collapse_spaces(key if key is not None else slugs[first])
    normalised = normalise_translation_key(key)
    if normalised is None:
        raise ValueError("the translationKey is empty")
    if normalised.isdigit():
        raise ValueError(f"the translationKey {key!r} is a bare number: use words, like the slug")
    files = [
        NewFile(
            lang,
            Path(root, lang, *FOLDERS[kind], f"{slugs[lang]}.md"),
            _text(kind, _words(lang, first), title, key, timezone, now),
        )
        for lang, title in titles.items()
    ]
    _refuse_taken(files, normalised, roots or (root,))
    return files


def write(files: Sequence[NewFile]) -> None:
    """Create the files, all or none; raise Taken if one exists (made meanwhile)."""
    created: list[Path] = []
    try:
        for new in files:
            new.path.parent.mkdir(parents=True, exist_ok=True)
            with new.path.open("x", encoding="utf-8", newline="\n") as output:
                created.append(new.path)
                output.write(new.text)
    except FileExistsError as error:
        for path in created:
            path.unlink(missing_ok=True)
        raise Taken(f"{error.filename} already exists; nothing written") from None
    except OSError:
        for path in created:
            path.unlink(missing_ok=True)
        raise


def _refuse_taken(files: Sequence[NewFile], key: str, roots: Sequence[Path]) -> None:
    """Raise Taken when a new file's path or slug, or the key, is already in the tree."""
    for new in files:
        if new.path.exists():
            raise Taken(f"{new.path} already exists: refusing to overwrite it")
    wanted = {(new.lang, slug_key(new.path.stem)): new for new in files}
    for path, lang, existing_key in _existing(roots, [new.lang for new in files]):
        clash = wanted.get((lang, slug_key(path.stem)))
        if clash is not None:
            raise Taken(
                f"{path} already has the slug {clash.path.stem!r} in {lang}: give another title, "
                "or rename that file"
            )
        if existing_key == key:
            raise Taken(f"translationKey {key!r} is already used by {path}: choose another with --key")


def _existing(roots: Sequence[Path], languages: Sequence[str]) -> Iterator[tuple[Path, str, str | None]]:
    """Yield every content file of ``languages`` under ``roots``: its path,
    language and normalised translationKey (None when it has none or cannot be read)."""
    for root in roots:
        for lang in languages:
            for path in markdown_files(Path(root, lang)):
                try:
                    data = frontmatter.parse(path.read_text(encoding="utf-8")).data
                except (OSError, UnicodeDecodeError, frontmatter.FrontMatterError):
                    yield path, lang, None
                    continue
                yield path, lang, normalise_translation_key(data.get("translationKey"))


# The files' text ----------------------------------------------------------------


def _text(kind: Kind, words: _Words, title: str, key: str, timezone: tzinfo, now: datetime) -> str:
    local = now.astimezone(timezone)
    zone = str(getattr(timezone, "key", timezone))
    if kind is Kind.POSTING:
        lines = _posting(words, title, key, local, zone)
        body = words.posting_body
    else:
        lines = _story(words, title, key, local, zone)
        body = words.story_body
    return "---\n" + "".join(_commented(line, comment) for line, comment in lines) + "---\n" + body


def _posting(words: _Words, title: str, key: str, now: datetime, zone: str) -> list[tuple[str, str]]:
    # The time zone gives that day's offset, not today's: the clocks may change in between.
    closing = datetime.combine(now.date() + timedelta(days=CLOSING_AFTER_DAYS), time(23, 59), now.tzinfo)
    question, criterion = words.questions, words.criteria
    return [
        ("# A new job posting, not published: set draft: false in every language's file", ""),
        ("# to publish it. The keys are described in docs/content.md; to check:", ""),
        ("# .venv/bin/flask --app wsgi content check --strict", ""),
        ("layout: job-posting", "served as a job posting"),
        (f"title: {_scalar(title)}", "the page's <h1> and <title>"),
        *_description(words.posting_description),
        (f"translationKey: {_scalar(key)}", "pairs the translations: the same in every language"),
        ("draft: true", "true: not served at all; false: published"),
        ("archived: false", "true: closed (kept at its URL, answers 410, no apply action)"),
        ("linkHidden: false", "true: left out of listings, served to whoever has the link"),
        ("formHidden: false", "true: no apply action"),
        ("leverId: null", "its id in the old Lever system (a UUID); null for a new posting"),
        ("date: ''", f"first advertised, like '{_moment(now)}'; empty: the file's last change"),
        (
            f"closingDate: '{_moment(closing)}'",
            f"when applications close ({zone}); a date alone closes at 23:59:59 that day",
        ),
        ("classification: IT-03", "group and level; a list for several levels"),
        ("salary:", "what the job pays"),
        ("  min: 88000", "amounts, without separators"),
        ("  max: 110000", "optional: the same as min when absent"),
        ("  currency: CAD", "a three-letter code; default CAD"),
        ("  period: year", _one_of(SalaryPeriod)),
        ("compensation: ''", "salary as prose, shown as written when there is no salary"),
        ("employmentType: indeterminate", _one_of(EmploymentType)),
        ("termEnd: ''", "term positions only: when it ends, like 2028-03-31"),
        ("term: ''", "employment as prose, shown as written when there is no employmentType"),
        ("locations:", "places of work: city, then province or territory (code or name)"),
        ("  - Ottawa, ON", "the city as written in this file's language"),
        ("remote: hybrid", _one_of(RemoteWork)),
        ("languageRequirement: bilingual-imperative", _one_of(LanguageRequirement)),
        (
            "languageLevels: BBB/BBB",
            "bilingual positions only: reading, writing and oral levels, English/French (A, B, C, E, P or X)",
        ),
        (
            "nameBlind: false",
            f"name-blind review: false (names shown), true (hidden until interview) "
            f"or the stage names are shown from: {_one_of(NAME_BLIND_STAGES)}",
        ),
        ("questions:", "asked on the form; the same ids, types and choice ids in every language"),
        ("  - id: clearance", ""),
        ("    type: yes-no", "text, yes-no or choice"),
        (f"    label: {_scalar(question['clearance'])}", ""),
        ("    required: true", "default: true"),
        ("    essential: true", "yes-no only: an essential requirement; the answer alone rejects no one"),
        ("    requiredAnswer: yes", "yes or no: the answer that meets it"),
        ("  - id: work-location", ""),
        ("    type: choice", "one answer among the choices"),
        (f"    label: {_scalar(question['work-location'])}", ""),
        ("    required: true", ""),
        ("    choices:", "the same ids, in the same order, in every language"),
        ("      - id: remote", ""),
        (f"        label: {_scalar(question['work-location.remote'])}", ""),
        ("      - id: office", ""),
        (f"        label: {_scalar(question['work-location.office'])}", ""),
        ("  - id: experience", ""),
        ("    type: text", "a free answer, 5,000 characters at most"),
        (f"    label: {_scalar(question['experience'])}", ""),
        (f"    hint: {_scalar(question['experience.hint'])}", "optional, shown under the label"),
        ("    required: false", ""),
        ("criteria:", "merit criteria: the same ids and kinds in every language"),
        ("  - id: degree", "keep an id once applications are rated against it"),
        ("    kind: essential", _one_of(CriterionKind)),
        (f"    label: {_scalar(criterion['degree'])}", ""),
        ("  - id: duties", ""),
        ("    kind: essential", ""),
        (f"    label: {_scalar(criterion['duties'])}", ""),
        ("  - id: leading", ""),
        ("    kind: asset", ""),
        (f"    label: {_scalar(criterion['leading'])}", ""),
        ("aliases: []", "old paths of this page, like /old-name/, redirected here (url: works too)"),
    ]


def _story(words: _Words, title: str, key: str, now: datetime, zone: str) -> list[tuple[str, str]]:
    return [
        ("# A new blog story, not published: set draft: false in every language's file", ""),
        ("# to publish it. The keys are described in docs/content.md; to check:", ""),
        ("# .venv/bin/flask --app wsgi content check --strict", ""),
        ("layout: blog", "served as a blog story"),
        (f"title: {_scalar(title)}", "the page's <h1> and <title>"),
        *_description(words.story_description),
        (f"translationKey: {_scalar(key)}", "pairs the translations: the same in every language"),
        ("draft: true", "true: not served at all; false: published"),
        ("linkHidden: false", "true: left out of listings, served to whoever has the link"),
        (f"date: '{_moment(now)}'", f"publication date ({zone}); listings are newest first"),
        ("author: ''", "the by-line: a name, or a list of names"),
        ("image: ''", "the story's picture, like /static/img/content/story.svg"),
        ("image-alt: ''", "the picture's text for screen readers (needed with an image)"),
        ("thumb: ''", "the picture in listings; empty: the image"),
        ("tags: []", "topics shown under the story, like [Hiring, Careers]"),
        ("aliases: []", "old paths of this page, like /old-name/, redirected here (url: works too)"),
    ]


def _description(text: str) -> list[tuple[str, str]]:
    wrapped = textwrap.wrap(text, width=76, break_long_words=False, break_on_hyphens=False)
    return [
        ("description: >-", "the summary in listings, the lead paragraph and <meta description>"),
        *((f"  {line}", "") for line in wrapped),
    ]


def _commented(line: str, comment: str) -> str:
    if not comment:
        return line + "\n"
    return f"{line.ljust(_COMMENT_COLUMN - 2)}  # {comment}\n"


def _moment(moment: datetime) -> str:
    """Write a time as ISO 8601 with its offset, to the minute: '2027-01-04T23:59:00-05:00'."""
    return moment.replace(second=0, microsecond=0).isoformat()


def _one_of(values) -> str:
    values = [str(getattr(value, "value", value)) for value in values]
    return ", ".join(values[:-1]) + " or " + values[-1]


def _scalar(value: str) -> str:
    """Write a string as one YAML scalar, quoted when YAML would read it otherwise."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()
