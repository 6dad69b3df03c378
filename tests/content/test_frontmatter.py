"""Front matter: values as written, and errors with the line to fix."""

import pytest

from portal.content import frontmatter
from portal.content.frontmatter import FrontMatterError, parse
from tests.conftest import CORPUS, FIXTURES


def test_splits_front_matter_and_body_with_line_numbers():
    parsed = parse("---\ntitle: Hello\ntranslationKey: hello\n---\nBody line\n")
    assert parsed.data == {"title": "Hello", "translationKey": "hello"}
    assert parsed.body == "Body line\n"
    assert parsed.body_line == 5
    assert parsed.key_lines == {"title": 2, "translationKey": 3}


def test_keeps_numbers_and_dates_as_written():
    parsed = parse(
        "---\nleverId: 0000000000\ntranslationKey: 2\n"
        "date: 2019-07-23T13:00:00.000Z\narchived: false\nlinkHidden: null\n---\n"
    )
    assert parsed.data["leverId"] == "0000000000"
    assert parsed.data["translationKey"] == "2"
    assert parsed.data["date"] == "2019-07-23T13:00:00.000Z"
    assert parsed.data["archived"] is False
    assert parsed.data["linkHidden"] is None


def test_byte_order_mark_and_windows_line_endings():
    parsed = parse("\ufeff---\r\ntitle: Windows\r\n---\r\nBody\r\n")
    assert parsed.data["title"] == "Windows"
    assert parsed.body.strip() == "Body"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty file"),
        ("   \n\n", 1, "empty file"),
        ("Just a body\n", 1, "no front matter"),
        ("---\ntitle: Open\n", 1, "not closed"),
        ("+++\ntitle = 'x'\n+++\n", 1, "TOML"),
        ("---\nlayout: job-posting\ntitle: 'Client's team'\n---\n", 3, "invalid YAML"),
        ("---\n- a\n- b\n---\n", 2, "not a mapping"),
    ],
)
def test_errors_name_the_line(text, line, message):
    with pytest.raises(FrontMatterError) as raised:
        parse(text)
    assert raised.value.line == line
    assert message in raised.value.message


def test_unindented_second_paragraph_points_at_its_line():
    text = (
        "---\n"  # 1
        "title: Advisor\n"  # 2
        "description: >-\n"  # 3
        "  First paragraph.\n"  # 4
        "\n"  # 5
        "Second paragraph, not indented.\n"  # 6
        "archived: false\n"  # 7
        "---\n"
    )
    with pytest.raises(FrontMatterError) as raised:
        parse(text)
    assert raised.value.line == 6


def test_empty_front_matter_is_an_empty_mapping():
    assert parse("---\n---\nBody\n").data == {}


def _every_content_file():
    """The bundled content, the test fixtures and, where it is here, the real corpus."""
    project = FIXTURES.parents[1]
    roots = [project / "content", FIXTURES / "content", FIXTURES / "markdown"]
    if CORPUS.is_dir():
        roots.append(CORPUS)
    return sorted(path for root in roots for path in root.rglob("*.md"))


def _parsed_or_error(text: str):
    try:
        parsed = parse(text)
    except FrontMatterError as error:
        return ("error", error.line, error.message)
    return (parsed.data, parsed.body, parsed.body_line, parsed.key_lines)


def test_libyaml_and_the_python_loader_read_every_file_alike(monkeypatch):
    """Front matter is read with libyaml when it can be; the Python loader
    (which refuses aliases and deep nesting as it goes) must agree on every
    real file, values, key lines and errors alike."""
    files = _every_content_file()
    fast = [_parsed_or_error(path.read_text(encoding="utf-8", errors="replace")) for path in files]
    monkeypatch.setattr(frontmatter, "_read_fast", lambda source: None)
    slow = [_parsed_or_error(path.read_text(encoding="utf-8", errors="replace")) for path in files]
    assert len(files) > 30
    assert fast == slow


@pytest.mark.parametrize(
    ("yaml_text", "message", "line"),
    [
        ("title: &t Hello\ncopy: *t\n", "aliases (*name) are not allowed", 3),
        ("title: x\nnested: " + "[" * 13 + "]" * 13 + "\n", "nested more than 12 levels deep", 3),
    ],
)
def test_aliases_and_deep_nesting_are_refused_with_the_python_loaders_words(yaml_text, message, line):
    assert frontmatter._read_fast(yaml_text) is None
    with pytest.raises(FrontMatterError) as raised:
        parse(f"---\n{yaml_text}---\n")
    assert message in raised.value.message
    assert raised.value.line == line


@pytest.mark.parametrize(
    "yaml_text",
    [
        "nested: " + "[" * 11 + "x" + "]" * 11 + "\n",  # twelve levels with the top mapping: allowed
        "on: yes\noff: No\nnothing: ~\nempty:\nlist: [a, 'b', true]\nmap: {k: v}\n",
        "key: !!str 12\nother: plain\n",
    ],
)
def test_what_libyaml_reads_is_what_the_python_loader_reads(yaml_text, monkeypatch):
    fast = parse(f"---\n{yaml_text}---\n")
    monkeypatch.setattr(frontmatter, "_read_fast", lambda source: None)
    slow = parse(f"---\n{yaml_text}---\n")
    assert fast == slow
