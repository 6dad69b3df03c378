"""Staff forms: sign-in, pipeline and decision emails, notes, messages, filters, accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain import limits
from ...domain.accounts import MAX_EMAIL_LENGTH, MIN_PASSWORD_LENGTH
from ...domain.essentials import MET, UNMET
from ...domain.models import Role, Status
from ...domain.review import BULK_TARGETS, SORTS
from ..forms import MaxLength, PortalForm

SORT_LABELS = {"newest": _l("Newest first"), "oldest": _l("Oldest first"), "name": _l("Name")}


#: What to tell someone choosing a password that is refused.
PASSWORD_REFUSALS = {
    "password_too_short": _l("Use at least %(num)d characters", num=MIN_PASSWORD_LENGTH),
    "password_too_common": _l(
        "This password is too easy to guess: it is a common password, or made of words, names, dates "
        "or your email address. Use a passphrase of several unrelated words."
    ),
    "password_too_long": _l("Use %(num)d characters or fewer", num=limits.PASSWORD),
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
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password")), MaxLength(limits.PASSWORD)]
    )


class DecisionEmailForm(PortalForm):
    """What to tell the candidate with a move to interview, rejected or offer."""

    # Checked by default for every decision: the issue asks it for a rejection,
    # and a candidate invited or offered the job must hear it too; the
    # reviewer unticks it when the news goes another way (a phone call).
    send_email = BooleanField(_l("Email the candidate"), default=True)
    message = TextAreaField(
        _l("Personal message (optional)"),
        description=_l("Added to the email, in your words. Write it in the candidate’s language."),
        validators=[Optional(), MaxLength(limits.MESSAGE)],
    )
    include_reason = BooleanField(_l("Include the reason for the decision in the email"), default=False)
    #: Set by the preview page: the reviewer has seen the email.
    confirmed = HiddenField()


class StatusForm(DecisionEmailForm):
    status = SelectField(_l("New status"), validators=[InputRequired(_l("Choose a status"))])
    reason = TextAreaField(
        _l("Reason for the decision"),
        description=_l("Required for a rejection: it is kept as the record of decision."),
        validators=[Optional(), MaxLength(limits.DECISION_REASON)],
    )

    def __init__(self, *args, allowed: tuple[Status, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(status, status.label) for status in allowed]


class BulkStatusForm(DecisionEmailForm):
    status = SelectField(
        _l("Move the selected applications to"), validators=[InputRequired(_l("Choose a status"))]
    )
    reason = TextAreaField(
        _l("Reason for the decision"),
        validators=[Optional(), MaxLength(limits.DECISION_REASON)],
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


class MessageForm(PortalForm):
    """A message staff write to the candidate, sent by email and kept in the history."""

    subject = StringField(
        _l("Subject (optional)"),
        description=_l("Without one, the subject names the posting. The reference number is always added."),
        validators=[Optional(), MaxLength(limits.MESSAGE_SUBJECT)],
    )
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write the message")), MaxLength(limits.MESSAGE)]
    )


class NoteForm(PortalForm):
    body = TextAreaField(
        _l("Add a note"),
        validators=[
            DataRequired(_l("Write the note")),
            MaxLength(limits.NOTE),
        ],
    )


#: The years a date filter may name: wider than any application's, and narrow
#: enough that a day after the last one, in any time zone, is still a date.
FILTER_YEARS = (1900, 2999)


class FilterDate(DateField):
    """A day written as YYYY-MM-DD, in the years of FILTER_YEARS; anything else
    gets the portal's message (and the filter is left out)."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date like 2026-03-31")) from None
        if self.data is not None and not FILTER_YEARS[0] <= self.data.year <= FILTER_YEARS[1]:
            self.data = None
            raise ValueError(_l("Enter a date like 2026-03-31"))


class FilterForm(PortalForm):
    """The filters above a posting's applications (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    # An unknown status or sort is ignored by the view (all statuses, newest first).
    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=False)
    #: Names and email addresses are no longer than an email address.
    q = StringField(_l("Name or email contains"), validators=[Optional(), MaxLength(limits.EMAIL)])
    submitted_from = FilterDate(_l("Submitted from"), validators=[Optional()])
    submitted_to = FilterDate(_l("Submitted to"), validators=[Optional()])
    #: Shown only for a posting with essential questions; an unknown value is ignored.
    essential = SelectField(_l("Essential requirements"), validators=[Optional()], validate_choice=False)
    sort = SelectField(_l("Sort by"), validators=[Optional()], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("All statuses"))] + [
            SelectChoice(status, status.label) for status in Status
        ]
        self.sort.choices = [SelectChoice(sort, SORT_LABELS[sort]) for sort in SORTS]
        self.essential.choices = [
            SelectChoice("", _l("All applications")),
            SelectChoice(UNMET, _l("Does not meet one or more")),
            SelectChoice(MET, _l("Meets all")),
        ]


class AccountForm(PortalForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(role, role.label) for role in Role])
    active = BooleanField(_l("Account enabled"))
    postings = SelectMultipleField(
        _l("Postings this reviewer may see"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def _new_password() -> PasswordField:
    return PasswordField(
        _l("New password"),
        description=_l("At least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
        validators=[
            InputRequired(_l("Enter a new password")),
            MaxLength(limits.PASSWORD),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Use at least %(num)d characters", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )


def _confirm_password() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Enter the new password again")),
            EqualTo("new", message=_l("The two new passwords are different")),
        ],
    )


class PasswordForm(PortalForm):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password")), MaxLength(limits.PASSWORD)],
    )
    new = _new_password()
    confirm = _confirm_password()


class NewPasswordForm(PortalForm):
    """A new password, typed twice (invitation and reset links)."""

    new = _new_password()
    confirm = _confirm_password()


class CodeForm(PortalForm):
    """The second step of signing in."""

    code = StringField(
        _l("Code"),
        description=_l("The 6-digit code your authenticator app shows, or one of your recovery codes."),
        validators=[
            InputRequired(_l("Enter the code from your authenticator app")),
            Length(max=40, message=_l("Enter the code from your authenticator app")),
        ],
    )


class EnrolForm(PortalForm):
    """Confirming a new authenticator app with a code it shows."""

    code = StringField(
        _l("Code from the app"),
        description=_l("The 6 digits the app shows for this account."),
        validators=[
            InputRequired(_l("Enter the code from your authenticator app")),
            Length(max=20, message=_l("Enter the 6 digits from your authenticator app")),
        ],
    )


class ConfirmPasswordForm(PortalForm):
    """A change to the second factor, confirmed with the account's password."""

    password = PasswordField(
        _l("Your password"), validators=[InputRequired(_l("Enter your password")), MaxLength(limits.PASSWORD)]
    )


class InviteForm(PortalForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(_l("Enter the email address")),
            Length(max=MAX_EMAIL_LENGTH, message=_l("Use 320 characters or fewer")),
            Email(message=_l("Enter an email address like name@example.com")),
        ],
    )
    role = SelectField(_l("Role"), choices=[SelectChoice(role, role.label) for role in Role])
    postings = SelectMultipleField(
        _l("Postings this reviewer may see"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    language = RadioField(
        _l("Language of the invitation email"),
        validators=[InputRequired(_l("Choose the language of the email"))],
    )


class ResendInvitationForm(PortalForm):
    """Sending an invitation again, to an account that never set its password."""

    language = RadioField(
        _l("Language of the invitation email"),
        validators=[InputRequired(_l("Choose the language of the email"))],
    )


class EmailForm(PortalForm):
    """Asking for a password reset link."""

    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(_l("Enter your email address")),
            Length(max=MAX_EMAIL_LENGTH, message=_l("Use 320 characters or fewer")),
        ],
    )


class HoldForm(PortalForm):
    """Place a legal hold on an application or a posting (admins)."""

    reason = TextAreaField(
        _l("Reason for the hold"),
        description=_l(
            "For example: an access to information request, a complaint or a lawsuit, with its file number."
        ),
        validators=[DataRequired(_l("Write the reason for the hold")), MaxLength(limits.HOLD_REASON)],
    )


class CorrectionForm(PortalForm):
    """Move an application back to its previous status, with the reason (admins)."""

    reason = TextAreaField(
        _l("Reason for the correction"),
        description=_l("What went wrong: it is kept in the history with the earlier move."),
        validators=[
            DataRequired(_l("Write the reason for the correction")),
            MaxLength(limits.DECISION_REASON),
        ],
    )


class ReleaseHoldForm(PortalForm):
    """Release one legal hold (admins)."""

    hold = HiddenField()


class NameBlindForm(PortalForm):
    """Set a posting's name-blind review (admins): follow its front matter,
    off, or on until a stage; the choices are set by the view."""

    choice = RadioField(_l("Name-blind review"), validators=[InputRequired(_l("Choose how to review"))])


class RevealForm(PortalForm):
    """Reveal one application's candidate to oneself, with the reason (admins)."""

    reason = TextAreaField(
        _l("Why you need to see who the candidate is"),
        description=_l("Kept with the application, where its staff can read it; the reveal is audited."),
        validators=[
            DataRequired(_l("Write why you need to see who the candidate is")),
            MaxLength(limits.DECISION_REASON),
        ],
    )
