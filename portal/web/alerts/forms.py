"""The job alert forms: shape checks only; the alerts service decides the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from ...domain import limits
from ..apply.forms import ChoiceField
from ..forms import EmailAddress, MaxLength, PortalForm


class LanguageForm(PortalForm):
    """The official language the alert emails are written in."""

    language = ChoiceField(
        _l("Official language of the emails"),
        validators=[InputRequired(_l("Choose the language we should write to you in"))],
    )

    def __init__(self, *args, languages: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice(code, name) for code, name in languages.items()]


class SubscribeForm(LanguageForm):
    """Ask for job alerts: an address, a language, and whether to keep the search."""

    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address")), MaxLength(limits.EMAIL), EmailAddress()],
    )
    use_filters = BooleanField(_l("Only jobs that match my current search"), default=True)


class ManageForm(LanguageForm):
    """Change an alert: its language, and whether it keeps its search."""

    keep_filters = BooleanField(_l("Keep my search"), default=True)
