"""Job postings and blog stories, loaded from a Hugo-style content tree."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any, TypeVar

from flask import Flask, current_app

from .loader import load, scan_signature
from .model import ContentIndex, Document, Kind, Problem, Severity

__all__ = [
    "ContentIndex",
    "ContentStore",
    "Document",
    "Kind",
    "Problem",
    "Severity",
    "content_mirrors",
    "content_roots",
    "content_store",
    "content_workers",
    "current_index",
    "init_app",
    "load_index",
]

logger = logging.getLogger("portal.content")
T = TypeVar("T")

#: Indexes recently built, by what they were built from (roots, languages,
#: time zone, and the files' fingerprint). An index never changes, so apps
#: reading the same unchanged tree share one instead of loading it again.
_RECENT_INDEXES: OrderedDict[tuple, ContentIndex] = OrderedDict()
_RECENT_LIMIT = 8
_recent_lock = threading.Lock()


def load_index(
    roots: Sequence[str],
    languages: Sequence[str],
    timezone: tzinfo,
    mirrors: Mapping[str, str] | None = None,
    workers: int = 1,
) -> ContentIndex:
    """Return the index of ``roots``, built now or taken from a recent identical build.

    ``mirrors`` maps a language with no files (the pseudo-locale) to the one it shows;
    ``workers`` processes read a large tree at once.
    """
    signature = scan_signature(roots)
    mirrors = dict(mirrors or {})
    key = (tuple(roots), tuple(languages), str(timezone), signature, tuple(sorted(mirrors.items())))
    with _recent_lock:
        if key in _RECENT_INDEXES:
            _RECENT_INDEXES.move_to_end(key)
            return _RECENT_INDEXES[key]
    index = load(roots, languages, timezone, signature=signature, mirrors=mirrors, workers=workers)
    with _recent_lock:
        _RECENT_INDEXES[key] = index
        while len(_RECENT_INDEXES) > _RECENT_LIMIT:
            _RECENT_INDEXES.popitem(last=False)
    return index


class ContentStore:
    """Hold the current index and swap in a new one when files change.

    The tree is read on first use. Afterwards, at most once per ``interval``
    seconds one request compares a cheap fingerprint of the tree (paths,
    sizes, mtimes) and, if it changed, builds a new index and replaces the
    reference. Other requests keep using the old index meanwhile.
    """

    def __init__(
        self,
        roots: Sequence[str],
        languages: Sequence[str],
        timezone: tzinfo,
        interval: float,
        mirrors: Mapping[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.roots = tuple(roots)
        self.workers = workers
        self.mirrors = dict(mirrors or {})
        self.languages = tuple(languages)
        self.timezone = timezone
        self.interval = interval
        self._lock = threading.Lock()
        self._index: ContentIndex | None = None
        self._checked_at = 0.0
        self._logged: ContentIndex | None = None
        self._reported: frozenset[Problem] = frozenset()
        self._derived: dict[str, tuple[ContentIndex, Any]] = {}

    def index(self) -> ContentIndex:
        """Return the current index, loading it first, or again if the files changed."""
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._load()
            return self._index
        if self.interval >= 0 and time.monotonic() - self._checked_at >= self.interval:
            self._refresh()
        return self._index

    def _refresh(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._checked_at = time.monotonic()
            if scan_signature(self.roots) != self._index.signature:
                self._index = self._load()
        finally:
            self._lock.release()

    def _load(self) -> ContentIndex:
        self._checked_at = time.monotonic()
        return load_index(self.roots, self.languages, self.timezone, self.mirrors, self.workers)

    def log_new_problems(self) -> None:
        """Log the problems of the served index the server has not logged yet.

        Called by the web layer on requests, so a running site logs each
        problem once while commands stay quiet (``flask content check`` is
        where problems are read).
        """
        index = self.index()
        if index is self._logged:
            return
        with self._lock:
            if index is self._logged:
                return
            for problem in index.problems:
                if problem not in self._reported and problem.severity is not Severity.NOTE:
                    level = logging.ERROR if problem.severity is Severity.ERROR else logging.WARNING
                    logger.log(level, "%s", problem)
            self._reported = frozenset(index.problems)
            self._logged = index
            counts = Counter(problem.severity for problem in index.problems)
            logger.info(
                "content from %s: %d documents, %d errors, %d warnings",
                os.pathsep.join(self.roots),
                len(index.documents),
                counts[Severity.ERROR],
                counts[Severity.WARNING],
            )

    def derived(self, name: str, compute: Callable[[ContentIndex], T]) -> T:
        """Return ``compute(index)`` for the current index, computed once per content version."""
        index = self.index()
        cached = self._derived.get(name)
        if cached is None or cached[0] is not index:
            cached = (index, compute(index))
            self._derived[name] = cached
        return cached[1]


def content_roots(setting: str) -> list[str]:
    """Split ``PORTAL_CONTENT_DIR`` into roots (several are joined by os.pathsep)."""
    return [root for root in setting.split(os.pathsep) if root]


def init_app(app: Flask, timezone: tzinfo) -> None:
    """Set up the content named by the app's configuration (read on first use)."""
    app.extensions["portal.content"] = ContentStore(
        content_roots(app.config["PORTAL_CONTENT_DIR"]),
        list(app.config["PORTAL_LANGUAGES"]),
        timezone,
        float(app.config["PORTAL_CONTENT_RELOAD_INTERVAL"]),
        content_mirrors(app.config["PORTAL_LANGUAGES"]),
        content_workers(app.config["PORTAL_CONTENT_WORKERS"]),
    )


def content_workers(setting: int | None) -> int:
    """The processes that read a large content tree at once: the setting, or
    one per CPU this process may use."""
    if setting:
        return max(1, int(setting))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def content_mirrors(languages: Mapping[str, Mapping]) -> dict[str, str]:
    """Return the languages that show another's content (``content_from``,
    the pseudo-locale), mapped to that language."""
    return {
        code: language["content_from"] for code, language in languages.items() if language.get("content_from")
    }


def content_store() -> ContentStore:
    """Return the running app's content store."""
    return current_app.extensions["portal.content"]


def current_index() -> ContentIndex:
    """Return the content index of the running app."""
    return content_store().index()
