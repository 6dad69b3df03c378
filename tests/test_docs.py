"""The documentation is true: every command in README.md, TRANSLATING.md and
docs/ runs exactly as written, as a subprocess, in a fresh copy of the
checkout (its own instance folder, so no secret key and no database yet), the
way a newcomer types it after reading the page.

A command block is a fenced block marked ``sh``; each of its lines is one
command, run with bash in document order. A comment ``# exits N`` on a line
says the command ends with status N on purpose. Servers are started, asked
for ``/healthz`` and a page, and stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.plumbing.config import DEFAULTS, PROJECT_ROOT
from tests.conftest import SHARED, free_port

DOCUMENTS = [
    "README.md",
    "TRANSLATING.md",
    *sorted(f"docs/{path.name}" for path in (PROJECT_ROOT / "docs").glob("*.md")),
]
FENCE = re.compile(r"^ *```([^\n`]*)\n(.*?)^ *```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
EXITS = re.compile(r"#\s*exits (\d+)")
#: What a person types at each password prompt (twice: the password, then again).
PASSWORD = "correct horse battery staple"
SERVER_START_SECONDS = 120
COMMAND_SECONDS = 300


@dataclass(frozen=True)
class Command:
    """One documented command, where it is written."""

    document: str
    line: int
    text: str

    @property
    def expected_status(self) -> int:
        found = EXITS.search(self.text)
        return int(found.group(1)) if found else 0

    @property
    def command(self) -> str:
        """The command without its comment."""
        return self.text.split(" #", 1)[0].strip()

    @property
    def is_server(self) -> bool:
        return self.command.split()[-1] == "scripts/serve" or "gunicorn" in self.command

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text}"


def blocks(document: str) -> list[tuple[str, int, str]]:
    """Return (language, first line, text) of every fenced block of a document."""
    text = (PROJECT_ROOT / document).read_text(encoding="utf-8")
    return [
        (match.group(1).strip(), text.count("\n", 0, match.start()) + 2, match.group(2))
        for match in FENCE.finditer(text)
    ]


def documented_commands() -> list[Command]:
    commands = []
    for document in DOCUMENTS:
        for language, first_line, text in blocks(document):
            if language != "sh":
                continue
            for offset, line in enumerate(text.splitlines()):
                if line.strip() and not line.strip().startswith("#"):
                    commands.append(Command(document, first_line + offset, line.strip()))
    return commands


COMMANDS = documented_commands()


def test_the_documents_give_commands():
    assert len(COMMANDS) > 30
    assert [command.command for command in COMMANDS[:2]] == ["scripts/serve", "scripts/test"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_fenced_block_says_what_it_holds(document):
    """Commands are in ``sh`` blocks, examples in ``text``, ``yaml``...: no
    command can hide in a block this test would not run."""
    for language, line, _ in blocks(document):
        assert language, f"{document}:{line}: a fenced block without a language"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_commands_named_in_the_text_are_commands_that_run(document):
    """A command quoted in a sentence (`scripts/setup test`) is one of the run commands."""
    runnable = {command.command for command in COMMANDS}
    text = FENCE.sub("", (PROJECT_ROOT / document).read_text(encoding="utf-8"))
    for quoted in INLINE.findall(text):
        if quoted.startswith(("scripts/", ".venv/bin/")) and " " in quoted:
            assert quoted in runnable, f"{document}: `{quoted}` is not in a command block"


def test_translating_names_the_whole_workflow():
    named = {
        " ".join(command.command.split()[3:5]) for command in COMMANDS if command.document == "TRANSLATING.md"
    }
    assert {
        "i18n update",
        "i18n extract",
        "i18n check",
        "i18n compile",
        "i18n init",
        "content translations",
        "content check",
    } <= named


def test_the_places_and_settings_translating_names_exist(make_app, page):
    text = (PROJECT_ROOT / "TRANSLATING.md").read_text(encoding="utf-8")
    for path in (
        "translations/fr/LC_MESSAGES/messages.po",
        "scripts/serve",
        "scripts/setup",
        "docs/content.md",
    ):
        assert path in text and (PROJECT_ROOT / path).exists(), path
    for pattern, example in (("privacy/<lang>.md", "privacy/fr.md"), ("content/<lang>/", "content/fr")):
        assert pattern in text and (PROJECT_ROOT / example).exists(), pattern
    for setting in ("PORTAL_PSEUDO_LANGUAGE", "PORTAL_LANGUAGES", "PORTAL_ORGANISATION_NAME"):
        assert setting in text and setting in DEFAULTS
    client = make_app(PORTAL_PSEUDO_LANGUAGE="qps").test_client()
    assert page(client.get("/qps/jobs/"), lang="qps").h1 == "[Öþéñ ĵöƀš]"
    assert "[Öþéñ ĵöƀš]" in text


def test_the_test_command_is_what_ci_runs():
    ci = (PROJECT_ROOT / ".ci/run").read_text(encoding="utf-8")
    assert re.search(r"^scripts/test\b", ci, re.M)


# Running them -----------------------------------------------------------------


def fresh_checkout(target: Path) -> Path:
    """Copy the checkout's files (as git sees them, untracked ones included)
    to ``target``, sharing only the installed environment and the caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = PROJECT_ROOT / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:
        shutil.copytree(
            PROJECT_ROOT,
            target,
            ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "instance", "__pycache__", "*.mo"),
        )
    (PROJECT_ROOT / ".cache").mkdir(exist_ok=True)
    (target / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    (target / ".cache").symlink_to(PROJECT_ROOT / ".cache")
    if SHARED.exists():
        (target.parent / "shared").symlink_to(SHARED)
    return target


def environment(port: int) -> dict[str, str]:
    """The environment of a person who has just opened a terminal: none of
    the portal's settings, and free ports for the servers."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PORTAL_", "FLASK_", "PYTEST_", "SECRET_KEY", "DATABASE_URL"))
    }
    env.update(FLASK_RUN_PORT=str(port), PORT=str(port))
    return env


def run(command: Command, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command.text],
        cwd=cwd,
        env=env,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def serve(command: Command, cwd: Path, env: dict[str, str], log: Path) -> str:
    """Start a documented server, wait until it answers, check it, stop it.
    Return what is wrong, or an empty string."""
    base = f"http://127.0.0.1:{env['PORT']}"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["bash", "-c", command.text],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if server.poll() is not None:
                return f"stopped with status {server.returncode}:\n{log.read_text()[-3000:]}"
            try:
                status, body = fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        else:
            return f"did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}"
        if status != 200:
            return f"/healthz answered {status}: {body}"
        home = "/qps/jobs/" if "PORTAL_PSEUDO_LANGUAGE=qps" in command.text else "/en/jobs/"
        status, body = fetch(base + home)
        if status != 200 or "<h1" not in body:
            return f"{home} answered {status}"
        return ""
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def problems_of(command: Command, result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    if result.returncode != command.expected_status:
        return f"exit status {result.returncode}, expected {command.expected_status}:\n{output[-3000:]}"
    if "Traceback (most recent call last)" in output:
        return f"printed a traceback:\n{output[-3000:]}"
    if " content " not in f" {command.command} " and re.search(r"\.md:\d+: (warning|error): ", output):
        return f"printed content problems it was not asked for:\n{output[-3000:]}"
    return ""


def lock_sandbox(target: Path) -> Path:
    """The files the lock commands read and write, apart from the checkout
    copy (an upgraded lock must never reach the shared environment)."""
    for name in ("pyproject.toml", "README.md", "scripts/lock"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, target / name)
    shutil.copytree(PROJECT_ROOT / "requirements", target / "requirements")
    (target / ".cache").symlink_to(PROJECT_ROOT / ".cache")
    return target


def check_lock(command: Command, sandbox: Path, env: dict[str, str]) -> str:
    before = {path.name: path.read_bytes() for path in (sandbox / "requirements").glob("*.txt")}
    result = run(command, sandbox, env)
    if problem := problems_of(command, result):
        return problem
    after = {path.name: path.read_bytes() for path in (sandbox / "requirements").glob("*.txt")}
    if "--upgrade" not in command.command and after != before:
        changed = [name for name in after if after[name] != before.get(name)]
        return f"the lock files do not match pyproject.toml: {changed} changed"
    for name in ("serve.txt", "test.txt"):
        text = after[name].decode()
        pins = re.findall(r"^([a-z0-9][a-z0-9._-]*)==", text, re.M)
        if not pins or text.count("--hash=sha256:") < len(pins):
            return f"requirements/{name} is not a lock file with hashes"
    return ""


@pytest.mark.docs
def test_every_documented_command_runs_as_written(tmp_path, subtests):
    checkout = fresh_checkout(tmp_path / "work" / "main")
    sandbox = lock_sandbox(tmp_path / "lock")
    for number, command in enumerate(COMMANDS):
        with subtests.test(msg=str(command)):
            if command.command.startswith("scripts/test"):
                continue  # the command running this very test: CI runs it (.ci/run)
            if "../shared" in command.command and not SHARED.exists():
                pytest.skip(f"{SHARED} is not here (the shared corpus is only in the workplace)")
            env = environment(free_port())
            sets_up = command.command.startswith("scripts/setup")
            if sets_up:
                # Where Python writes no bytecode itself, set-up still compiles the portal's.
                shutil.rmtree(checkout / "portal" / "__pycache__", ignore_errors=True)
                env["PYTHONDONTWRITEBYTECODE"] = "1"
            if command.command.startswith("scripts/lock"):
                problem = check_lock(command, sandbox, env)
            elif command.is_server:
                problem = serve(command, checkout, env, tmp_path / f"server-{number}.log")
            else:
                problem = problems_of(command, run(command, checkout, env))
            assert not problem, f"{command}\n{problem}"
            if sets_up:
                # Servers start without compiling the portal's modules.
                compiled = f"cli.{sys.implementation.cache_tag}.pyc"
                assert (checkout / "portal" / "__pycache__" / compiled).exists()


@pytest.mark.docs
def test_a_fresh_checkout_without_set_up_explains_itself(tmp_path):
    """Before scripts/setup has written a secret key, a command says what to do in one line."""
    checkout = fresh_checkout(tmp_path / "work" / "main")
    result = subprocess.run(
        [".venv/bin/flask", "--app", "wsgi", "content", "check"],
        cwd=checkout,
        env=environment(free_port()),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "SECRET_KEY" in result.stderr and "scripts/setup" in result.stderr
