"""A small client of ClamAV's daemon (clamd): its INSTREAM command over a
UNIX socket or TCP, every step bounded in time.

``PORTAL_CLAMAV_SOCKET`` names the daemon (a socket path, or
``tcp://host:port``; empty: no scanning) and ``PORTAL_CLAMAV_UNAVAILABLE``
what to do with a résumé while it cannot be reached (``refuse`` or ``hold``).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: Seconds to reach clamd, and for a whole scan: sending the file and reading the verdict.
CONNECT_TIMEOUT = 3.0
SCAN_TIMEOUT = 30.0
#: clamd reads a stream in chunks, each preceded by its length.
CHUNK_BYTES = 64 * 1024
#: A verdict is one short line; anything longer is not clamd.
MAX_REPLY_BYTES = 4096
#: What to do with a résumé while the scanner cannot be reached.
POLICIES = ("refuse", "hold")


class ScannerUnavailable(Exception):
    """clamd could not be reached, did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class Verdict:
    """What clamd found in a file: nothing, or the name of the signature it matched."""

    signature: str = ""

    @property
    def clean(self) -> bool:
        return not self.signature


@dataclass(frozen=True)
class Clamd:
    """A clamd to ask: ``address`` is a UNIX socket path or ``tcp://host:port``."""

    address: str
    connect_timeout: float = CONNECT_TIMEOUT
    scan_timeout: float = SCAN_TIMEOUT

    def scan(self, content: bytes) -> Verdict:
        """Stream ``content`` to clamd and return its verdict.

        Raises ScannerUnavailable when clamd cannot be reached, is too slow,
        or answers anything but a verdict (e.g. the file exceeds its
        StreamMaxLength).
        """
        reply = self._ask(b"zINSTREAM\0", content)
        if reply.endswith(" FOUND"):
            signature = reply.removesuffix(" FOUND").rpartition(": ")[2].strip()
            return Verdict(signature or "unknown")
        if reply.endswith(": OK"):
            return Verdict()
        raise ScannerUnavailable(f"clamd answered {reply[:200]!r}")

    def ping(self) -> bool:
        """Return whether clamd answers PING."""
        try:
            return self._ask(b"zPING\0") == "PONG"
        except ScannerUnavailable:
            return False

    def _ask(self, command: bytes, content: bytes | None = None) -> str:
        deadline = time.monotonic() + self.scan_timeout
        try:
            with self._connect() as connection:
                _send(connection, command, deadline)
                if content is not None:
                    for start in range(0, len(content), CHUNK_BYTES):
                        chunk = content[start : start + CHUNK_BYTES]
                        _send(connection, struct.pack(">I", len(chunk)) + chunk, deadline)
                    _send(connection, struct.pack(">I", 0), deadline)
                return _receive(connection, deadline)
        except OSError as error:  # refused, missing socket, reset, timed out
            raise ScannerUnavailable(f"clamd at {self.address}: {type(error).__name__}") from None

    def _connect(self) -> socket.socket:
        family, target = parse_address(self.address)
        if family == socket.AF_UNIX:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.connect_timeout)
            try:
                connection.connect(target)
            except OSError:
                connection.close()
                raise
            return connection
        return socket.create_connection(target, timeout=self.connect_timeout)


def _send(connection: socket.socket, data: bytes, deadline: float) -> None:
    connection.settimeout(_remaining(deadline))
    connection.sendall(data)


def _receive(connection: socket.socket, deadline: float) -> str:
    """Read clamd's answer, which ends with a NUL byte (the "z" commands)."""
    reply = b""
    while not reply.endswith(b"\0"):
        connection.settimeout(_remaining(deadline))
        data = connection.recv(MAX_REPLY_BYTES)
        if not data:
            break
        reply += data
        if len(reply) > MAX_REPLY_BYTES:
            raise ScannerUnavailable("clamd's answer is too long")
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the scan took too long")
    return left


def parse_address(address: str) -> tuple[int, Any]:
    """Return the socket family and target of ``PORTAL_CLAMAV_SOCKET``.

    Raises ValueError for a ``tcp://`` address without a host and a port.
    """
    if address.startswith("tcp://"):
        parts = urlsplit(address)
        port = parts.port  # ValueError when it is not a number in range
        if not parts.hostname or port is None or parts.path not in ("", "/"):
            raise ValueError(f"{address!r} is not tcp://host:port")
        return socket.AF_INET, (parts.hostname, port)
    if not address or "://" in address:
        raise ValueError(f"{address!r} is neither a socket path nor tcp://host:port")
    return socket.AF_UNIX, address


def from_config(config: Mapping[str, Any]) -> Clamd | None:
    """Return the configured scanner, or None when ``PORTAL_CLAMAV_SOCKET`` is empty."""
    address = (config.get("PORTAL_CLAMAV_SOCKET") or "").strip()
    return Clamd(address) if address else None


def check_settings(config: Mapping[str, Any]) -> None:
    """Raise ValueError, naming the setting, when the scanner's settings cannot work."""
    if config.get("PORTAL_CLAMAV_UNAVAILABLE") not in POLICIES:
        raise ValueError(
            "PORTAL_CLAMAV_UNAVAILABLE must be refuse (tell the candidate to try again later) "
            "or hold (keep the résumé from staff until `flask resumes scan` finds it clean)."
        )
    address = (config.get("PORTAL_CLAMAV_SOCKET") or "").strip()
    if address:
        try:
            parse_address(address)
        except ValueError as error:
            raise ValueError(f"PORTAL_CLAMAV_SOCKET: {error}") from None
