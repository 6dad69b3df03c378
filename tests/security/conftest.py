"""Fixtures of the attack suite: a real ClamAV daemon with a signature database
the tests write themselves (the EICAR test file), so the scanner is proven
without downloading any signatures."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.domain.antivirus import Clamd

#: The EICAR anti-virus test file: harmless, and detected by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#: The name the test database gives it (clamd adds ".UNOFFICIAL").
EICAR_SIGNATURE = "Portal-Test-EICAR"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
#: Seconds clamd may take to load its (tiny) database and open its socket.
CLAMD_START_SECONDS = 60


@dataclass(frozen=True)
class ClamdServer:
    """A running clamd: its socket and the log it writes."""

    socket: Path
    log: Path

    @property
    def scanner(self) -> Clamd:
        return Clamd(str(self.socket))


def _clamd_missing(reason: str):
    if os.environ.get("PORTAL_REQUIRE_CLAMAV") == "1":
        pytest.fail(f"PORTAL_REQUIRE_CLAMAV=1 but {reason}")
    pytest.skip(f"{reason}; install the Debian package clamav-daemon (PORTAL_REQUIRE_CLAMAV=1 requires it)")


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """Start clamd on a UNIX socket with a database holding only the EICAR
    signature; stop it after the session. Skips when clamd is not installed,
    unless PORTAL_REQUIRE_CLAMAV=1 (CI)."""
    if not os.access(CLAMD, os.X_OK):
        _clamd_missing(f"{CLAMD} is not installed")
    # A short path: a UNIX socket's path is limited to about 100 bytes.
    folder = Path(tmp_path_factory.mktemp("clamd"))
    database = folder / "db"
    database.mkdir()
    # A body signature (any file type, any offset): it also matches the
    # file inside a PDF or an archive, which clamd unpacks.
    (database / "portal-test.ndb").write_text(f"{EICAR_SIGNATURE}:0:*:{EICAR.hex()}\n", encoding="ascii")
    server = ClamdServer(folder / "clamd.sock", folder / "clamd.log")
    config = folder / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"LocalSocket {server.socket}",
                "Foreground yes",
                f"DatabaseDirectory {database}",
                f"LogFile {server.log}",
                f"PidFile {folder / 'clamd.pid'}",
                "StreamMaxLength 10M",
                # The tests' own signature only: no bytecode or PUA databases to look for.
                "Bytecode no",
                "",
            ]
        ),
        encoding="ascii",
    )
    process = subprocess.Popen(
        [CLAMD, f"--config-file={config}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_ready(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(server: ClamdServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + CLAMD_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log.read_text(errors="replace") if server.log.exists() else ""
            pytest.fail(f"clamd exited with {process.returncode} at start:\n{log[-2000:]}")
        if server.socket.exists() and server.scanner.ping():
            return
        time.sleep(0.1)
    pytest.fail(f"clamd did not answer within {CLAMD_START_SECONDS} s")
