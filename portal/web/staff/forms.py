"""Staff forms: sign-in, pipeline, notes, filters, accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain.accounts import MAX_EMAIL_LENGTH, MIN_PASSWORD_LENGTH
from ...domain.models import Role, Status
from ...domain.review import BULK_TARGETS, SORTS
from ..forms import PortalForm

SORT_LABELS = {"newest": _l("Newest first"), "oldest": _l("Oldest first"), "name": _l("Name")}


#: What to tell someone choosing a password that is refused.
PASSWORD_REFUSALS = {
    "password_too_short": _l("Use at least %(num)d characters", num=MIN_PASSWORD_LENGTH),
    "password_too_common": _l(
        "This password is too easy to guess: it is a common password, or made of words, names, dates "
        "or your email address. Use a passphrase of several unrelated words."
    ),
}


def password_refusal(code: str) -> str:
    """Return the message for a refused password (``AccountError.code``)."""
    return str(PASSWORD_REFUSALS.get(code, PASSWORD_REFUSALS["password_too_short"]))


class SignInForm(PortalForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(_l("Enter your email address")),
            Length(max=MAX_EMAIL_LENGTH, message=_l("Use 320 characters or fewer")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


class StatusForm(PortalForm):
    status = SelectField(_l("New status"), validators=[InputRequired(_l("Choose a status"))])
    reason = TextAreaField(
        _l("Reason for the decision"),
        description=_l("Required for a rejection: it is kept as the record of decision."),
        validators=[Optional(), Length(max=4000, message=_l("Use 4,000 characters or fewer"))],
    )

    def __init__(self, *args, allowed: tuple[Status, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(status, status.label) for status in allowed]


class BulkStatusForm(PortalForm):
    status = SelectField(
        _l("Move the selected applications to"), validators=[InputRequired(_l("Choose a status"))]
    )
    reason = TextAreaField(
        _l("Reason for the decision"),
        validators=[Optional(), Length(max=4000, message=_l("Use 4,000 characters or fewer"))],
    )
    selected = SelectMultipleField(
        _l("Applications"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Select at least one application"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(status, status.label) for status in BULK_TARGETS]


class NoteForm(PortalForm):
    body = TextAreaField(
        _l("Add a note"),
        validators=[
            DataRequired(_l("Write the note")),
            Length(max=10000, message=_l("Use 10,000 characters or fewer")),
        ],
    )


class FilterForm(PortalForm):
    """The filters above a posting's applications (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    q = StringField(_l("Name or email contains"), validators=[Optional(), Length(max=200)])
    submitted_from = DateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = DateField(_l("Submitted to"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("All statuses"))] + [
            SelectChoice(status, status.label) for status in Status
        ]
        self.sort.choices = [SelectChoice(sort, SORT_LABELS[sort]) for sort in SORTS]


class AccountForm(PortalForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(role, role.label) for role in Role])
    active = BooleanField(_l("Account enabled"))
    postings = SelectMultipleField(
        _l("Postings this reviewer may see"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class PasswordForm(PortalForm):
    current = PasswordField(
        _l("Current password"), validators=[InputRequired(_l("Enter your current password"))]
    )
    new = PasswordField(
        _l("New password"),
        description=_l("At least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
        validators=[
            InputRequired(_l("Enter a new password")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Use at least %(num)d characters", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Enter the new password again")),
            EqualTo("new", message=_l("The two new passwords are different")),
        ],
    )
