"""Merit criteria as candidates see them on the posting page, in both languages."""

import pytest

POSTINGS = {
    "en": "/en/jobs/senior-python-developer/",
    "fr": "/fr/emplois/developpeuse-ou-developpeur-python-principal/",
}
HEADINGS = {
    "en": ("Essential qualifications", "Asset qualifications"),
    "fr": ("Qualifications essentielles", "Qualifications constituant un atout"),
}
FIRST_ASSET = {
    "en": "Experience mentoring developers",
    "fr": "Expérience du mentorat",
}


def criteria_lists(result) -> dict[str, list[str]]:
    """Return each criteria list's items, by the heading above it."""
    return {
        heading.get_text(strip=True): [
            item.get_text(" ", strip=True) for item in heading.find_next_sibling("ul").find_all("li")
        ]
        for heading in result.soup.select("section.criteria h2")
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_posting_page_lists_essential_then_asset_qualifications(client, page, lang):
    result = page(client.get(POSTINGS[lang]), 200, lang)
    lists = criteria_lists(result)
    essential, asset = HEADINGS[lang]
    assert list(lists) == [essential, asset]
    assert len(lists[essential]) == 2
    assert len(lists[asset]) == 1 and lists[asset][0].startswith(FIRST_ASSET[lang])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_posting_with_only_essential_criteria_shows_no_asset_heading(make_app, content_tree, page, lang):
    for path, label in (("en/jobs/analyst.md", "A degree"), ("fr/emplois/analyste.md", "Un grade")):
        content_tree(
            path,
            f"""
            ---
            layout: job-posting
            title: Analyst
            translationKey: analyst
            criteria:
              - id: degree
                kind: essential
                label: {label}
            ---
            Body.
            """,
        )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    url = {"en": "/en/jobs/analyst/", "fr": "/fr/emplois/analyste/"}[lang]
    lists = criteria_lists(page(client.get(url), 200, lang))
    assert lists == {HEADINGS[lang][0]: [{"en": "A degree", "fr": "Un grade"}[lang]]}


def test_a_posting_without_criteria_has_no_criteria_section(make_app, content_tree, page):
    content_tree("en/jobs/analyst.md", "---\nlayout: job-posting\ntitle: Analyst\n---\nBody.\n")
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    result = page(client.get("/en/jobs/analyst/"), 200, "en")
    assert result.soup.select("section.criteria") == []
