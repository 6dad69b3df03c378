"""Job postings and blog stories, loaded from a Hugo-style content tree."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from datetime import tzinfo

from flask import Flask, current_app

from .loader import load, scan_signature
from .model import ContentIndex, Document, Kind, Problem, Severity

__all__ = [
    "ContentIndex", "ContentStore", "Document", "Kind", "Problem", "Severity",
    "content_roots", "current_index", "init_app",
]

logger = logging.getLogger("portal.content")


class ContentStore:
    """Hold the current index and swap in a new one when files change.

    Requests call :meth:`index`; at most once per ``interval`` seconds one of
    them compares a cheap fingerprint of the tree (paths, sizes, mtimes) and,
    if it changed, builds a new index and replaces the reference. Other
    requests keep using the old index meanwhile: nothing waits on a lock.
    """

    def __init__(
        self,
        roots: Sequence[str],
        languages: Sequence[str],
        timezone: tzinfo,
        interval: float,
    ) -> None:
        self.roots = tuple(roots)
        self.languages = tuple(languages)
        self.timezone = timezone
        self.interval = interval
        self._lock = threading.Lock()
        self._reported: frozenset[Problem] = frozenset()
        self._index = self._build()
        self._checked_at = time.monotonic()

    def index(self) -> ContentIndex:
        """Return the current index, reloading it first if the files changed."""
        if self.interval >= 0 and time.monotonic() - self._checked_at >= self.interval:
            self._refresh()
        return self._index

    def _refresh(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._checked_at = time.monotonic()
            if scan_signature(self.roots) != self._index.signature:
                self._index = self._build()
        finally:
            self._lock.release()

    def _build(self) -> ContentIndex:
        index = load(self.roots, self.languages, self.timezone)
        # Each problem is logged once, not again at every reload.
        for problem in index.problems:
            if problem not in self._reported and problem.severity is not Severity.NOTE:
                level = logging.ERROR if problem.severity is Severity.ERROR else logging.WARNING
                logger.log(level, "%s", problem)
        self._reported = frozenset(index.problems)
        logger.info(
            "content loaded from %s: %d documents, %d problems",
            os.pathsep.join(self.roots), len(index.documents), len(index.problems),
        )
        return index


def content_roots(setting: str) -> list[str]:
    """Split ``PORTAL_CONTENT_DIR`` into roots (several are joined by os.pathsep)."""
    return [root for root in setting.split(os.pathsep) if root]


def init_app(app: Flask, timezone: tzinfo) -> None:
    """Load the content named by the app's configuration."""
    app.extensions["portal.content"] = ContentStore(
        content_roots(app.config["PORTAL_CONTENT_DIR"]),
        list(app.config["PORTAL_LANGUAGES"]),
        timezone,
        float(app.config["PORTAL_CONTENT_RELOAD_INTERVAL"]),
    )


def current_index() -> ContentIndex:
    """Return the content index of the running app."""
    return current_app.extensions["portal.content"].index()
