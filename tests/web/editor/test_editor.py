"""The content editor's page, configuration and files: who may open them,
their Content-Security-Policy, and a configuration that offers exactly what
the content loader accepts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from portal.content import loader
from portal.content.criteria import CriterionKind
from portal.content.fields import KNOWN_KEYS, NAME_BLIND_STAGES
from portal.content.jobfacts import EmploymentType, LanguageRequirement, RemoteWork, SalaryPeriod
from portal.content.model import QuestionType, Severity
from portal.domain.models import AuditEvent
from portal.plumbing.config import DEFAULTS, ConfigurationError
from portal.plumbing.db import db
from portal.plumbing.http import SECURITY_HEADERS
from portal.web.editor import cms_config

EDITOR = {"en": "/en/staff/editor/", "fr": "/fr/personnel/editeur/"}
TITLES = {"en": "Content editor", "fr": "Éditeur de contenu"}
#: Front-matter keys the editor leaves alone: Hugo's and other CMSes' bookkeeping, and
#: ``url``, an old address the editor writes in ``aliases``.
NOT_EDITED = {"type", "processed", "image-translation", "url"}


@pytest.fixture
def decap(tmp_path, db_app):
    """Decap's prebuilt files where the portal looks for them (PORTAL_CMS_DIST)."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "decap-cms.js").write_text("/* Decap CMS */", encoding="utf-8")
    (dist / "decap-cms.js.map").write_text("{}", encoding="utf-8")
    db_app.config["PORTAL_CMS_DIST"] = str(dist)
    return dist


def fields_by_name(collection: dict) -> dict[str, dict]:
    return {field["name"]: field for field in collection["fields"]}


def option_values(field: dict) -> list[str]:
    return [option["value"] for option in field["options"]]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_signed_out_visitors_are_sent_to_sign_in(staff, decap, lang):
    client = staff.client(None)
    for url in (EDITOR[lang], EDITOR[lang] + "config.yml"):
        response = client.get(url)
        assert response.status_code == 302
        assert (
            "/staff/sign-in?next=" in response.location or "/personnel/connexion?next=" in response.location
        )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reviewers_are_refused_like_any_admin_page(staff, decap, db_app, page, lang):
    client = staff.client(staff.assigned)
    for url in (EDITOR[lang], EDITOR[lang] + "config.yml"):
        page(client.get(url), status=404, lang=lang)
    with db_app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")).all()
        assert [(event.actor, event.detail) for event in refused] == [
            (staff.assigned, f"GET {EDITOR[lang]}"),
            (staff.assigned, f"GET {EDITOR[lang]}config.yml"),
        ]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_admins_get_the_editor_under_its_own_policy(staff, decap, lang):
    client = staff.client(staff.admin)
    response = client.get(EDITOR[lang])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f"<title>{TITLES[lang]} – " in html
    assert f'<link href="{EDITOR[lang]}config.yml" type="text/yaml" rel="cms-config-url">' in html
    assert f'src="{EDITOR[lang]}decap/decap-cms.js"' in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-eval';" in policy
    assert "'unsafe-inline'" not in policy.split("style-src")[0]  # no inline script
    assert "connect-src 'self' http://127.0.0.1:8081;" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.cache_control.no_store
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    # The rest of the site keeps its strict policy.
    public = client.get({"en": "/en/jobs/", "fr": "/fr/emplois/"}[lang])
    assert public.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_without_decap_the_page_says_how_to_install_it(staff, db_app, tmp_path, page, lang):
    db_app.config["PORTAL_CMS_DIST"] = str(tmp_path / "nothing")
    shown = page(staff.client(staff.admin).get(EDITOR[lang]), status=503, lang=lang)
    assert shown.h1 == TITLES[lang]
    assert "scripts/editor install" in shown.text
    assert shown.response.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_decap_files_are_served_but_not_their_source_maps(staff, decap):
    client = staff.client(None)
    with client.get("/en/staff/editor/decap/decap-cms.js") as response:
        assert response.status_code == 200 and response.get_data(as_text=True) == "/* Decap CMS */"
        assert response.cache_control.public
    with client.get("/fr/personnel/editeur/decap/decap-cms.js") as response:
        assert response.status_code == 200
    assert client.get("/en/staff/editor/decap/decap-cms.js.map").status_code == 404
    assert client.get("/en/staff/editor/decap/../secret_key").status_code == 404


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_configuration_offers_what_the_loader_accepts(staff, decap, lang):
    response = staff.client(staff.admin).get(EDITOR[lang] + "config.yml")
    assert response.status_code == 200 and response.mimetype == "text/yaml"
    config = yaml.safe_load(response.get_data(as_text=True))
    assert config["locale"] == lang
    assert config["backend"] == {
        "name": "portal",
        "proxy_url": "http://127.0.0.1:8081/api/v1",
        "branch": "main",
    }
    assert config["i18n"] == {
        "structure": "multiple_folders",
        "locales": ["en", "fr"],
        "default_locale": "en",
    }
    postings, stories = config["collections"]
    assert (postings["folder"], stories["folder"]) == ("content/jobs", "content/blog/posts")
    edited = set(fields_by_name(postings)) | set(fields_by_name(stories))
    # Every key the loader reads has its widget; the editor writes no key the loader does not know.
    # fileName is the editor's own: layout.js names the file with it and never writes it.
    assert edited - {"body", "fileName"} == KNOWN_KEYS - NOT_EDITED
    assert "fileName" not in KNOWN_KEYS
    posting = fields_by_name(postings)
    assert option_values(posting["employmentType"]) == [member.value for member in EmploymentType]
    assert option_values(posting["remote"]) == [member.value for member in RemoteWork]
    assert option_values(posting["languageRequirement"]) == [member.value for member in LanguageRequirement]
    salary = fields_by_name(posting["salary"])
    assert option_values(salary["period"]) == [member.value for member in SalaryPeriod]
    assert option_values(posting["nameBlind"]) == ["false", *NAME_BLIND_STAGES]
    criteria = fields_by_name(posting["criteria"])
    assert option_values(criteria["kind"]) == [member.value for member in CriterionKind]
    questions = fields_by_name(posting["questions"])
    assert option_values(questions["type"]) == [member.value for member in QuestionType]
    assert option_values(questions["requiredAnswer"]) == ["yes", "no"]
    # What both files must agree on is written to both; what is written in words, to each.
    assert posting["translationKey"]["i18n"] == "duplicate"
    assert {posting[name]["i18n"] for name in ("closingDate", "employmentType", "nameBlind")} == {"duplicate"}
    assert {posting[name]["i18n"] for name in ("title", "description", "questions", "criteria", "body")} == {
        True
    }
    # Dates without an offset: the portal reads them in the employer's time zone.
    assert posting["closingDate"]["format"] == "YYYY-MM-DDTHH:mm:ss"
    assert "America/Toronto" in posting["closingDate"]["hint"]
    labels = {option["value"]: option["label"] for option in posting["employmentType"]["options"]}
    assert (
        labels["indeterminate"]
        == {
            "en": "Indeterminate (permanent)",
            "fr": "Durée indéterminée (emploi permanent)",
        }[lang]
    )
    assert postings["label"] == {"en": "Job postings", "fr": "Offres d’emploi"}[lang]


CMS_POSTING = """\
---
layout: job-posting
title: {title}
translationKey: data-engineer
description: {description}
closingDate: 2031-03-31T16:00:00
classification: IT-03
salary:
  currency: CAD
  period: year
  min: 80000
  max: 95000
employmentType: indeterminate
remote: hybrid
languageRequirement: english-or-french
locations:
  - Ottawa, ON
questions:
  - type: yes-no
    required: true
    choices: []
    essential: true
    requiredAnswer: yes
    id: clearance
    label: {question}
  - type: choice
    required: false
    choices:
      - id: ottawa
        label: Ottawa
    essential: false
    id: office
    label: {question}
criteria:
  - kind: essential
    id: degree
    label: {criterion}
nameBlind: interview
---
{body}
"""


def test_a_posting_written_like_the_editor_writes_it_loads_cleanly(tmp_path, runner):
    """The shape Decap writes (seen in the browser test): empty lists, every
    optional question key, a closing date without an offset."""
    for lang, name, words in (
        ("en", "data-engineer", ("Data Engineer", "Pipelines.", "Can you?", "A degree", "Text.")),
        (
            "fr",
            "ingenieure-ou-ingenieur-de-donnees",
            ("Ingénieur", "Chaînes.", "Pouvez-vous?", "Un diplôme", "Texte."),
        ),
    ):
        folder = tmp_path / "content" / lang / "jobs"
        folder.mkdir(parents=True)
        title, description, question, criterion, body = words
        (folder / f"{name}.md").write_text(
            CMS_POSTING.format(
                title=title, description=description, question=question, criterion=criterion, body=body
            ),
            encoding="utf-8",
        )
    index = loader.load([tmp_path / "content"], ["en", "fr"], ZoneInfo("America/Toronto"))
    assert [problem for problem in index.problems if problem.severity is not Severity.NOTE] == []
    english = next(doc for doc in index.documents.values() if doc.lang == "en")
    assert english.closing_at.isoformat() == "2031-03-31T16:00:00-04:00"
    assert [(q.id, q.required_answer) for q in english.questions] == [("clearance", "yes"), ("office", "")]
    assert english.name_blind == "interview"
    assert index.translations[(english.kind, "en", "data-engineer")] == {
        "en": "data-engineer",
        "fr": "ingenieure-ou-ingenieur-de-donnees",
    }
    result = runner.invoke(args=["content", "check", "--strict", str(tmp_path / "content")])
    assert result.exit_code == 0, result.output


def settings(**changes) -> dict:
    return {**DEFAULTS, **changes}


def test_a_git_host_is_configured_from_the_settings():
    github = settings(
        PORTAL_CMS_BACKEND="github",
        PORTAL_CMS_REPO="nds/careers",
        PORTAL_CMS_BASE_URL="https://auth.nds.example",
    )
    cms_config.validate(github)
    assert cms_config.backend(github) == {
        "name": "portal",
        "repo": "nds/careers",
        "branch": "main",
        "base_url": "https://auth.nds.example",
    }
    assert cms_config.layout(github)["backend"] == "github"
    assert cms_config.connect_sources(github) == ["https://api.github.com", "https://auth.nds.example"]
    gitlab = settings(PORTAL_CMS_BACKEND="gitlab", PORTAL_CMS_REPO="nds/careers", PORTAL_CMS_APP_ID="abc")
    cms_config.validate(gitlab)
    assert cms_config.backend(gitlab)["auth_type"] == "pkce"
    assert cms_config.connect_sources(gitlab) == ["https://gitlab.com"]
    assert cms_config.content_folder({**gitlab, "PORTAL_CMS_CONTENT_PATH": "site/content/"}) == "site/content"


@pytest.mark.parametrize(
    "changes",
    [
        {"PORTAL_CMS_BACKEND": "bitbucket"},
        {"PORTAL_CMS_BACKEND": "github"},
        {"PORTAL_CMS_BACKEND": "gitlab", "PORTAL_CMS_REPO": "nds/careers"},
        {"PORTAL_CMS_BACKEND": "gitea", "PORTAL_CMS_REPO": "nds/careers", "PORTAL_CMS_APP_ID": "abc"},
    ],
)
def test_settings_that_cannot_work_stop_the_app(make_app, changes):
    with pytest.raises(ConfigurationError):
        make_app(**changes)


def test_githubs_sign_in_pop_up_may_talk_to_the_editor(staff, decap, db_app):
    db_app.config.update(PORTAL_CMS_BACKEND="github", PORTAL_CMS_REPO="nds/careers")
    response = staff.client(staff.admin).get(EDITOR["en"])
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"
    assert (
        "connect-src 'self' https://api.github.com https://api.netlify.com;"
        in response.headers["Content-Security-Policy"]
    )
