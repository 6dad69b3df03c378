"""Check an uploaded résumé by its content (magic bytes), not only its name."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass

import filetype

#: Allowed file-name extensions and the media type each is stored and served as.
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain; charset=utf-8",
}
_MARKUP_STARTS = ("<!doctype", "<html", "<script", "<svg", "<?xml", "<head", "<body", "<iframe")


class UploadRejected(ValueError):
    """The file cannot be accepted; ``reason`` is one of the keys of
    ``portal.web.apply.forms.UPLOAD_MESSAGES``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    """A résumé whose content matches an allowed type."""

    filename: str
    media_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def check_resume(filename: str, content: bytes, max_bytes: int) -> CheckedFile:
    """Accept ``content`` only if its bytes are what its extension claims.

    A PDF must start like a PDF, a DOCX or ODT must be such a ZIP package, a
    DOC an OLE2 compound file, and a TXT must be UTF-8 text that is not HTML
    or another markup a browser would run.
    """
    name = clean_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in MEDIA_TYPES:
        raise UploadRejected("type")
    if not content:
        raise UploadRejected("empty")
    if len(content) > max_bytes:
        raise UploadRejected("size")
    if extension == "txt":
        if not _is_plain_text(content):
            raise UploadRejected("content")
    else:
        detected = filetype.guess(content)
        if detected is None or detected.extension != extension:
            raise UploadRejected("content")
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


def _is_plain_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text):
        return False
    start = text.lstrip().lower()
    return not start.startswith(_MARKUP_STARTS)
