"""The systemd units of docs/deploy/ start what README's "Production" section
says, from the checkout's own files, and restart a gunicorn master that dies."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess

import pytest

from portal.plumbing.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "docs" / "deploy"
#: Where the units expect the checkout; a test copy points them at this one.
INSTALLED = "/srv/portal"
UNITS = sorted(path.name for path in DEPLOY.glob("portal*.*"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def command(name: str) -> list[str]:
    """The ExecStart of a service, as arguments, relative to the checkout."""
    words = shlex.split(unit(name)["Service"]["ExecStart"])
    assert words[0].startswith(f"{INSTALLED}/"), words[0]
    return [words[0].removeprefix(f"{INSTALLED}/"), *words[1:]]


def test_the_units_are_there_and_the_readme_points_to_them():
    assert UNITS == [
        "portal-outbox.service",
        "portal-outbox.timer",
        "portal-retention.service",
        "portal-retention.timer",
        "portal.service",
    ]
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/deploy/portal.service" in readme


def test_a_dead_master_is_restarted():
    service = unit("portal.service")["Service"]
    assert service["Restart"] == "always"
    assert unit("portal.service")["Unit"]["StartLimitIntervalSec"] == "0", "never stops restarting"


def test_gunicorn_is_started_as_the_readme_says():
    program, *arguments = command("portal.service")
    assert program == ".venv/bin/gunicorn"
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"^\.venv/bin/gunicorn (.*)$", readme, re.M).group(1)
    assert arguments == shlex.split(documented.replace("${PORT:-8000}", "8000"))
    assert arguments[-1] == "wsgi:app" and (PROJECT_ROOT / "wsgi.py").exists()


@pytest.mark.parametrize(
    ("timer", "arguments"),
    [("portal-outbox.timer", ["outbox", "send"]), ("portal-retention.timer", ["retention", "purge"])],
)
def test_each_timer_runs_a_documented_command_of_the_portal(timer, arguments, make_app):
    service = unit(timer)["Timer"]["Unit"]
    assert (DEPLOY / service).exists()
    program, *given = command(service)
    assert program == ".venv/bin/flask" and given == ["--app", "wsgi", *arguments]
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f".venv/bin/flask --app wsgi {' '.join(arguments)}" in readme
    result = make_app().test_cli_runner().invoke(args=[*arguments, "--help"])
    assert result.exit_code == 0, result.output


def test_every_unit_works_in_the_checkout_it_names():
    for name in UNITS:
        for section in unit(name).values():
            for key in ("WorkingDirectory", "ReadWritePaths"):
                if key in section:
                    path = section[key].replace(INSTALLED, str(PROJECT_ROOT))
                    assert path.startswith(str(PROJECT_ROOT)), (name, key)
                    assert path in (str(PROJECT_ROOT), str(PROJECT_ROOT / "instance")), (name, key)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED, str(PROJECT_ROOT)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
