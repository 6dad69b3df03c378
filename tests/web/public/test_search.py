"""Searching and filtering the jobs list, in both languages: a plain GET form,
shareable URLs, the toggle keeping the query, and "no results" that explains itself."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from portal.content import Kind
from portal.content.search import JobQuery, search_postings
from portal.content.text import fold
from portal.web.documents import document_url
from tests.conftest import LANGUAGES, shared_path

JOBS = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
OTHER = {"en": "fr", "fr": "en"}
#: The open sample postings, by a short name, then language.
POSTINGS = {
    "accessibility": {
        "en": "/en/jobs/accessibility-specialist/",
        "fr": "/fr/emplois/specialiste-de-l-accessibilite/",
    },
    "product": {
        "en": "/en/jobs/head-of-product-management/",
        "fr": "/fr/emplois/chef-de-la-gestion-de-produits/",
    },
    "python": {
        "en": "/en/jobs/senior-python-developer/",
        "fr": "/fr/emplois/developpeuse-ou-developpeur-python-principal/",
    },
}


def found(result, lang: str) -> list[str]:
    """Return the short names of the postings a result page lists, in its order."""
    by_url = {urls[lang]: name for name, urls in POSTINGS.items()}
    return [by_url[a["href"]] for a in result.soup.select(".card__title a")]


def search(client, parse, lang: str, **args):
    return parse(client.get(JOBS[lang] + ("?" + urlencode(args) if args else "")), lang=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ({"en": "PYTHON", "fr": "PYTHON"}, ["python"]),
        ({"en": "accessibility specialist", "fr": "specialiste accessibilite"}, ["accessibility"]),
        ({"en": "Senior DEVELOPER", "fr": "developpeur"}, ["python"]),
        ({"en": "product  MANAGEMENT", "fr": "Cheffe gestion PRODUITS"}, ["product"]),
    ],
)
def test_keywords_ignore_accents_case_and_spacing(client, page, lang, words, expected):
    result = search(client, page, lang, q=words[lang])
    assert found(result, lang) == expected
    count = {"en": "1 job matches “", "fr": "1 emploi correspond à «\u00a0"}[lang]
    assert count in result.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_words_are_searched_in_the_page_language(client, page, lang):
    other_words = {"en": "principal", "fr": "Senior"}[lang]
    assert found(search(client, page, lang, q=other_words), lang) == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"classification": "IT-03"}, {"python"}),
        ({"classification": "pm-06"}, {"product"}),
        ({"where": "QC"}, {"accessibility"}),
        # A province also finds the postings open to remote work from anywhere in Canada.
        ({"where": "YT"}, {"python", "accessibility"}),
        ({"where": "remote"}, {"accessibility"}),
        ({"employment": "term"}, {"product"}),
        ({"employment": "indeterminate"}, {"python", "accessibility"}),
        ({"language": "bilingual-imperative"}, {"python"}),
        ({"language": "english-or-french"}, {"accessibility"}),
        ({"q": "ottawa", "employment": "indeterminate"}, {"python"}),
        (
            {"q": "python", "where": "ON", "classification": "IT-03", "language": "bilingual-imperative"},
            {"python"},
        ),
    ],
)
def test_each_filter_alone_and_combined(client, page, lang, args, expected):
    result = search(client, page, lang, **args)
    assert set(found(result, lang)) == expected
    assert result.soup.select_one(".search-results a")["href"] == JOBS[lang], "a link clears the search"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_filters_in_use_are_named_above_the_results(client, page, lang):
    result = search(client, page, lang, q="python", where="YT", employment="indeterminate")
    summary = result.soup.select_one(".search-results").get_text(" ", strip=True)
    expected = {
        "en": [
            "1 job matches “python” with these filters:",
            "Location: Yukon",
            "Type of employment: Indeterminate",
        ],
        "fr": [
            "1 emploi correspond à «\u00a0python\u00a0» avec ces filtres\u00a0:",
            "Lieu de travail\u00a0: Yukon",
            "Type d’emploi\u00a0: Durée indéterminée",
        ],
    }[lang]
    for words in expected:
        assert words in summary


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sort_by_closing_date_puts_the_soonest_first_and_open_ended_last(client, page, lang):
    assert found(search(client, page, lang, sort="closing"), lang) == ["python", "product", "accessibility"]
    selected = search(client, page, lang, sort="closing").soup.select_one("#search-sort option[selected]")
    assert selected["value"] == "closing"


@pytest.fixture
def closing_soon(make_app, content_tree):
    """An app with two postings in both languages: one closing in 3 days, one in 30."""
    now = datetime.now(UTC)
    for key, days in (("soon", 3), ("later", 30)):
        closes = (now + timedelta(days=days)).date().isoformat()
        for lang, folder in (("en", "jobs"), ("fr", "emplois")):
            content_tree(
                f"{lang}/{folder}/{key}-{lang}.md",
                f"""
                ---
                layout: job-posting
                title: Role {key} {lang}
                translationKey: {key}
                closingDate: {closes}
                ---
                Body.
                """,
            )
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_closing_soon_keeps_only_postings_closing_within_seven_days(closing_soon, page, lang):
    everything = search(closing_soon, page, lang)
    assert len(everything.soup.select(".card")) == 2
    result = search(closing_soon, page, lang, closing="soon")
    titles = [a.get_text(strip=True) for a in result.soup.select(".card__title a")]
    assert titles == [f"Role soon {lang}"]
    assert {"en": "Closes in 3 days", "fr": "Prend fin dans 3 jours"}[lang] in result.text
    assert result.soup.select_one("#search-closing").has_attr("checked")
    assert {"en": "Closing within 7 days", "fr": "Date limite d’ici 7 jours"}[lang] in result.text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "args",
    [
        {"classification": "IT 03; drop table", "where": "Atlantis", "employment": "forever"},
        {"language": "klingon", "sort": "random", "closing": "maybe"},
        {"q": "", "where": "", "sort": ""},
        {"unknown": "1", "start": "-5"},
    ],
)
def test_values_that_mean_nothing_are_ignored(client, page, lang, args):
    result = search(client, page, lang, **args)
    assert sorted(found(result, lang)) == ["accessibility", "product", "python"]
    assert not result.soup.select(".notice"), "no error and no 'no results'"
    assert {"en": "3 jobs are open", "fr": "3 emplois sont ouverts"}[lang] in result.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_very_long_words_are_cut_not_refused(client, page, lang):
    result = search(client, page, lang, q="python " * 200)
    assert found(result, lang) == ["python"]
    assert len(result.soup.select_one("#search-q")["value"]) <= 200


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_results_says_what_was_searched_and_offers_to_clear(client, page, lang):
    result = search(client, page, lang, q="zeppelin")
    notice = result.soup.select_one(".notice")
    text = notice.get_text(" ", strip=True)
    assert {
        "en": "No open job matches “zeppelin”.",
        "fr": "Aucun emploi ouvert ne correspond à «\u00a0zeppelin\u00a0».",
    }[lang] in text
    assert {"en": "Check the spelling", "fr": "Vérifiez l’orthographe"}[lang] in text
    clear = notice.find_all("a")[-1]
    assert clear["href"] == JOBS[lang]
    assert {"en": "see all 3 open jobs", "fr": "voir les 3 emplois ouverts"}[lang] in clear.get_text()
    assert result.soup.select_one("#search-q")["value"] == "zeppelin", "the form keeps the words"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_results_says_when_the_words_alone_would_find_jobs(client, page, lang):
    result = search(client, page, lang, q="python", where="QC", sort="closing")
    notice = result.soup.select_one(".notice")
    text = notice.get_text(" ", strip=True)
    assert {"en": "Location: Quebec", "fr": "Lieu de travail\u00a0: Québec"}[lang] in text
    assert {
        "en": "Without the filters, 1 job matches “python”.",
        "fr": "Sans les filtres, 1 emploi correspond à «\u00a0python\u00a0».",
    }[lang] in text
    without = notice.find_all("a")[0]["href"]
    assert parse_qs(urlsplit(without).query) == {"q": ["python"], "sort": ["closing"]}
    assert found(page(client.get(without), lang=lang), lang) == ["python"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_results_for_filters_alone_suggests_fewer_filters(client, page, lang):
    result = search(client, page, lang, classification="PM-06", where="remote")
    text = result.soup.select_one(".notice").get_text(" ", strip=True)
    assert {
        "en": "No open job matches these filters:",
        "fr": "Aucun emploi ouvert ne correspond à ces filtres\u00a0:",
    }[lang] in text
    assert {"en": "Choose fewer filters", "fr": "Choisissez moins de filtres"}[lang] in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_toggle_and_alternates_keep_the_query_in_the_other_language(client, page, lang):
    args = {"q": "Développeur", "where": "ON", "closing": "soon", "sort": "closing"}
    result = search(client, page, lang, **args)
    other = OTHER[lang]
    for url in (result.toggle()[other], result.alternates()[other]):
        target = urlsplit(url)
        assert target.path == JOBS[other]
        assert parse_qs(target.query) == {key: [value] for key, value in args.items()}, "words kept as typed"
    toggled = page(client.get(result.toggle()[other]), lang=other)
    assert toggled.soup.select_one("#search-q")["value"] == "Développeur"
    assert parse_qs(urlsplit(toggled.toggle()[lang]).query) == parse_qs(urlencode(args))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unfiltered_list_toggles_to_the_plain_list(client, page, lang):
    assert search(client, page, lang).toggle() == {OTHER[lang]: JOBS[OTHER[lang]]}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_filtered_pages_have_their_own_etag_and_stay_public(client, lang):
    plain = client.get(JOBS[lang])
    filtered = client.get(JOBS[lang] + "?q=python")
    other = client.get(JOBS[lang] + "?q=python&sort=closing")
    etags = {plain.headers["ETag"], filtered.headers["ETag"], other.headers["ETag"]}
    assert len(etags) == 3
    assert client.get(JOBS[lang] + "?q=python").headers["ETag"] == filtered.headers["ETag"]
    stale = client.get(JOBS[lang] + "?q=python", headers={"If-None-Match": plain.headers["ETag"]})
    assert stale.status_code == 200, "the unfiltered list's ETag never validates a search"
    fresh = client.get(JOBS[lang] + "?q=python", headers={"If-None-Match": filtered.headers["ETag"]})
    assert fresh.status_code == 304
    for response in (plain, filtered):
        assert response.cache_control.public
        assert "Set-Cookie" not in response.headers


def form_fields(result) -> dict[str, list[str]]:
    """Return each control of the search form by name, with the values it offers."""
    form = result.soup.select_one("form.job-search")
    fields: dict[str, list[str]] = {}
    for control in form.select("input, select"):
        values = [option["value"] for option in control.select("option")] or [control.get("value", "")]
        fields[control["name"]] = values
    return fields


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_form_is_a_labelled_plain_get_form(client, page, lang):
    result = search(client, page, lang)
    form = result.soup.select_one("form.job-search")
    assert form["method"] == "get" and form["action"] == JOBS[lang]
    assert not result.soup.find("script")
    ids = [element["id"] for element in result.soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "ids are unique"
    for control in form.select("input, select"):
        assert form.select_one(f"label[for='{control['id']}']").get_text(strip=True), control["name"]
    assert form.select_one("fieldset legend").get_text(strip=True)
    assert set(form_fields(result)) == {
        "q",
        "classification",
        "where",
        "employment",
        "language",
        "closing",
        "sort",
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_filters_offer_only_values_some_posting_has(client, page, lang):
    fields = form_fields(search(client, page, lang))
    assert fields["classification"] == ["", "IT-02", "IT-03", "PM-06"]
    assert sorted(fields["where"]) == ["", "ON", "QC", "YT", "remote"]
    assert fields["employment"] == ["", "indeterminate", "term"]
    labels = [o.get_text() for o in search(client, page, lang).soup.select("#search-where option")]
    assert labels[1:4] == {"en": ["Ontario", "Quebec", "Yukon"], "fr": ["Ontario", "Québec", "Yukon"]}[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_submitting_the_form_as_a_browser_does_filters_the_list(client, page, lang):
    fields = form_fields(search(client, page, lang))
    # A browser sends every field by name: the empty selects, the words typed,
    # the chosen values; an unchecked checkbox is left out.
    submitted = {name: values[0] for name, values in fields.items() if name != "closing"}
    submitted.update(q="python", where="YT", employment="indeterminate")
    url = JOBS[lang] + "?" + urlencode(submitted)
    result = page(client.get(url), lang=lang)
    assert found(result, lang) == ["python"]
    assert result.soup.select_one("#search-where option[selected]")["value"] == "YT"
    assert result.soup.select_one("#search-employment option[selected]")["value"] == "indeterminate"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_filter_value_no_posting_has_stays_selected(client, page, lang):
    result = search(client, page, lang, classification="EC-05", where="NU")
    assert result.soup.select_one("#search-classification option[selected]")["value"] == "EC-05"
    assert result.soup.select_one("#search-where option[selected]")["value"] == "NU"
    assert result.soup.select_one(".notice"), "it finds nothing, and says so"


@pytest.mark.corpus
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_word_from_a_real_posting_title_finds_it(make_app, page, lang):
    roots = [
        shared_path("corpus", "cds-site", "digital-canada-ca", "content"),
        shared_path("corpus", "cds-site", "digital-canada-ca-website", "content"),
    ]
    app = make_app(PORTAL_CONTENT_DIR=os.pathsep.join(str(root) for root in roots))
    index = app.extensions["portal.content"].index()
    postings = index.listed(Kind.POSTING, lang, datetime.now(UTC))
    assert postings, f"the corpus has open {lang} postings"
    # The title's longest word, typed without its accents and in capitals.
    posting = postings[0]
    word = max(posting.title.split(), key=len)
    typed = fold(word).upper().strip(",.:;()")
    result = search(app.test_client(), page, lang, q=typed)
    with app.test_request_context():
        assert document_url(posting) in [a["href"] for a in result.soup.select(".card__title a")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_fast_search_agrees_with_matching_each_posting(app, lang):
    """search_postings filters with tables built once; JobQuery.matches is the rule."""
    index = app.extensions["portal.content"].index()
    now = datetime.now(UTC)
    listed = index.listed(Kind.POSTING, lang, now)
    values = {
        "text": ["", "python", "ottawa", "zeppelin"],
        "classification": ["", "IT-02", "IT-03", "PM-06", "EC-05"],
        "where": ["", "ON", "QC", "YT", "NU", "remote"],
        "employment": ["", "indeterminate", "term", "casual"],
        "language": ["", "bilingual-imperative", "english-or-french", "various"],
        "closing_soon": [False, True],
    }
    checked = 0
    for combination in itertools.product(*values.values()):
        query = JobQuery(**dict(zip(values, combination, strict=True)))
        expected = [doc for doc in listed if query.matches(doc, index.search_text(doc), now)]
        assert list(search_postings(index, lang, query, now)) == expected, query
        checked += bool(expected)
    assert checked > 50, "enough of the combinations find postings"


@pytest.fixture
def many_postings(make_app, content_tree):
    """An app with 25 open postings in both languages, "Role 00" the newest."""
    now = datetime.now(UTC)
    for number in range(25):
        posted = (now - timedelta(days=number)).date().isoformat()
        for lang, folder in (("en", "jobs"), ("fr", "emplois")):
            content_tree(
                f"{lang}/{folder}/role-{number:02}-{lang}.md",
                f"""
                ---
                layout: job-posting
                title: Role {number:02} {lang}
                translationKey: role-{number:02}
                date: {posted}
                classification: IT-0{1 + number % 2}
                ---
                Body.
                """,
            )
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()


def titles(result) -> list[str]:
    return [a.get_text(strip=True) for a in result.soup.select(".card__title a")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_long_lists_come_a_page_at_a_time(many_postings, page, lang):
    first = search(many_postings, page, lang)
    assert titles(first) == [f"Role {number:02} {lang}" for number in range(20)]
    assert {"en": "25 jobs are open", "fr": "25 emplois sont ouverts"}[lang] in first.text
    assert {"en": "Page 1 of 2", "fr": "Page 1 sur 2"}[lang] in first.text
    next_url = first.soup.select_one(".pagination a[rel=next]")["href"]
    assert next_url == JOBS[lang] + "?page=2"
    second = page(many_postings.get(next_url), lang=lang)
    assert titles(second) == [f"Role {number:02} {lang}" for number in range(20, 25)]
    assert second.soup.select_one(".pagination a[rel=prev]")["href"] == JOBS[lang]
    assert not second.soup.select(".pagination a[rel=next]")
    assert first.response.headers["ETag"] != second.response.headers["ETag"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_keep_the_search_and_the_toggle_keeps_the_page(many_postings, page, lang):
    result = search(many_postings, page, lang, classification="IT-01", sort="closing")
    assert len(titles(result)) == 13
    assert not result.soup.select(".pagination"), "13 postings fit on one page"
    second = search(many_postings, page, lang, q="role", page="2")
    assert titles(second) == [f"Role {number:02} {lang}" for number in range(20, 25)]
    other = urlsplit(second.toggle()[OTHER[lang]])
    assert other.path == JOBS[OTHER[lang]]
    assert parse_qs(other.query) == {"q": ["role"], "page": ["2"]}
    prev = urlsplit(second.soup.select_one(".pagination a[rel=prev]")["href"])
    assert parse_qs(prev.query) == {"q": ["role"]}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("asked", "shown"), [("99", 2), ("0", 1), ("-1", 1), ("two", 1), ("²", 1), ("1e9", 1)]
)
def test_a_page_that_means_nothing_or_is_past_the_end_shows_a_real_one(
    many_postings, page, lang, asked, shown
):
    result = search(many_postings, page, lang, page=asked)
    expected = {"en": f"Page {shown} of 2", "fr": f"Page {shown} sur 2"}[lang]
    assert expected in result.soup.select_one(".pagination").get_text(" ", strip=True)


def test_cards_kept_in_memory_are_never_shown_in_another_language(make_app, page):
    """The pseudo-locale lists the English postings: their cards are its own."""
    client = make_app(PORTAL_PSEUDO_LANGUAGE="qps").test_client()

    def labels(url: str, lang: str) -> list[str]:
        return [dt.get_text() for dt in page(client.get(url), lang=lang).soup.select(".card dt")]

    assert "Classification" in labels("/en/jobs/?q=python", "en")
    assert "[Çļàššîƒîçàţîöñ]" in labels("/qps/jobs/?q=python", "qps")
    assert "Classification" in labels("/en/jobs/?q=python", "en")


def robots_and_canonical(result) -> tuple[str | None, str]:
    robots = result.soup.find("meta", attrs={"name": "robots"})
    return (robots["content"] if robots else None, result.soup.find("link", rel="canonical")["href"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_engines_index_the_pages_of_the_whole_list_not_searches(many_postings, page, lang):
    assert robots_and_canonical(search(many_postings, page, lang)) == (None, f"http://localhost{JOBS[lang]}")
    assert robots_and_canonical(search(many_postings, page, lang, page="2")) == (
        None,
        f"http://localhost{JOBS[lang]}?page=2",
    )
    for args in ({"q": "role"}, {"classification": "IT-01"}, {"sort": "closing"}, {"q": "role", "page": "2"}):
        assert robots_and_canonical(search(many_postings, page, lang, **args)) == (
            "noindex, follow",
            f"http://localhost{JOBS[lang]}",
        ), args


@pytest.mark.parametrize("lang", LANGUAGES)
def test_control_characters_in_the_words_are_dropped(client, page, lang):
    result = search(client, page, lang, q="\x00python\x07")
    assert found(result, lang) == ["python"]
    assert "\x00" not in result.response.get_data(as_text=True)
