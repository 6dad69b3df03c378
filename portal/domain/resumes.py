"""Check an uploaded résumé by its structure, within limits, before it is stored.

A PDF is parsed (pypdf) and refused when it is damaged, encrypted, or carries
active content: scripts, launch actions, attached files, rich media, XFA
forms. A DOCX or ODT is opened as a ZIP package whose directory is checked
(entry count, sizes, compression ratio, names) before anything is
decompressed; then it is refused when it holds macros, ActiveX controls,
embedded objects, or links to templates and files outside itself. A TXT must
be UTF-8 text that no browser would take for markup. Legacy Word files
(.doc) are refused: their macros cannot be checked here.

``screen`` then asks the virus scanner, when one is configured; what was
held while it was down waits until ``flask resumes scan`` (``held_resume_ids``,
``record_scan``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pyexpat import ExpatError, ParserCreate
from urllib.parse import quote
from xml.parsers import expat

import pypdf
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .antivirus import Clamd, ScannerUnavailable, Verdict
from .models import Application, Resume, ScanStatus

logger = logging.getLogger(__name__)

#: Allowed file-name extensions and the media type each is stored and served as.
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain; charset=utf-8",
}
#: Extensions refused with a reason of their own, so the candidate knows what to do.
REFUSED_EXTENSIONS = {"doc": "legacy_doc", "docm": "macros", "dotm": "macros"}
_MARKUP_STARTS = ("<!doctype", "<html", "<script", "<svg", "<?xml", "<head", "<body", "<iframe")

# PDF limits. pypdf's own limits bound each stream; these bound the whole file.
PDF_MAX_PAGES = 200
#: Dictionaries and arrays visited while looking for active content.
PDF_MAX_OBJECTS = 100_000
#: pypdf reads some 5,000 objects a second: a résumé has hundreds, a long portfolio thousands.
PDF_MAX_SECONDS = 5.0
#: The most any one stream may decompress to.
PDF_MAX_STREAM_BYTES = 16 * 1024 * 1024
#: Browsers sniff the start of a file: no markup there, even after the header.
PDF_SNIFFED_BYTES = 1024
_PDF_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|meta)\b", re.I)
#: Keys whose mere presence means active content, and the reason each is refused.
_PDF_ACTIVE_KEYS = {
    "/JavaScript": "active_content",
    "/JS": "active_content",
    "/XFA": "active_content",
    "/RichMediaContent": "active_content",
    "/RichMediaSettings": "active_content",
    "/EmbeddedFiles": "attachment",
    "/EF": "attachment",
}
#: Values of /S (action type), /Type and /Subtype that are active content.
_PDF_ACTIVE_NAMES = {
    "/JavaScript": "active_content",
    "/Launch": "active_content",
    "/RichMedia": "active_content",
    "/ImportData": "active_content",
    "/SubmitForm": "active_content",
    "/EmbeddedFile": "attachment",
    "/FileAttachment": "attachment",
    "/GoToE": "attachment",
}
_PDF_TYPE_KEYS = ("/S", "/Type", "/Subtype")
#: Links that run something instead of opening a page.
_PDF_ACTIVE_SCHEMES = ("javascript:", "vbscript:", "file:", "data:")

# ZIP package (DOCX, ODT) limits, checked on the directory before decompressing.
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_ENTRY_BYTES = 32 * 1024 * 1024
ZIP_MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: Uncompressed size over compressed size, for entries larger than ZIP_RATIO_FROM_BYTES.
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM_BYTES = 1024 * 1024
_ZIP_LOCAL_HEADER_BYTES = 30
_ZIP_READ_BYTES = 64 * 1024
#: What zipfile, zlib and expat raise on a damaged package (UploadRejected is a ValueError too).
_UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    ExpatError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)

#: Legacy Word (.doc) and encrypted Office files are OLE2 compound files.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
DOCX_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
)
#: Word field codes that run a program (DDE) or pull in a file from elsewhere.
DOCX_ACTIVE_FIELDS = {"DDE": "active_content", "DDEAUTO": "active_content"}
DOCX_EXTERNAL_FIELDS = {"INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT", "LINK", "RD"}
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types "
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships "

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_ODF_SCRIPT = "urn:oasis:names:tc:opendocument:xmlns:script:1.0 "
_ODF_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0 "
_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0 "
_ODF_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0 "
_XLINK_HREF = "http://www.w3.org/1999/xlink href"
#: ODF elements that run code, embed a foreign object or pull in outside data.
_ODF_ELEMENTS = {
    _ODF_SCRIPT + "event-listener": "macros",
    _ODF_OFFICE + "script": "macros",
    _ODF_DRAW + "applet": "active_content",
    _ODF_DRAW + "plugin": "active_content",
    _ODF_DRAW + "object-ole": "attachment",
    _ODF_OFFICE + "dde-source": "external_link",
    _ODF_TEXT + "dde-connection-decl": "external_link",
    _ODF_TEXT + "section-source": "external_link",
}
#: Links a reader follows only when clicked.
_ODF_HYPERLINKS = {_ODF_TEXT + "a", _ODF_DRAW + "a"}


class UploadRejected(ValueError):
    """The file cannot be accepted; ``reason`` is one of the keys of
    ``portal.web.apply.forms.UPLOAD_MESSAGES``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    """A résumé whose structure passed the checks; ``scan_status`` says
    whether staff may download it yet."""

    filename: str
    media_type: str
    content: bytes = field(repr=False)
    scan_status: ScanStatus = ScanStatus.CLEAN

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def check_resume(filename: str, content: bytes, max_bytes: int) -> CheckedFile:
    """Accept ``content`` only if it is, by its structure, a safe file of the
    type its extension claims; raise UploadRejected with the reason otherwise."""
    name = clean_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in REFUSED_EXTENSIONS:
        raise UploadRejected(REFUSED_EXTENSIONS[extension])
    if extension not in MEDIA_TYPES:
        raise UploadRejected("type")
    if not content:
        raise UploadRejected("empty")
    if len(content) > max_bytes:
        raise UploadRejected("size")
    _CHECKS[extension](content)
    return CheckedFile(name, MEDIA_TYPES[extension], content)


def clean_filename(filename: str) -> str:
    """Return the file's own name: no folders, no control characters, NFC."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".")
    if len(name) > 150:
        stem, dot, extension = name.rpartition(".")
        name = stem[: 150 - len(extension) - 1] + dot + extension if dot else name[:150]
    return name or "resume"


def ascii_filename(filename: str) -> str:
    """Return the name as printable ASCII for the plain ``filename=`` of a
    download (accents dropped, other characters replaced), keeping the extension."""
    typographic = str.maketrans({"’": "'", "‘": "'", "“": "", "”": "", "–": "-", "—": "-"})
    decomposed = unicodedata.normalize("NFKD", filename.translate(typographic))
    simple = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_"
        for ch in decomposed
        if not unicodedata.combining(ch)
    )
    stem, dot, extension = simple.rpartition(".")
    if not dot:
        stem, extension = simple, ""
    stem = re.sub(r"_+", "_", stem).strip(" _.") or "resume"
    return f"{stem}.{extension}" if dot and extension.strip("_") else stem


def download_names(filename: str) -> dict[str, str]:
    """Return the file-name parameters of a download's Content-Disposition
    (RFC 6266): a plain ASCII ``filename``, plus the real name encoded as
    UTF-8 in ``filename*`` (RFC 8187) when it differs. The header stays
    ASCII, which every WSGI server can send."""
    fallback = ascii_filename(filename)
    if fallback == filename:
        return {"filename": filename}
    # RFC 8187 attr-char: letters, digits and these marks go as they are.
    return {"filename": fallback, "filename*": "UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")}


# Text -------------------------------------------------------------------------


def _check_text(content: bytes) -> None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected("content") from None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text):
        raise UploadRejected("content")
    if text.lstrip().lower().startswith(_MARKUP_STARTS):
        raise UploadRejected("content")


# PDF --------------------------------------------------------------------------


def _check_pdf(content: bytes) -> None:
    """Refuse a PDF that is not one from its first byte, does not parse, is
    encrypted, is too large to check, or carries active content."""
    if not content.startswith(b"%PDF-"):
        raise UploadRejected("content")
    if _PDF_MARKUP.search(content[:PDF_SNIFFED_BYTES]):
        raise UploadRejected("content")  # a PDF/HTML polyglot
    deadline = time.monotonic() + PDF_MAX_SECONDS
    try:
        with pypdf.apply_configuration(
            maximum_declared_stream_length=PDF_MAX_STREAM_BYTES,
            zlib_maximum_output_length=PDF_MAX_STREAM_BYTES,
            lzw_maximum_output_length=PDF_MAX_STREAM_BYTES,
            run_length_maximum_output_length=PDF_MAX_STREAM_BYTES,
            brotli_maximum_output_length=PDF_MAX_STREAM_BYTES,
            page_tree_maximum_entries=PDF_MAX_PAGES * 10,
            jbig2dec_binary=None,
        ):
            reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                raise UploadRejected("encrypted")
            reason = _pdf_active_content(reader.trailer, deadline)
            if reason:
                raise UploadRejected(reason)
            pages = len(reader.pages)
    except UploadRejected:
        raise
    except Exception as error:
        # pypdf raises many kinds of errors on malformed input (and its
        # limits raise too): whatever it could not read is refused.
        logger.info("PDF refused as unreadable: %s", type(error).__name__)
        raise UploadRejected("unreadable") from None
    if pages == 0:
        raise UploadRejected("unreadable")
    if pages > PDF_MAX_PAGES:
        raise UploadRejected("too_complex")


def _pdf_active_content(trailer: DictionaryObject, deadline: float) -> str | None:
    """Walk every object reachable from the trailer; return the reason to
    refuse the first active content found, or None."""
    seen: set[tuple[int, int]] = set()
    pending: list = [trailer]
    visited = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            reason = _pdf_dictionary_reason(item)
            if reason:
                return reason
            pending.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            pending.extend(list.__iter__(item))
        else:
            continue
        visited += 1
        if visited > PDF_MAX_OBJECTS or time.monotonic() > deadline:
            raise UploadRejected("too_complex")
    return None


def _pdf_dictionary_reason(dictionary: DictionaryObject) -> str | None:
    for key in dict.keys(dictionary):
        if key in _PDF_ACTIVE_KEYS:
            return _PDF_ACTIVE_KEYS[key]
    for key in _PDF_TYPE_KEYS:
        value = dict.get(dictionary, key)
        if isinstance(value, NameObject) and value in _PDF_ACTIVE_NAMES:
            return _PDF_ACTIVE_NAMES[value]
    uri = dict.get(dictionary, "/URI")
    if isinstance(uri, str) and uri.strip().lower().startswith(_PDF_ACTIVE_SCHEMES):
        return "active_content"
    return None


# ZIP packages: DOCX and ODT ----------------------------------------------------


def _check_docx(content: bytes) -> None:
    """Refuse a DOCX that is not a safe Word document package."""
    if content.startswith(OLE2_MAGIC):
        # Word keeps a password-protected DOCX in an OLE2 file; otherwise it is a renamed .doc.
        raise UploadRejected("encrypted" if _OLE2_ENCRYPTED_PACKAGE in content else "legacy_doc")
    with _package(content) as package:
        names = {info.filename.casefold(): info for info in package.infolist()}
        if "[content_types].xml" not in names or "word/document.xml" not in names:
            raise UploadRejected("content")
        for info in package.infolist():
            _check_docx_entry_name(info.filename.casefold())
        _check_content_types(package, names["[content_types].xml"])
        for key, info in names.items():
            if key.endswith(".rels"):
                _check_relationships(package, info)
            elif key.startswith("word/") and key.endswith(".xml"):
                _check_fields(package, info)


def _check_docx_entry_name(name: str) -> None:
    parts = name.split("/")
    if parts[-1] in ("vbaproject.bin", "vbadata.xml") or "activex" in parts[:-1]:
        raise UploadRejected("macros")
    if "embeddings" in parts[:-1]:
        raise UploadRejected("attachment")


def _check_content_types(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse macro-enabled, ActiveX and OLE content types; the main part must be a Word document's."""
    main_type = None

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal main_type
        if tag not in (_CONTENT_TYPES + "Default", _CONTENT_TYPES + "Override"):
            return
        content_type = attributes.get("ContentType", "").lower()
        if any(word in content_type for word in ("macroenabled", "vbaproject", "vbadata", "activex")):
            raise UploadRejected("macros")
        if "oleobject" in content_type:
            raise UploadRejected("attachment")
        if attributes.get("PartName", "").casefold() == "/word/document.xml":
            main_type = content_type

    _parse_xml(package, info, start)
    if main_type not in DOCX_MAIN_TYPES:
        raise UploadRejected("content")


def _check_relationships(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse relationships to macros, controls and OLE objects, and every
    external target except hyperlinks (templates, frames, images, sub-documents...)."""

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag != _RELATIONSHIPS + "Relationship":
            return
        kind = attributes.get("Type", "").rsplit("/", 1)[-1].lower()
        if kind in ("vbaproject", "wordvbadata", "control", "activexcontrol", "activexcontrolbinary"):
            raise UploadRejected("macros")
        if kind in ("oleobject", "package"):
            raise UploadRejected("attachment")
        if attributes.get("TargetMode", "").lower() == "external" and kind != "hyperlink":
            raise UploadRejected("external_link")

    _parse_xml(package, info, start)


def _check_fields(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse field codes that start a program (DDE) or pull in outside files."""
    instruction: list[str] = []
    in_instruction = False

    def judge(code: str) -> None:
        words = code.split()
        name = words[0].upper() if words else ""
        if name in DOCX_ACTIVE_FIELDS:
            raise UploadRejected(DOCX_ACTIVE_FIELDS[name])
        if name in DOCX_EXTERNAL_FIELDS:
            raise UploadRejected("external_link")

    # By local name: Strict OOXML puts the same elements in another namespace.
    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal in_instruction
        name = _local(tag)
        if name == "fldSimple":
            judge(_attribute(attributes, "instr"))
        elif name == "instrText":
            in_instruction = True
        elif name == "fldChar":
            if _attribute(attributes, "fldCharType") == "begin":
                instruction.clear()
            else:  # "separate" or "end": the code is complete
                judge("".join(instruction))
                instruction.clear()

    def end(tag: str) -> None:
        nonlocal in_instruction
        if _local(tag) == "instrText":
            in_instruction = False

    def text(data: str) -> None:
        if in_instruction and len(instruction) < 1000:
            instruction.append(data)

    _parse_xml(package, info, start, end=end, text=text)


def _local(name: str) -> str:
    """The local part of an expat name (``"namespace local"``)."""
    return name.rpartition(" ")[2]


def _attribute(attributes: dict[str, str], local_name: str) -> str:
    return next((value for name, value in attributes.items() if _local(name) == local_name), "")


def _check_odt(content: bytes) -> None:
    """Refuse an ODT that is not a safe OpenDocument text package."""
    with _package(content) as package:
        names = {info.filename: info for info in package.infolist()}
        if "mimetype" not in names or "content.xml" not in names:
            raise UploadRejected("content")
        if _read(package, names["mimetype"], 256).strip() != ODT_MIMETYPE:
            raise UploadRejected("content")
        if any(name.casefold().startswith(("basic/", "scripts/")) for name in names):
            raise UploadRejected("macros")
        if "META-INF/manifest.xml" in names:
            _parse_xml(package, names["META-INF/manifest.xml"], _odf_manifest_entry)
        for part in ("content.xml", "styles.xml", "meta.xml"):
            if part in names:
                _parse_xml(package, names[part], _odf_element)


def _odf_manifest_entry(tag: str, attributes: dict[str, str]) -> None:
    if tag == _ODF_MANIFEST + "encryption-data":
        raise UploadRejected("encrypted")


def _odf_element(tag: str, attributes: dict[str, str]) -> None:
    if tag in _ODF_ELEMENTS:
        raise UploadRejected(_ODF_ELEMENTS[tag])
    for value in attributes.values():
        if value.lstrip().lower().startswith(("vnd.sun.star.script:", "macro:")):
            raise UploadRejected("macros")
    target = attributes.get(_XLINK_HREF, "").strip()
    if target and tag not in _ODF_HYPERLINKS and _outside_package(target):
        raise UploadRejected("external_link")


def _outside_package(target: str) -> bool:
    """Whether an ODF link leaves the package (a URL, an absolute or parent path)."""
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)) or target.startswith(("/", "\\", "../"))


@contextmanager
def _package(content: bytes) -> Iterator[zipfile.ZipFile]:
    """Open a ZIP package whose directory passed every limit (nothing is
    decompressed before that); what cannot be read in it is refused."""
    if not content.startswith(b"PK\x03\x04"):
        raise UploadRejected("content")
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
    except _UNREADABLE_ZIP:
        raise UploadRejected("unreadable") from None
    try:
        _check_directory(package)
        yield package
    except UploadRejected:
        raise
    except _UNREADABLE_ZIP:
        raise UploadRejected("unreadable") from None
    finally:
        package.close()


def _check_directory(package: zipfile.ZipFile) -> None:
    """Check the entries as the ZIP directory declares them: count, names,
    sizes, ratios, encryption, and that no two overlap."""
    entries = package.infolist()
    if not entries:
        raise UploadRejected("content")
    if len(entries) > ZIP_MAX_ENTRIES:
        raise UploadRejected("too_complex")
    seen: set[str] = set()
    for info in entries:
        _check_entry_name(info.orig_filename, seen)
        if info.flag_bits & 0x1:
            raise UploadRejected("encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRejected("unreadable")
        if info.file_size > ZIP_MAX_ENTRY_BYTES:
            raise UploadRejected("too_complex")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_FROM_BYTES and ratio > ZIP_MAX_RATIO:
            raise UploadRejected("too_complex")
    if sum(info.file_size for info in entries) > ZIP_MAX_TOTAL_BYTES:
        raise UploadRejected("too_complex")
    _check_layout(entries, package.start_dir)


def _check_entry_name(name: str, seen: set[str]) -> None:
    """Refuse names that would leave a folder when extracted, or that hide another entry."""
    segments = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or re.match(r"^[A-Za-z]:", name)
        or ".." in segments
        or any(unicodedata.category(ch)[0] == "C" for ch in name)
    ):
        raise UploadRejected("unreadable")
    key = unicodedata.normalize("NFC", name).casefold()
    if key in seen:
        raise UploadRejected("unreadable")
    seen.add(key)


def _check_layout(entries: list[zipfile.ZipInfo], directory_start: int) -> None:
    """Each entry's data must lie between its own header and the next one:
    overlapping entries are how some ZIP bombs multiply their size."""
    ordered = sorted(entries, key=lambda info: info.header_offset)
    if ordered[0].header_offset != 0:
        raise UploadRejected("unreadable")
    for info, following in zip(ordered, [*ordered[1:], None]):
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        try:
            name_bytes = len(info.orig_filename.encode(encoding))
        except UnicodeEncodeError:
            raise UploadRejected("unreadable") from None
        end = info.header_offset + _ZIP_LOCAL_HEADER_BYTES + name_bytes + info.compress_size
        limit = following.header_offset if following is not None else directory_start
        if end > limit:
            raise UploadRejected("unreadable")


def _read(package: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Return an entry of at most ``limit`` bytes (a larger one is refused)."""
    return b"".join(_chunks(package, info, limit))


def _chunks(package: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    total = 0
    with package.open(info) as part:
        while chunk := part.read(_ZIP_READ_BYTES):
            total += len(chunk)
            if total > limit:
                raise UploadRejected("too_complex")
            yield chunk


def _parse_xml(
    package: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    start: Callable[[str, dict[str, str]], None],
    *,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream an XML entry through expat, refusing any DOCTYPE (and so any
    entity, internal or external); tags are ``"namespace local-name"``."""
    parser = ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    for chunk in _chunks(package, info, ZIP_MAX_ENTRY_BYTES):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _refuse_doctype(*_arguments) -> None:
    raise UploadRejected("unreadable")


_CHECKS: dict[str, Callable[[bytes], None]] = {
    "pdf": _check_pdf,
    "docx": _check_docx,
    "odt": _check_odt,
    "txt": _check_text,
}


# The virus scanner --------------------------------------------------------------


def screen(checked: CheckedFile, scanner: Clamd | None, *, when_unavailable: str) -> CheckedFile:
    """Ask the virus scanner about a checked file before it is stored.

    Returns the file as clean (also when no scanner is configured), or held
    as unscanned when the scanner cannot be reached and ``when_unavailable``
    is "hold". Raises UploadRejected("infected") for a file the scanner
    flags, and UploadRejected("scanner_unavailable") when it cannot be
    reached and the policy is "refuse". Call it outside any transaction.
    """
    if scanner is None:
        return checked
    try:
        verdict = scanner.scan(checked.content)
    except ScannerUnavailable as error:
        logger.warning("virus scanner unavailable (%s): résumé %s", error, when_unavailable)
        if when_unavailable == "hold":
            return replace(checked, scan_status=ScanStatus.UNSCANNED)
        raise UploadRejected("scanner_unavailable") from None
    if not verdict.clean:
        logger.warning("résumé refused: the virus scanner found %s", verdict.signature)
        raise UploadRejected("infected")
    return replace(checked, scan_status=ScanStatus.CLEAN)


def held_resume_ids(session: Session) -> list[int]:
    """Return the ids of the résumés waiting for the virus scanner, oldest first."""
    return list(
        session.scalars(
            select(Resume.id).where(Resume.scan_status == ScanStatus.UNSCANNED).order_by(Resume.id)
        )
    )


def held_content(session: Session, resume_id: int) -> bytes | None:
    """Return a held résumé's bytes to scan, or None if it is no longer held."""
    resume = session.get(Resume, resume_id)
    if resume is None or resume.scan_status is not ScanStatus.UNSCANNED:
        return None
    return resume.content


def record_scan(session: Session, resume_id: int, verdict: Verdict, *, now: datetime, actor: str) -> bool:
    """Mark a held résumé clean, or delete it and audit why if the scanner
    flagged it. Returns False if it was no longer held (another run got it)."""
    resume = session.get(Resume, resume_id)
    if resume is None or resume.scan_status is not ScanStatus.UNSCANNED:
        return False
    if verdict.clean:
        resume.scan_status = ScanStatus.CLEAN
        return True
    application = session.get(Application, resume.application_id)
    audit.record(
        session,
        "delete_infected_resume",
        actor=actor,
        application_id=resume.application_id,
        posting_key=application.posting_key if application is not None else None,
        detail=f"the virus scanner found {verdict.signature}",
        at=now,
    )
    session.delete(resume)
    session.flush()
    return True
