"""Two files of one language share a slug (a repost in another section):
one is served, and the translation of the other still gets a toggle, to
the page served at that slug."""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from portal.content.loader import load
from portal.content.translations import FindingKind, UnpairedReason, translation_report
from tests.conftest import LANGUAGES, shared_path

LISTING = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
OTHER = {"en": "fr", "fr": "en"}
#: The repost shares its language's old slug; the other language has one slug each.
SHARED_SLUGS = {"old": "lead", "new": "lead"}
OWN_SLUGS = {"old": "chef-2024-05", "new": "chef-2024-06"}


def posting(title: str, key: str, closed: bool) -> str:
    archived = "archived: true\n" if closed else ""
    return f"---\nlayout: job-posting\ntitle: {title}\ntranslationKey: {key}\n{archived}---\nBody.\n"


@pytest.fixture(params=LANGUAGES)
def reposted(request, content_tree):
    """Return (the language whose repost took the old slug, the other one) over a tree."""
    reposted_lang = request.param
    other = OTHER[reposted_lang]
    for lang, slugs in ((reposted_lang, SHARED_SLUGS), (other, OWN_SLUGS)):
        for age, closed in (("old", True), ("new", False)):
            content_tree(f"{lang}/{age}/{slugs[age]}.md", posting(f"{lang} {age}", f"lead-{age}", closed))
    return reposted_lang, other, content_tree


def test_toggle_of_the_translation_leads_to_the_page_served_at_the_lost_slug(reposted, make_app, page):
    reposted_lang, other, tree = reposted
    client = make_app(PORTAL_CONTENT_DIR=str(tree.root)).test_client()
    served = page(client.get(f"{LISTING[reposted_lang]}lead/"), lang=reposted_lang)
    assert served.h1 == f"{reposted_lang} new", "the open repost keeps the slug"
    orphan = page(client.get(f"{LISTING[other]}chef-2024-05/"), status=410, lang=other)
    assert orphan.toggle() == {reposted_lang: f"{LISTING[reposted_lang]}lead/"}
    assert orphan.soup.select(".notice--info") == [], "not an only-in-one-language page"
    assert served.toggle() == {other: f"{LISTING[other]}chef-2024-06/"}, "the repost keeps its own pair"


def test_check_and_translations_report_say_why(reposted):
    reposted_lang, _other, tree = reposted
    index = load([str(tree.root)], LANGUAGES, ZoneInfo("UTC"))
    (problem,) = [p for p in index.problems if p.path.endswith("chef-2024-05.md")]
    assert f"its {reposted_lang} translation " in problem.message and "lost its slug to " in problem.message
    assert problem.line == 4
    report = translation_report(index, LANGUAGES)
    (finding,) = report.of_kind(FindingKind.UNPAIRED)
    assert finding.file.path.endswith("chef-2024-05.md")
    assert finding.reason is UnpairedReason.COUNTERPART_NOT_SERVED
    assert report.of_kind(FindingKind.OPEN_CLOSED) == (), "the stand-in is no translation"
    assert report.pairs == 1


@pytest.mark.corpus
def test_the_real_interim_people_operations_lead_has_a_toggle(make_app, page):
    root = shared_path("corpus", "cds-site", "digital-canada-ca-website", "content")
    client = make_app(PORTAL_CONTENT_DIR=str(root)).test_client()
    english = "interim---people-operations-team-lead--d00217e5-e6a8-4f74-ac33-170dbb672912"
    french = (
        "responsable-d’équipe-des-opérations-du-personnel---poste-intérimaire"
        "--d00217e5-e6a8-4f74-ac33-170dbb672912"
    )
    result = page(client.get(f"/fr/emplois/{quote(french)}/"), status=410, lang="fr")
    (target,) = result.toggle().values()
    assert target == f"/en/jobs/{english}/"
    assert page(client.get(target), lang="en").h1 == "Interim - People Operations Team Lead"
