"""Templates: compiled once per process, whatever the number of apps in it."""

from __future__ import annotations

import threading

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class ProcessBytecodeCache(BytecodeCache):
    """Keep compiled templates in memory for every app of this process.

    A second app in the same process (a test, a second WSGI app) loads them
    instead of compiling them again. Jinja compares each template's source
    checksum, so an edited template is compiled anew.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = ProcessBytecodeCache()


def init_app(app: Flask) -> None:
    """Share compiled templates with the other apps of the process (before
    anything creates the app's Jinja environment)."""
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _COMPILED_TEMPLATES}
