"""WTForms' own messages (the few the portal does not word itself) follow
the page language, request after request."""

from __future__ import annotations

from flask import g
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal.web.forms import PortalForm

MESSAGES = {"en": "Not a valid choice.", "fr": "N'est pas un choix valide."}


class ColourForm(PortalForm):
    colour = SelectField(choices=[SelectChoice("red", "Red")])


def test_wtforms_messages_follow_the_page_language(app):
    # Each language twice, alternately: a catalog kept in memory is the right one.
    for lang in ("en", "fr", "en", "fr"):
        with app.test_request_context(f"/{lang}/", method="POST", data={"colour": "blue"}):
            g.lang_code = lang
            form = ColourForm(meta={"csrf": False})
            assert not form.validate()
            assert form.colour.errors == [MESSAGES[lang]]
