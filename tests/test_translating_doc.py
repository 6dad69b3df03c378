"""TRANSLATING.md is followed step by step: the commands and places it names exist and work."""

import re
import shlex
import shutil

from portal.config import DEFAULTS, PROJECT_ROOT

DOC = (PROJECT_ROOT / "TRANSLATING.md").read_text(encoding="utf-8")


def commands():
    """Every `flask --app wsgi ...` line in the document's code blocks."""
    blocks = re.findall(r"```\n(.*?)```", DOC, flags=re.S)
    return [shlex.split(line)[3:] for block in blocks for line in block.splitlines()
            if line.startswith("flask --app wsgi ")]


def test_the_document_names_the_workflow_commands():
    named = {" ".join(command[:2]) for command in commands()}
    assert {"i18n update", "i18n check", "i18n compile", "i18n init",
            "content translations", "content check"} <= named


def test_every_command_in_the_document_runs(make_app, tmp_path):
    translations = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations", translations, ignore=shutil.ignore_patterns("*.pot", "*.mo"))
    runner = make_app(BABEL_TRANSLATION_DIRECTORIES=str(translations)).test_cli_runner()
    for command in commands():
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output[-2000:])
    assert (translations / "fr/LC_MESSAGES/messages.mo").exists()
    assert (translations / "es/LC_MESSAGES/messages.po").exists()
    # The inline mention of extract works too and writes the template it promises.
    assert runner.invoke(args=["i18n", "extract"]).exit_code == 0
    assert (translations / "messages.pot").exists()


def test_the_places_and_settings_it_names_exist(make_app, page):
    for path in ("translations/fr/LC_MESSAGES/messages.po", "scripts/serve", "scripts/setup",
                 "docs/content.md"):
        assert path in DOC and (PROJECT_ROOT / path).exists(), path
    for pattern, example in (("privacy/<lang>.md", "privacy/fr.md"), ("content/<lang>/", "content/fr")):
        assert pattern in DOC and (PROJECT_ROOT / example).exists(), pattern
    for setting in ("PORTAL_PSEUDO_LANGUAGE", "PORTAL_LANGUAGES", "PORTAL_ORGANISATION_NAME"):
        assert setting in DOC and setting in DEFAULTS
    client = make_app(PORTAL_PSEUDO_LANGUAGE="qps").test_client()
    assert page(client.get("/qps/jobs/"), lang="qps").h1 == "[Öþéñ ĵöƀš]"
    assert "[Öþéñ ĵöƀš]" in DOC
