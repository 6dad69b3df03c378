"""Markdown is rendered once and sanitised by an allow-list."""

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
