"""Markdown is rendered once and sanitised by an allow-list."""

import pytest
from markupsafe import Markup

from portal.content.render import render_markdown


def test_markdown_renders_commonmark_and_tables():
    html = render_markdown("## Duties\n\n* one\n* two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert isinstance(html, Markup)
    assert "<h2>Duties</h2>" in html
    assert "<li>one</li>" in html
    assert "<td>1</td>" in html


def test_scripts_handlers_and_javascript_urls_are_removed():
    html = render_markdown(
        "<script>alert(1)</script>\n\n"
        '<p onclick="alert(2)">Text</p>\n\n'
        "[x](javascript:alert(3))\n\n"
        '<a href="javascript:alert(4)">y</a>\n\n'
        '<img src="/a.png" alt="A" onerror="alert(5)">\n\n'
        '<iframe src="https://example.org"></iframe>\n\n'
        '<p style="position:fixed" class="wp-block" id="main">Styled</p>\n'
    )
    lowered = html.lower()
    for forbidden in ("<script", "onclick", 'href="javascript', "onerror", "<iframe", "style=", "id="):
        assert forbidden not in lowered, forbidden
    assert "Text" in html and "Styled" in html
    assert '<img src="/a.png" alt="A">' in html


def test_rich_html_from_a_cms_is_kept():
    html = render_markdown(
        '<figure><img src="https://example.org/a.jpg" alt="A team" loading="lazy">'
        "<figcaption>Our team</figcaption></figure>\n\n"
        "<details><summary>More</summary><p>Hidden text</p></details>\n\n"
        '<table><thead><tr><th scope="col">H</th></tr></thead>'
        "<tbody><tr><td>C</td></tr></tbody></table>\n"
    )
    for kept in (
        "<figure>",
        "<figcaption>Our team</figcaption>",
        "<details>",
        "<summary>More</summary>",
        "<table>",
        '<th scope="col">H</th>',
        'loading="lazy"',
        'alt="A team"',
    ):
        assert kept in html, kept


def test_links_get_noopener_and_lose_target():
    html = render_markdown('<a href="https://example.org" target="_blank">out</a>')
    assert 'rel="noopener noreferrer"' in html
    assert "target" not in html


def test_level_one_headings_become_level_two():
    html = render_markdown("# Title in body\n\n<h1 class='x'>Raw</h1>\n")
    assert "<h1" not in html
    assert "<h2>Title in body</h2>" in html
    assert "<h2>Raw</h2>" in html


def test_mailto_autolinks_survive():
    html = render_markdown("Write to <mailto:jobs@example.org>.")
    assert 'href="mailto:jobs@example.org"' in html


REL = 'rel="noopener noreferrer"'


def test_bare_www_addresses_and_email_addresses_become_links_as_on_hugo():
    html = render_markdown(
        "See www.example.org/jobs/, https://example.org/a?b=1 or write to jobs@example.org.\n\n"
        "`www.example.org` in code and [www.example.org](https://example.com) stay as they are.\n"
    )
    assert f'<a href="http://www.example.org/jobs/" {REL}>www.example.org/jobs/</a>,' in html
    assert f'<a href="https://example.org/a?b=1" {REL}>https://example.org/a?b=1</a>' in html
    assert '<a href="mailto:jobs@example.org" rel="noopener noreferrer">jobs@example.org</a>.' in html
    assert "<code>www.example.org</code>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">www.example.org</a>' in html


def test_a_www_link_leaves_out_trailing_punctuation_and_an_unopened_parenthesis():
    html = render_markdown("(apply at www.example.org/apply). Or www.example.org/a_(b)!\n")
    assert f'<a href="http://www.example.org/apply" {REL}>www.example.org/apply</a>).' in html
    assert f'<a href="http://www.example.org/a_(b)" {REL}>www.example.org/a_(b)</a>!' in html


def test_footnotes_link_both_ways_with_hugos_ids_and_roles():
    html = render_markdown("Two years[^years] of experience[^years].\n\n[^years]: At least.\n")
    assert f'<sup id="fnref:1"><a href="#fn:1" role="doc-noteref" {REL}>1</a></sup>' in html
    assert '<sup id="fnref:1-1"><a href="#fn:1" role="doc-noteref"' in html
    assert '<div role="doc-endnotes">\n<hr>\n<ol>\n<li id="fn:1">' in html
    assert '<a href="#fnref:1" role="doc-backlink" rel="noopener noreferrer">↩︎</a>' in html
    assert '<a href="#fnref:1-1" role="doc-backlink"' in html


def test_content_cannot_set_ids_or_roles_other_than_footnotes():
    html = render_markdown(
        '<p id="main">a</p><li id="skip-link">b</li><sup id="main">c</sup>'
        '<a href="#x" role="button">d</a><div role="dialog">e</div><li id="fn:2">f</li>\n'
    )
    assert 'id="main"' not in html and 'id="skip-link"' not in html
    assert "role=" not in html
    assert '<li id="fn:2">f</li>' in html


def test_ids_written_in_capitals_or_unquoted_are_filtered_too():
    html = render_markdown("<ul><li ID=skip-link>a</li><li Id = 'main'>b</li></ul>\n")
    assert "skip-link" not in html and "main" not in html
    assert "<li>a</li><li>b</li>" in html


def test_definition_lists_task_lists_strikethrough_and_typography():
    html = render_markdown(
        'Term\n: Meaning\n\n- [x] done\n- [ ] to do\n\n~~gone~~ -- it\'s "quoted"... --- end\n'
    )
    assert "<dl>\n<dt>Term</dt>\n<dd>Meaning</dd>\n</dl>" in html
    assert "<li>☑ done</li>" in html and "<li>☐ to do</li>" in html
    assert "<input" not in html
    assert "<del>gone</del> – it’s “quoted”… — end" in html


def test_windows_line_endings_render_like_unix_ones():
    assert render_markdown("## A\r\n\r\nline one\r\nline two\r\n") == render_markdown(
        "## A\n\nline one\nline two\n"
    )


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[`", "<p>[`</p>"),
        (
            "See [the `flask` docs, www.example.org",
            '<p>See [the <code>flask</code> docs, <a href="http://www.example.org"',
        ),
        ("<div>[`x</div>\n", "<div>[`x</div>"),
    ],
)
def test_a_body_the_fast_renderer_cannot_read_is_rendered_all_the_same(markdown, expected):
    """markdown-it-pyrs panics on "[" then a backtick: such a body is rendered
    by markdown-it-py, so the file is served instead of stopping the load."""
    assert expected in render_markdown(markdown)


def test_a_posting_whose_body_panics_the_fast_renderer_is_served(content_tree, make_app):
    content_tree(
        "en/jobs/backtick.md",
        "---\ntitle: Backtick\nlayout: job-posting\ntranslationKey: backtick\n---\nUse [`flask run` here.\n",
    )
    content_tree(
        "fr/jobs/apostrophe-inverse.md",
        "---\ntitle: Apostrophe inverse\nlayout: job-posting\ntranslationKey: backtick\n---\n"
        "Utilisez [`flask run`.\n",
    )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    for url, text in (("/en/jobs/backtick/", "flask run"), ("/fr/emplois/apostrophe-inverse/", "flask run")):
        response = client.get(url)
        assert response.status_code == 200 and text in response.get_data(as_text=True)
