"""A language's glossary and house rules, and the checks that apply them.

The glossary is data (``translations/<lang>/glossary.yaml``; French has one):
one term per concept, and the terms to avoid with why. :func:`text_problems`
finds them and the mechanical house rules (French typography, numbers with
units) in one line of text; :func:`check_catalog` and :func:`check_content_file` apply it to
the catalog and to content files with file:line. A finding is silenced, on its
line only, by a note giving the term and a reason:
``# glossary-ok: <term> — <reason>`` (a translator comment in a ``.po``, or a
YAML comment in front matter) or ``<!-- glossary-ok: <term> — <reason> -->``
in a Markdown body, on the line or the line before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from babel.messages.pofile import read_po

from .catalogs import CatalogProblem, typography_problems

GLOSSARY_FILE = "glossary.yaml"

#: ``glossary-ok: <term> — <reason>`` (an en dash, or a hyphen between spaces, also separate them).
_SILENCE = re.compile(r"glossary-ok:\s*(?P<note>.*?)\s*(?:-->|$)")
_SEPARATOR = re.compile(r"\s*(?:—|–|\s-\s)\s*")
#: Thousands written with an ordinary space, or a unit glued or spaced with one.
_NUMBER_SPACE = re.compile(r"\d+(?: \d{3}(?!\d)| (?:%|\$|ko|Mo|Go)(?!\w)|(?:%|\$)(?!\w))")
#: Front-matter keys whose values are identifiers or dates, not French text.
_NOT_TEXT_KEYS = frozenset(
    {
        "layout",
        "type",
        "archived",
        "draft",
        "hidden",
        "leverId",
        "translationKey",
        "closingDate",
        "date",
        "lastmod",
        "publishDate",
        "expiryDate",
        "id",
        "required",
        "slug",
        "url",
        "aliases",
        "weight",
        "image",
        "classification",
    }
)
_COMMENT = re.compile(r"<!--.*?-->")
_KEY = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<key>[A-Za-z_][\w-]*):(?=\s|$)")


@dataclass(frozen=True)
class Avoid:
    """A term to avoid: what it is, how to find it, what to write instead and why."""

    term: str
    preferred: str
    why: str
    pattern: re.Pattern


@dataclass(frozen=True)
class Entry:
    """One concept (in English), the one term to use for it, and the terms to avoid."""

    concept: str
    use: str
    avoid: tuple[Avoid, ...]


@dataclass(frozen=True)
class Glossary:
    """The glossary's entries and house rules, ready to match."""

    entries: tuple[Entry, ...]
    rules: tuple[Avoid, ...]

    def avoided(self) -> tuple[Avoid, ...]:
        """Return every term to avoid, the house rules last."""
        return tuple(avoid for entry in self.entries for avoid in entry.avoid) + self.rules


def _term_pattern(term: str) -> str:
    words = [re.sub("['’]", "['’]", re.escape(word)) for word in term.split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


def _avoid(item: dict, preferred: str) -> Avoid:
    pattern = item.get("pattern") or _term_pattern(item["term"])
    return Avoid(item["term"], preferred, item["why"], re.compile(pattern, re.IGNORECASE))


def parse(text: str) -> Glossary:
    """Build a Glossary from the YAML text of a glossary file."""
    data = yaml.safe_load(text)
    entries = tuple(
        Entry(
            item["concept"],
            item["use"],
            tuple(_avoid(avoid, item["use"]) for avoid in item.get("avoid") or ()),
        )
        for item in data["terms"]
    )
    rules = tuple(_avoid(rule, rule["use"]) for rule in data.get("rules") or ())
    return Glossary(entries, rules)


def path_for(translations: Path, lang: str) -> Path:
    """Return where the glossary of ``lang`` is, beside its catalog."""
    return translations / lang / GLOSSARY_FILE


@lru_cache(maxsize=4)
def load(path: Path) -> Glossary:
    """Read a glossary file (once per process)."""
    return parse(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Silence:
    """A ``glossary-ok`` note: the term it allows, and why (empty: not given)."""

    term: str
    reason: str


def _split_note(note: str) -> Silence:
    parts = _SEPARATOR.split(note, maxsplit=1)
    return Silence(parts[0].strip(), parts[1].strip() if len(parts) > 1 else "")


def notes(text: str) -> list[Silence]:
    """Return the ``glossary-ok`` notes written in ``text``."""
    return [_split_note(match.group("note")) for match in _SILENCE.finditer(text)]


def text_problems(
    text: str, glossary: Glossary, allowed: list[Silence] = (), *, french: bool = True
) -> list[str]:
    """Return what ``text`` breaks: glossary terms to avoid and house rules,
    and for French, typography and numbers with units; terms in ``allowed``
    are let through."""
    allowed_terms = {silence.term.casefold() for silence in allowed}
    found = []
    for avoid in glossary.avoided():
        match = avoid.pattern.search(text)
        if match and avoid.term.casefold() not in allowed_terms:
            found.append(f"« {match.group(0)} »: write {avoid.preferred} ({avoid.why}) [term: {avoid.term}]")
    if not french:
        return found
    found.extend(f"French typography: {problem}" for problem in typography_problems(text))
    if match := _NUMBER_SPACE.search(text):
        found.append(
            f"« {match.group(0)} »: a non-breaking space (U+00A0) inside numbers and before %, $ and units"
        )
    return found


def _silence_problems(allowed: list[Silence], text: str, glossary: Glossary) -> list[str]:
    found = []
    for silence in allowed:
        if not silence.reason:
            found.append(f"glossary-ok for « {silence.term} » gives no reason (glossary-ok: term — reason)")
        elif not any(
            avoid.term.casefold() == silence.term.casefold() and avoid.pattern.search(text)
            for avoid in glossary.avoided()
        ):
            found.append(f"glossary-ok for « {silence.term} », which is not found here: remove it")
    return found


def check_catalog(po_path: Path, display: str, glossary: Glossary, *, french: bool) -> list[CatalogProblem]:
    """Check every translation in a catalog against the glossary and house rules.

    Typography is left to :func:`portal.plumbing.catalogs.check_catalog`.
    """
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=po_path.parent.parent.name)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        label = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
        text = "\n".join(string for string in strings if string)
        allowed = [note for comment in message.user_comments for note in notes(comment)]
        for problem in text_problems(text, glossary, allowed, french=french):
            if not problem.startswith("French typography"):
                problems.append(CatalogProblem(display, message.lineno, f"{label!r}: {problem}"))
        for problem in _silence_problems(allowed, text, glossary):
            problems.append(CatalogProblem(display, message.lineno, f"{label!r}: {problem}"))
    return problems


def _text_lines(lines: list[str]) -> list[tuple[int, str]]:
    """Return the (line number, French text) of a content file: front-matter
    values of text keys, and the body; identifiers, dates and comments left out."""
    found = []
    front = bool(lines) and lines[0].strip() == "---"
    skipping_indent = None
    for number, line in enumerate(lines, start=1):
        if front and number == 1:
            continue
        if front and line.strip() in ("---", "..."):
            front = False
            continue
        if not front:
            found.append((number, _COMMENT.sub("", line)))
            continue
        text = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        match = _KEY.match(text)
        indent = len(line) - len(line.lstrip())
        if match:
            skipping_indent = indent if match.group("key") in _NOT_TEXT_KEYS else None
            if skipping_indent is not None:
                continue
            value = text[match.end() :].strip()
            found.append((number, value.strip("'\"") if value not in (">-", ">", "|", "|-") else ""))
        elif skipping_indent is not None and indent > skipping_indent and text.strip():
            continue
        else:
            found.append((number, text.strip()))
    return found


def check_text_file(path: Path, display: str, glossary: Glossary, *, french: bool) -> list[CatalogProblem]:
    """Check a content file (Markdown with front matter, or a privacy
    notice) line by line; a ``glossary-ok`` note covers its line and the next."""
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = dict(_text_lines(lines))
    problems = []
    for number, text in texts.items():
        here = notes(lines[number - 1])
        before = notes(lines[number - 2]) if number > 1 else []
        for problem in text_problems(text, glossary, here + before, french=french):
            problems.append(CatalogProblem(display, number, problem))
        covered = f"{text}\n{texts.get(number + 1, '')}"
        for problem in _silence_problems(here, covered, glossary):
            problems.append(CatalogProblem(display, number, problem))
    return sorted(problems)


def check_content(
    directories: list[Path], root: Path, glossary: Glossary, *, french: bool
) -> list[CatalogProblem]:
    """Check every Markdown file below ``directories``; paths shown relative to ``root``."""
    problems = []
    for directory in directories:
        for path in sorted(directory.rglob("*.md")):
            try:
                display = str(path.relative_to(root))
            except ValueError:
                display = str(path)
            problems.extend(check_text_file(path, display, glossary, french=french))
    return problems


def markdown_table(glossary: Glossary) -> str:
    """Return the glossary as the Markdown table TRANSLATING.md shows."""
    rows = ["| English | French | not |", "| --- | --- | --- |"]
    for entry in glossary.entries:
        avoided = ", ".join(f"« {avoid.term} »" for avoid in entry.avoid)
        rows.append(f"| {entry.concept} | {entry.use} | {avoided} |")
    return "\n".join(rows) + "\n"
