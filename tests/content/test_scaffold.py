"""Starting a posting or story in every language (``flask content new``):
slugs from titles, every documented key, dates in the employer's time zone,
drafts that pass the strict check and, once published, are served as a pair;
nothing taken is overwritten or reused."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, Severity, scaffold
from portal.content.criteria import CriterionKind
from portal.content.fields import KNOWN_KEYS, NAME_BLIND_STAGES
from portal.content.frontmatter import parse
from portal.content.jobfacts import EmploymentType, LanguageRequirement, RemoteWork, SalaryPeriod
from portal.content.loader import load
from portal.plumbing import glossary
from portal.plumbing.config import PROJECT_ROOT

TORONTO = ZoneInfo("America/Toronto")
LANGUAGES = ["en", "fr"]
TITLES = {
    Kind.POSTING: {"en": "Service Designer", "fr": "Conceptrice ou concepteur de services"},
    Kind.STORY: {"en": "Our second year: what changed", "fr": "Notre deuxième année\u00a0: ce qui a changé"},
}
SLUGS = {
    Kind.POSTING: {"en": "service-designer", "fr": "conceptrice-ou-concepteur-de-services"},
    Kind.STORY: {"en": "our-second-year-what-changed", "fr": "notre-deuxieme-annee-ce-qui-a-change"},
}
URLS = {
    Kind.POSTING: {"en": "/en/jobs/{}/", "fr": "/fr/emplois/{}/"},
    Kind.STORY: {"en": "/en/blog/{}/", "fr": "/fr/blogue/{}/"},
}
FOLDERS = {Kind.POSTING: "jobs", Kind.STORY: "blog/posts"}
#: Documented keys a new file leaves out: Hugo and CMS bookkeeping the portal
#: ignores, and ``url``, which ``aliases`` does the work of (its comment says so).
LEFT_OUT = {"type", "processed", "image-translation", "url"}
STORY_ONLY = {"author", "image", "image-alt", "thumb", "tags"}
STORY_KEYS = {"layout", "title", "description", "translationKey", "draft", "linkHidden", "date", "aliases"}


def start(root: Path, kind: Kind, now: datetime | None = None, **options) -> list[scaffold.NewFile]:
    files = scaffold.plan(kind, TITLES[kind], root, timezone=TORONTO, now=now or datetime.now(UTC), **options)
    scaffold.write(files)
    return files


def publish(files: list[scaffold.NewFile]) -> None:
    for new in files:
        text = new.path.read_text(encoding="utf-8")
        assert text.count("\ndraft: true ") == 1
        new.path.write_text(text.replace("\ndraft: true ", "\ndraft: false "), encoding="utf-8")


def problems(index) -> list[str]:
    return [str(problem) for problem in index.problems if problem.severity is not Severity.NOTE]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Spécialiste de l’accessibilité", "specialiste-de-l-accessibilite"),
        ("Analyste de données", "analyste-de-donnees"),
        ("Head of Product Management", "head-of-product-management"),
        ("  Œuvre d'art & ÆSTHETICS (2027)!  ", "oeuvre-d-art-aesthetics-2027"),
        ("Straße_und Weg", "strasse-und-weg"),
        ("ᐃᓄᒃᑎᑐᑦ ᐃᓕᓐᓂᐊᖅᑐᖅ", "ᐃᓄᒃᑎᑐᑦ-ᐃᓕᓐᓂᐊᖅᑐᖅ"),
    ],
)
def test_a_slug_is_the_title_folded_like_the_bundled_file_names(title, slug):
    assert scaffold.slugify(title) == slug


def test_a_long_title_is_cut_between_words():
    slug = scaffold.slugify("Senior " * 20 + "Developer")
    assert len(slug) <= scaffold.MAX_SLUG
    assert slug.startswith("senior-senior") and slug.endswith("senior") and "--" not in slug


@pytest.mark.parametrize("kind", list(Kind))
def test_the_new_pair_is_two_drafts_named_from_their_titles_and_sharing_a_key(tmp_path, kind):
    files = start(tmp_path, kind)
    assert [new.path for new in files] == [
        tmp_path / lang / FOLDERS[kind] / f"{SLUGS[kind][lang]}.md" for lang in LANGUAGES
    ]
    for new in files:
        data = parse(new.path.read_text(encoding="utf-8")).data
        assert data["title"] == TITLES[kind][new.lang]
        assert data["translationKey"] == SLUGS[kind]["en"], "the key comes from the English title"
        assert data["draft"] is True
    index = load([tmp_path], LANGUAGES, TORONTO)
    assert problems(index) == []
    assert [problem.message for problem in index.problems] == ["draft: true, not published"] * 2
    for lang in LANGUAGES:
        assert index.get(kind, lang, SLUGS[kind][lang]) is None, "a draft is not served"


@pytest.mark.parametrize("kind", list(Kind))
def test_published_the_pair_passes_the_strict_check_and_is_paired(tmp_path, kind):
    publish(start(tmp_path, kind))
    index = load([tmp_path], LANGUAGES, TORONTO)
    assert problems(index) == [], "no error and no warning: content check --strict passes"
    english = index.get(kind, "en", SLUGS[kind]["en"])
    assert index.counterparts(english)["fr"].slug == SLUGS[kind]["fr"]
    if kind is Kind.POSTING:
        assert english.accepts_applications(datetime.now(UTC))
        french = index.get(kind, "fr", SLUGS[kind]["fr"])
        assert french.facts == english.facts and french.facts.salary is not None
        assert [q.id for q in french.questions] == ["clearance", "work-location", "experience"]
        assert french.questions[0].essential and french.questions[0].required_answer == "yes"
        assert [(c.id, c.kind) for c in french.criteria] == [(c.id, c.kind) for c in english.criteria]
        assert {c.kind for c in english.criteria} == set(CriterionKind)
        assert french.questions[1].label != english.questions[1].label, "labels in each language"


@pytest.mark.parametrize("kind", list(Kind))
def test_every_documented_key_is_there_with_a_comment(tmp_path, kind):
    docs = (PROJECT_ROOT / "docs" / "content.md").read_text(encoding="utf-8")
    table = docs.split("## Front matter keys", 1)[1].split("\n#", 1)[0]
    documented = {
        key for row in re.findall(r"^\| (`.*?) \|", table, re.M) for key in re.findall(r"`([\w-]+)`", row)
    }
    assert documented == KNOWN_KEYS, "the keys docs/content.md documents are the keys the loader reads"
    for new in start(tmp_path, kind):
        text = new.path.read_text(encoding="utf-8")
        keys = set(parse(text).data)
        if kind is Kind.POSTING:
            assert keys == KNOWN_KEYS - LEFT_OUT - STORY_ONLY
        else:
            assert keys == STORY_KEYS | STORY_ONLY
        front = text.split("\n---\n", 1)[0]
        for line in re.findall(r"^[\w-]+:.*$", front, re.M):
            assert "  # " in line, f"{line!r} has no comment"


def test_the_comments_give_the_vocabulary_of_each_job_fact(tmp_path):
    english, _ = start(tmp_path, Kind.POSTING)
    comments = {match[1]: match[2] for match in re.finditer(r"^\s*([\w-]+):.*?  # (.*)$", english.text, re.M)}
    for key, vocabulary in (
        ("employmentType", EmploymentType),
        ("remote", RemoteWork),
        ("languageRequirement", LanguageRequirement),
        ("period", SalaryPeriod),
        ("kind", CriterionKind),
    ):
        assert all(member.value in comments[key] for member in vocabulary), key
    assert all(stage in comments["nameBlind"] for stage in NAME_BLIND_STAGES)
    assert "America/Toronto" in comments["closingDate"]


def test_dates_are_written_with_the_offset_of_the_employers_time_zone_on_that_day(tmp_path):
    # 11 p.m. on October 14 in Toronto (summer time); thirty days later is winter time.
    now = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)
    posting, _ = start(tmp_path, Kind.POSTING, now=now)
    story, _ = start(tmp_path, Kind.STORY, now=now)
    assert "\nclosingDate: '2026-11-13T23:59:00-05:00' " in posting.path.read_text(encoding="utf-8")
    assert "\ndate: '2026-10-14T23:00:00-04:00' " in story.path.read_text(encoding="utf-8")
    index = load([tmp_path], LANGUAGES, TORONTO)
    documents = {doc.slug: doc for doc in index.documents.values()}
    assert documents["service-designer"].closing_at == datetime(2026, 11, 13, 23, 59, tzinfo=TORONTO)
    assert documents["our-second-year-what-changed"].date == now


def test_the_french_file_keeps_the_glossary_and_french_typography(tmp_path):
    terms = glossary.load(glossary.path_for(PROJECT_ROOT / "translations", "fr"))
    for kind in Kind:
        start(tmp_path, kind)
    assert glossary.check_content([tmp_path / "fr"], tmp_path, terms, french=True) == []


@pytest.mark.parametrize(
    "title",
    [
        "yes",
        "null",
        "2027",
        "- Lead: data & AI #1",
        "'Quoted' \"twice\"",
        "Cheffe\u00a0: équipe [N]",
        "{a: b}",
    ],
)
def test_a_title_yaml_would_misread_is_written_to_read_back_as_typed(tmp_path, title):
    files = scaffold.plan(
        Kind.STORY, {"en": title, "fr": title}, tmp_path, timezone=TORONTO, now=datetime.now(UTC), key="k-1"
    )
    assert [parse(new.text).data["title"] for new in files] == [title, title]


def test_a_given_key_pairs_the_files(tmp_path):
    files = start(tmp_path, Kind.POSTING, key="design-2027")
    assert {parse(new.text).data["translationKey"] for new in files} == {"design-2027"}


def test_a_third_language_gets_the_english_placeholders_to_translate(tmp_path):
    files = scaffold.plan(
        Kind.STORY,
        {"en": "Hello", "fr": "Bonjour", "es": "Hola"},
        tmp_path,
        timezone=TORONTO,
        now=datetime.now(UTC),
    )
    assert [new.path.relative_to(tmp_path).as_posix() for new in files][-1] == "es/blog/posts/hola.md"
    assert parse(files[2].text).body == parse(files[0].text).body


def test_an_existing_file_is_never_overwritten(tmp_path):
    first = start(tmp_path, Kind.POSTING)
    before = {new.path: new.path.read_bytes() for new in first}
    with pytest.raises(scaffold.Taken, match=re.escape(f"{first[0].path} already exists")):
        start(tmp_path, Kind.POSTING, key="another-key")
    assert first[0].path.read_bytes() == before[first[0].path]


def test_a_slug_used_in_another_folder_of_the_language_is_refused(tmp_path):
    other = tmp_path / "fr" / "careers" / "positions" / "Conceptrice-ou-concepteur-de-services.md"
    other.parent.mkdir(parents=True)
    other.write_text("---\nlayout: job-posting\ntitle: Autre\ntranslationKey: autre\n---\n", encoding="utf-8")
    with pytest.raises(scaffold.Taken, match=re.escape(f"{other} already has the slug")):
        start(tmp_path, Kind.POSTING)
    assert not (tmp_path / "en").exists(), "nothing written"


@pytest.mark.parametrize("written", ["Service-Designer/", "service-designer", " SERVICE-DESIGNER "])
def test_a_translation_key_in_use_is_refused_however_it_is_written(tmp_path, written):
    used = tmp_path / "en" / "blog" / "posts" / "older.md"
    used.parent.mkdir(parents=True)
    used.write_text(f"---\ntitle: Older\ntranslationKey: '{written}'\n---\n", encoding="utf-8")
    with pytest.raises(scaffold.Taken, match=re.escape(f"'service-designer' is already used by {used}")):
        start(tmp_path, Kind.POSTING)
    assert not (tmp_path / "en" / "jobs").exists()


def test_keys_and_slugs_are_looked_for_in_every_root_given(tmp_path):
    other_root = tmp_path / "other"
    start(other_root, Kind.POSTING)
    with pytest.raises(scaffold.Taken, match="already has the slug"):
        start(tmp_path / "main", Kind.POSTING, key="fresh", roots=[tmp_path / "main", other_root])


def test_nothing_is_left_behind_when_a_file_appears_meanwhile(tmp_path):
    files = scaffold.plan(
        Kind.POSTING, TITLES[Kind.POSTING], tmp_path, timezone=TORONTO, now=datetime.now(UTC)
    )
    files[1].path.parent.mkdir(parents=True)
    files[1].path.write_text("someone else's", encoding="utf-8")
    with pytest.raises(scaffold.Taken, match="nothing written"):
        scaffold.write(files)
    assert not files[0].path.exists()
    assert files[1].path.read_text(encoding="utf-8") == "someone else's"


@pytest.mark.parametrize(
    ("titles", "key", "message"),
    [
        ({"en": "!!!", "fr": "Titre"}, None, "no letters or digits"),
        ({"en": "Title", "fr": "Titre"}, "2", "bare number"),
        ({"en": "Title", "fr": "Titre"}, " / ", "empty"),
    ],
)
def test_titles_and_keys_that_cannot_be_used_are_refused(tmp_path, titles, key, message):
    with pytest.raises(ValueError, match=message):
        scaffold.plan(Kind.POSTING, titles, tmp_path, timezone=TORONTO, now=datetime.now(UTC), key=key)


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_published_pair_is_served_with_the_toggle_linking_both(make_app, page, tmp_path, kind, lang):
    files = start(tmp_path, kind)
    url = {new.lang: URLS[kind][new.lang].format(SLUGS[kind][new.lang]) for new in files}
    draft = make_app(PORTAL_CONTENT_DIR=str(tmp_path)).test_client()
    assert draft.get(url[lang]).status_code == 404, "not served before it is published"
    publish(files)
    client = make_app(PORTAL_CONTENT_DIR=str(tmp_path)).test_client()
    shown = page(client.get(url[lang]), lang=lang)
    assert shown.h1 == TITLES[kind][lang]
    other = "fr" if lang == "en" else "en"
    assert shown.toggle() == {other: url[other]}
    assert shown.alternates()[other].endswith(url[other])
    back = page(client.get(shown.toggle()[other]), lang=other)
    assert back.toggle() == {lang: url[lang]}
