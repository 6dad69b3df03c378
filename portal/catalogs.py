"""Gettext catalogs, handled with Babel's Python API (no shelling out to pybabel)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

DOMAIN = "messages"
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


def catalog_paths(directory: Path) -> list[Path]:
    """Return every ``<locale>/LC_MESSAGES/messages.po`` below ``directory``."""
    return sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def compile_catalogs(directory: Path) -> list[CompiledCatalog]:
    """Compile each ``.po`` catalog in ``directory`` to its ``.mo`` beside it.

    Fuzzy entries are left out of the ``.mo`` (gettext's rule), so users see
    the source text rather than a guess.
    """
    results = []
    for po_path in catalog_paths(directory):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        entries = [message for message in catalog if message.id]
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        results.append(CompiledCatalog(
            locale=str(catalog.locale),
            path=po_path.with_suffix(".mo"),
            messages=len(entries),
            untranslated=sum(1 for message in entries if not _translated(message)),
            fuzzy=sum(1 for message in entries if message.fuzzy),
        ))
    return results


def _translated(message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string)


def extract(project_root: Path, mapping_file: Path, project: str, version: str) -> Catalog:
    """Extract every message from the code and templates named in ``babel.cfg``."""
    with mapping_file.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project=project, version=version, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        project_root, method_map, options_map, keywords=KEYWORDS,
        comment_tags=(COMMENT_TAG,), strip_comment_tags=True,
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
