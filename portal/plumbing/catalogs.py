"""Gettext catalogs, handled with Babel's Python API (no shelling out to pybabel)."""

from __future__ import annotations

import copy
import gettext
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .http import build_fingerprint

DOMAIN = "messages"
#: The language the messages are written in, in the code: it needs no catalog.
SOURCE_LANGUAGE = "en"
#: Translator notes start with this tag in code and templates (``# i18n: ...``).
COMMENT_TAG = "i18n:"
#: Functions whose string arguments are messages, beyond gettext's own.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
    "gettext_in": (2,),
}


@dataclass(frozen=True)
class CompiledCatalog:
    """What compiling one catalog produced."""

    locale: str
    path: Path
    messages: int
    untranslated: int
    fuzzy: int


class CatalogError(ValueError):
    """A catalog that would break every page of its language if compiled."""


#: Placeholder-free markup is never in a source message: a tag in a translation is a mistake.
_TAG = re.compile(r"</?[A-Za-z!][^>]*>")
#: Enough numbers to meet every branch of any real language's plural rule.
_PLURAL_SAMPLES = (*range(0, 1001), 1_000_000, 2_000_000)


def plural_forms_problem(catalog: Catalog) -> str | None:
    """Say what is wrong with a catalog's Plural-Forms header, if anything:
    gettext fails on every page of the language when it does not parse."""
    try:
        count = int(catalog.num_plurals)
        rule = gettext.c2py(catalog.plural_expr)
        forms = {rule(number) for number in _PLURAL_SAMPLES}
    except (ValueError, TypeError, SyntaxError, RecursionError) as error:
        return f"the Plural-Forms header does not parse ({catalog.plural_forms!r}: {error})"
    if not 1 <= count <= 6 or not forms <= set(range(count)):
        return f"the Plural-Forms header gives forms outside nplurals={count} ({catalog.plural_forms!r})"
    return None


def catalog_paths(directory: Path) -> list[Path]:
    """Return every ``<locale>/LC_MESSAGES/messages.po`` below ``directory``."""
    return sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def compile_catalogs(directory: Path) -> list[CompiledCatalog]:
    """Compile each ``.po`` catalog in ``directory`` to its ``.mo`` beside it.

    Fuzzy entries are left out of the ``.mo`` (gettext's rule), so users see
    the source text rather than a guess. A catalog whose Plural-Forms header
    would break its language is refused (CatalogError) and not written.
    """
    results = []
    for po_path in catalog_paths(directory):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        problem = plural_forms_problem(catalog)
        if problem:
            raise CatalogError(f"{po_path}: {problem}")
        entries = [message for message in catalog if message.id]
        # Written beside, then moved in one step: a running server never reads half a file.
        partial = po_path.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        os.replace(partial, po_path.with_suffix(".mo"))
        results.append(
            CompiledCatalog(
                locale=str(catalog.locale),
                path=po_path.with_suffix(".mo"),
                messages=len(entries),
                untranslated=sum(1 for message in entries if not _translated(message)),
                fuzzy=sum(1 for message in entries if message.fuzzy),
            )
        )
    return results


def _translated(message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string)


def extract(project_root: Path, mapping_file: Path, project: str, version: str) -> Catalog:
    """Extract every message from the code and templates named in ``babel.cfg``.

    Extraction reads every source file; while none of them changed, a process
    (the test suite, a translator's session) reuses the last result.
    """
    with mapping_file.open() as cfg:
        method_map, _ = parse_mapping_cfg(cfg)
    folders = sorted({project_root / pattern.split("/", 1)[0] for pattern, _ in method_map})
    sources = f"{build_fingerprint(folders)}-{mapping_file.stat().st_mtime_ns}"
    return copy.deepcopy(_extract(project_root, mapping_file, project, version, sources))


@lru_cache(maxsize=4)
def _extract(project_root: Path, mapping_file: Path, project: str, version: str, sources: str) -> Catalog:
    with mapping_file.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project=project, version=version, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        project_root,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=(COMMENT_TAG,),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def write_template(template: Catalog, path: Path) -> None:
    """Write the extracted messages as a ``.pot`` template."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as pot:
        write_po(pot, template, width=100, sort_by_file=True)


def update_catalogs(directory: Path, template: Catalog) -> list[Path]:
    """Merge ``template`` into every catalog: new messages appear untranslated,
    changed ones fuzzy, and removed ones are dropped (not kept as obsolete)."""
    updated = []
    for po_path in catalog_paths(directory):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        catalog.update(template, update_creation_date=False)
        with po_path.open("wb") as po_file:
            write_po(po_file, catalog, width=100, sort_by_file=True, ignore_obsolete=True)
        updated.append(po_path)
    return updated


def init_catalog(directory: Path, locale: str, template: Catalog) -> Path:
    """Start a catalog for a new language from the template."""
    po_path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    po_path.parent.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(locale=locale, project=template.project, version=template.version)
    catalog.update(template)
    with po_path.open("wb") as po_file:
        write_po(po_file, catalog, width=100, sort_by_file=True)
    return po_path


@dataclass(frozen=True, order=True)
class CatalogProblem:
    """One thing a translator must fix, at its place in a file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{(\w*)\}")
_SPACES_BEFORE_PUNCTUATION = ("\u00a0", "\u202f")
#: A colon followed by a space or the end: typographic, unlike "https://" or "23:59".
_TYPOGRAPHIC_COLON = re.compile(r"(.?):(?=\s|$)")
#: Canadian usage (the Translation Bureau's): no space at all before ? ! ;
_SPACE_BEFORE_MARK = re.compile(r"[ \u00a0\u202f]([?!;])")


def is_french(locale: object) -> bool:
    """Say whether a locale (``fr``, ``fr_CA``...) follows French typography."""
    return str(locale).startswith("fr")


def placeholders(text: str) -> list[str]:
    """Return the placeholders of a message, sorted: ``%(name)s``, ``%s``, ``{name}``."""
    return sorted(match.group(0) for match in _PLACEHOLDER.finditer(text))


def typography_problems(text: str) -> list[str]:
    """Return what breaks Canadian French typography in ``text``: a
    non-breaking space before ':' and inside « », none before ? ! ;."""
    found = []
    for match in _TYPOGRAPHIC_COLON.finditer(text):
        if match.group(1) not in _SPACES_BEFORE_PUNCTUATION:
            found.append("put a non-breaking space (U+00A0) before ':'")
            break
    for index, char in enumerate(text):
        if char == "«" and text[index + 1 : index + 2] not in _SPACES_BEFORE_PUNCTUATION:
            found.append("put a non-breaking space after «")
            break
    for index, char in enumerate(text):
        if char == "»" and text[index - 1 : index] not in _SPACES_BEFORE_PUNCTUATION:
            found.append("put a non-breaking space before »")
            break
    marks = sorted({match.group(1) for match in _SPACE_BEFORE_MARK.finditer(text)})
    if marks:
        found.append(f"no space before {' '.join(marks)} in Canadian French")
    if "“" in text or "”" in text:
        found.append("use « » for quotations in French, not “ ”")
    return found


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _key(message) -> tuple:
    return (_ids(message)[0], message.context)


def check_catalog(po_path: Path, template: Catalog, display: str) -> list[CatalogProblem]:
    """Check one catalog against the messages extracted from the code now."""
    problems: list[CatalogProblem] = []
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=po_path.parent.parent.name)
    french = is_french(catalog.locale)
    wanted = {_key(message): message for message in template if message.id}
    present = {_key(message) for message in catalog if message.id}

    def report(line: int, message: str) -> None:
        problems.append(CatalogProblem(display, line, message))

    if problem := plural_forms_problem(catalog):
        report(1, problem)

    for message in catalog:
        if not message.id:
            continue
        label = _ids(message)[0]
        if message.fuzzy:
            report(message.lineno, f"fuzzy: check and confirm the translation of {label!r}")
        strings = _strings(message)
        if not all(strings):
            report(message.lineno, f"untranslated: {label!r}")
            continue
        sources = _ids(message)
        for number, string in enumerate(strings):
            source = sources[min(number, len(sources) - 1)]
            expected = placeholders(source)
            # A singular form may leave out the count ("one job" for "%(num)d jobs").
            optional = {"%(num)d"} if len(sources) > 1 else set()
            if (
                set(placeholders(string)) - set(expected)
                or set(expected) - set(placeholders(string)) - optional
            ):
                report(
                    message.lineno,
                    f"placeholders differ in {label!r}: "
                    f"{expected} in the source, {placeholders(string)} in the translation",
                )
        sources_have_markup = any(_TAG.search(source) for source in _ids(message))
        if not sources_have_markup and any(_TAG.search(string) for string in strings):
            report(
                message.lineno, f"HTML in the translation of {label!r}: write text only (it is shown escaped)"
            )
        if french:
            for problem in {p for string in strings for p in typography_problems(string)}:
                report(message.lineno, f"French typography in {label!r}: {problem}")
        if _key(message) not in wanted:
            report(message.lineno, f"no longer used in the code: {label!r} (run flask i18n update)")
    for message in catalog.obsolete.values():
        report(message.lineno, f"obsolete entry left behind: {_ids(message)[0]!r} (delete it)")
    for key, message in wanted.items():
        if key not in present:
            filename, line = message.locations[0] if message.locations else (display, 0)
            problems.append(
                CatalogProblem(
                    filename,
                    line or 0,
                    f"not in {po_path.parent.parent.name} catalog: {key[0]!r} (run flask i18n update)",
                )
            )
    return sorted(problems)


def check_catalogs(directory: Path, template: Catalog, root: Path) -> list[CatalogProblem]:
    """Check every catalog under ``directory``; paths are shown relative to ``root``."""
    problems = []
    for po_path in catalog_paths(directory):
        try:
            display = str(po_path.relative_to(root))
        except ValueError:
            display = str(po_path)
        problems.extend(check_catalog(po_path, template, display))
    return problems
