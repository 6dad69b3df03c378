"""Command-line tools: the content check and catalog compilation."""

from .conftest import FIXTURES


def test_content_check_reports_path_line_and_fails_on_errors(runner):
    result = runner.invoke(args=["content", "check", str(FIXTURES / "content")])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{FIXTURES / 'content' / 'en/jobs/empty.md'}:1: error: empty file; file skipped" in lines
    assert any(line.startswith(f"{FIXTURES / 'content' / 'en/jobs/broken-yaml.md'}:3: error: invalid YAML") for line in lines)
    assert "4 errors" in result.stderr


def test_content_check_passes_clean_content_and_strict_fails_warnings(runner, content_tree):
    content_tree("en/jobs/a.md", "---\nlayout: job-posting\ntitle: A\ntranslationKey: a\n---\n")
    content_tree("fr/emplois/a.md", "---\nlayout: job-posting\ntitle: A\ntranslationKey: a\n---\n")
    clean = runner.invoke(args=["content", "check", str(content_tree.root)])
    assert clean.exit_code == 0, clean.output
    assert clean.stdout == ""
    content_tree("en/jobs/b.md", "---\nlayout: job-posting\ntitle: B\ntranslationKey: b\n---\n")
    relaxed = runner.invoke(args=["content", "check", str(content_tree.root)])
    assert relaxed.exit_code == 0
    assert "b.md:4: warning: unpaired" in relaxed.stdout
    strict = runner.invoke(args=["content", "check", "--strict", str(content_tree.root)])
    assert strict.exit_code == 1


def test_content_check_defaults_to_the_configured_content(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "policy-advisor-english-only.md" in result.stdout  # the bundled English-only posting


def test_bundled_content_has_no_errors_and_is_paired_except_on_purpose(runner):
    result = runner.invoke(args=["content", "check"])
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    assert len(warnings) == 1 and "policy-advisor-english-only.md" in warnings[0]


def test_i18n_compile_builds_the_french_catalog(runner, app):
    result = runner.invoke(args=["i18n", "compile"])
    assert result.exit_code == 0
    assert "fr/LC_MESSAGES/messages.mo" in result.stdout
    assert "untranslated" not in result.stdout and "fuzzy" not in result.stdout
