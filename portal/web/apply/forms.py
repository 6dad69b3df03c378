"""The application form: shape checks only; the service decides the rest."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from itsdangerous import BadSignature, TimestampSigner
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields import EmailField, TelField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp, StopValidation, ValidationError

from ...content.model import Question, QuestionType
from ...domain import antivirus, limits
from ...domain.applications import Answer, EquityAnswers, Submission
from ...domain.kept_resumes import Kept
from ...domain.resumes import UploadRejected, check_resume, screen
from ...plumbing.i18n import format_file_size
from ..forms import EmailAddress, MaxLength, PortalForm

ABOUT_MAX_WORDS = limits.ABOUT_WORDS
LINK_FIELDS = 5
#: What a ticked checkbox sends (WTForms' BooleanField renders value="y").
CHECKED = "y"
#: Words that keep their capital at the start of a message after a field's
#: name in the error summary (the names of products).
_PROPER_NOUNS = frozenset({"Word"})

#: What to tell the candidate for each reason a file is refused (see portal.domain.resumes).
UPLOAD_MESSAGES = {
    "missing": _l("Choose your résumé file"),
    "type": _l("Your résumé must be a PDF, DOCX, ODT or TXT file"),
    "legacy_doc": _l(
        "Word 97–2003 documents (.doc) cannot be accepted. "
        "Save your résumé as PDF or DOCX and choose it again"
    ),
    "empty": _l("The file you chose is empty"),
    # i18n: %(size)s is a file size such as "5 MB".
    "size": _l("Your résumé must be smaller than %(size)s"),
    "content": _l(
        "The file’s content does not match its type. "
        "Save your résumé again as PDF, DOCX, ODT or TXT and choose it again"
    ),
    "unreadable": _l(
        "Your résumé could not be read: the file may be damaged. "
        "Save it again as PDF, DOCX, ODT or TXT and choose it again"
    ),
    "encrypted": _l(
        "Your résumé is protected by a password. Save a copy without a password and choose it again"
    ),
    "active_content": _l(
        "Your résumé contains scripts or actions that run when it is opened, which we cannot accept. "
        "Save it again as PDF (for example with “Print to PDF”) and choose it again"
    ),
    "attachment": _l(
        "Your résumé has files attached or embedded in it, which we cannot accept. "
        "Remove them, or save your résumé again as PDF, and choose it again"
    ),
    "macros": _l(
        "Your résumé contains macros, which we cannot accept. "
        "Save it as a Word document (.docx) without macros, or as PDF, and choose it again"
    ),
    "external_link": _l(
        "Your résumé links to a template or another file outside it, which we cannot accept. "
        "Save it again as PDF and choose it again"
    ),
    "too_complex": _l(
        "Your résumé is too large or complex for us to check. "
        "Save a shorter or simpler version as PDF and choose it again"
    ),
    "infected": _l(
        "Our virus scan found a threat in your résumé, so it was not accepted. "
        "Check your computer with up-to-date antivirus software, then choose a clean copy of your résumé"
    ),
    "scanner_unavailable": _l(
        "We cannot check files for viruses right now, so your application was not sent. "
        "Please try again in a few minutes"
    ),
}


def word_count(text: str) -> int:
    """Count words the way the limit beside the field means them."""
    return len(text.split())


#: Salt of the signed time inside the submission token (see new_submission_token).
SERVED_SALT = "portal.apply.served"


def _served_signer(secret_key: str | bytes, at: float | None = None) -> TimestampSigner:
    signer = TimestampSigner(secret_key, salt=SERVED_SALT)
    if at is not None:
        signer.get_timestamp = lambda: int(at)
    return signer


def new_submission_token(secret_key: str | bytes, served: float | None = None) -> str:
    """Return a fresh token for the form's hidden field: random (a re-sent
    form creates one application), carrying the time the form was served
    (``served``, a Unix time; now by default), signed so that it cannot be
    moved back. 57 characters, within the column's 64."""
    return _served_signer(secret_key, served).sign(secrets.token_urlsafe(16)).decode()


def served_at(token: str, secret_key: str | bytes) -> datetime | None:
    """Return when the form carrying ``token`` was served, or None when the
    token has no time or its signature does not match."""
    try:
        _value, stamp = _served_signer(secret_key).unsign(token, return_timestamp=True)
    except (BadSignature, UnicodeError, ValueError, OverflowError):
        return None
    return stamp


class MaxWords:
    """Refuse text of more than ``limit`` words, counted on the server."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form, field) -> None:
        count = word_count(field.data or "")
        if count > self.limit:
            raise StopValidation(
                _l(
                    "Use %(limit)s words or fewer (you used %(count)s)",
                    limit=format_decimal(self.limit),
                    count=format_decimal(count),
                )
            )


def http_url(form, field) -> None:
    """Accept only absolute http and https links."""
    if not field.data:
        return
    try:
        parts = urlsplit(field.data.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(_l("Enter a link that starts with https:// or http://"))


class ChoiceField(RadioField):
    """Radio buttons whose "not one of the choices" message is the portal's own."""

    def pre_validate(self, form) -> None:
        if self.data not in {choice.value for choice in self.choices or ()}:
            raise ValidationError(_l("Choose one of the options"))


class ApplicationForm(PortalForm):
    """The fields every application has; screening questions are added per posting."""

    submission_token = HiddenField()
    #: The honeypot: hidden from sight and from the keyboard, so only programs fill it in.
    website = StringField(_l("Leave this field empty"))
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter your full name")),
            MaxLength(limits.FULL_NAME),
        ],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address")),
            MaxLength(limits.EMAIL),
            EmailAddress(),
        ],
    )
    phone = TelField(
        _l("Phone number (optional)"),
        validators=[
            Optional(),
            MaxLength(limits.PHONE),
            Regexp(
                r"^[0-9+().\- ]*(?:(?:ext\.?|x|poste) ?[0-9]+)?$",
                message=_l("Enter a phone number using digits, like 613-555-0123"),
            ),
        ],
    )
    pronouns = StringField(
        _l("Pronouns (optional)"),
        validators=[Optional(), MaxLength(limits.PRONOUNS)],
    )
    preferred_language = ChoiceField(
        _l("Official language you prefer for communication"),
        validators=[InputRequired(_l("Choose the language we should write to you in"))],
    )
    resume = FileField(_l("Résumé"))
    #: The opaque key of a résumé kept from the last try (see portal.domain.kept_resumes).
    kept_resume = HiddenField()
    keep_resume = BooleanField(_l("Keep this file"))
    about = TextAreaField(
        _l("Tell us about yourself (optional)"),
        # Words first: the limit the candidate is told; the characters stop abuse.
        validators=[Optional(), MaxWords(ABOUT_MAX_WORDS), MaxLength(limits.ABOUT)],
    )
    keep_for_future = BooleanField(_l("Keep my application for future opportunities"))
    accommodation = TextAreaField(
        _l("Accommodation for the assessment (optional)"),
        validators=[Optional(), MaxLength(limits.ACCOMMODATION)],
    )
    privacy_acknowledged = BooleanField(
        _l("I have read the privacy notice"),
        validators=[InputRequired(_l("Confirm that you have read the privacy notice"))],
    )
    equity_woman = BooleanField(_l("Women"))
    equity_indigenous = BooleanField(_l("Indigenous peoples"))
    equity_disability = BooleanField(_l("Persons with disabilities"))
    equity_visible_minority = BooleanField(_l("Members of visible minorities"))
    equity_prefer_not = BooleanField(_l("I prefer not to answer"))

    def __init__(self, *args, languages: dict[str, str], max_resume_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = [SelectChoice(code, name) for code, name in languages.items()]
        self.max_resume_bytes = max_resume_bytes
        self.checked_resume = None
        #: The résumé kept from the last try for this browser and form, if any (set by the view).
        self.kept: Kept | None = None
        # Checked in validate_resume, but shown as required like the others.
        self.resume.flags.required = True
        if not self.submission_token.data:
            self.submission_token.data = new_submission_token(current_app.secret_key)

    @property
    def link_fields(self):
        return [getattr(self, f"link_{number}") for number in range(1, LINK_FIELDS + 1)]

    @property
    def question_fields(self):
        return [field for field in self if field.name.startswith("question_")]

    @property
    def equity_fields(self):
        return [
            self.equity_woman,
            self.equity_indigenous,
            self.equity_disability,
            self.equity_visible_minority,
            self.equity_prefer_not,
        ]

    def summary_entries(self) -> list[tuple[str, str]]:
        """Return the error summary's entries, (field id, message), each
        naming its field or question: "Full name: enter your full name"."""
        entries = []
        for field in self:
            if not field.errors:
                continue
            message = str(field.errors[0])
            if field.type in ("HiddenField", "CSRFTokenField"):
                entries.append((field.id, message))
                continue
            first_word = message.split(" ", 1)[0]
            if first_word[1:].islower() and first_word not in _PROPER_NOUNS:
                message = message[0].lower() + message[1:]
            name = _("Employment equity") if field is self.equity_prefer_not else field.label.text
            # i18n: an entry of the error summary: the field's name or question, then what is wrong.
            entries.append((field.id, _("%(field)s: %(message)s", field=name, message=message)))
        return entries

    def to_submission(self, questions: tuple[Question, ...]) -> Submission:
        """Return what the candidate sent, once the form is valid."""
        answers = []
        for position, question in enumerate(questions):
            field = getattr(self, f"question_{position}")
            value = (field.data or "").strip()
            if not value:
                continue
            if question.type is QuestionType.TEXT:
                label = value
            else:
                label = next(str(choice.label) for choice in field.choices if choice.value == value)
            answers.append(Answer(question, value, label))
        return Submission(
            submission_token=self.submission_token.data,
            full_name=" ".join(self.full_name.data.split()),
            email=self.email.data,
            phone=(self.phone.data or "").strip(),
            pronouns=(self.pronouns.data or "").strip(),
            preferred_language=self.preferred_language.data,
            resume=self.checked_resume,
            about=(self.about.data or "").strip(),
            accommodation=(self.accommodation.data or "").strip(),
            keep_for_future=self.keep_for_future.data,
            links=tuple(field.data.strip() for field in self.link_fields if field.data),
            answers=tuple(answers),
            equity=EquityAnswers(
                woman=self.equity_woman.data,
                indigenous=self.equity_indigenous.data,
                disability=self.equity_disability.data,
                visible_minority=self.equity_visible_minority.data,
                prefer_not_to_answer=self.equity_prefer_not.data,
            ),
        )

    def bot_flags(self, now: datetime, min_seconds: float) -> tuple[str, ...]:
        """Return the signs that a program sent the form (see
        ``applications.FLAGS``): the honeypot filled in, or the form sent
        sooner than ``min_seconds`` after it was served; a token whose time
        is missing or tampered with counts as too fast."""
        flags = []
        if (self.website.data or "").strip():
            flags.append("honeypot")
        served = served_at(self.submission_token.data or "", current_app.secret_key)
        if served is None or (now - served).total_seconds() < min_seconds:
            flags.append("too_fast")
        return tuple(flags)

    def validate_submission_token(self, field) -> None:
        if not field.data or len(field.data) > 64:
            raise ValidationError(_l("Reload the form and try again"))

    def validate_resume(self, field) -> None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            if self.kept is not None and self.keep_resume.data:
                return  # the résumé kept from the last try stands
            raise ValidationError(UPLOAD_MESSAGES["missing"])
        # Read one byte more than allowed: enough to know it is too large.
        content = upload.stream.read(self.max_resume_bytes + 1)
        config = current_app.config
        try:
            checked = check_resume(upload.filename, content, self.max_resume_bytes)
            # Before anything is written: no transaction waits on the scanner.
            self.checked_resume = screen(
                checked,
                antivirus.from_config(config),
                when_unavailable=config["PORTAL_CLAMAV_UNAVAILABLE"],
            )
        except UploadRejected as rejected:
            message = UPLOAD_MESSAGES[rejected.reason]
            if rejected.reason == "size":
                message = message % {"size": format_file_size(self.max_resume_bytes)}
            raise ValidationError(message) from None

    def validate_equity_prefer_not(self, field) -> None:
        # A browser sends only what the checkboxes hold; anything else was made up.
        if any(f.raw_data and f.raw_data != [CHECKED] for f in self.equity_fields):
            raise ValidationError(_l("Choose from the groups listed, or “I prefer not to answer”"))
        if field.data and any(f.data for f in self.equity_fields[:-1]):
            raise ValidationError(_l("Choose “I prefer not to answer” alone, or the groups you belong to"))


def _add_links(form_class) -> None:
    for number in range(1, LINK_FIELDS + 1):
        setattr(
            form_class,
            f"link_{number}",
            URLField(
                _l("Link %(number)d", number=number),
                validators=[Optional(), MaxLength(limits.LINK), http_url],
            ),
        )


_add_links(ApplicationForm)


@functools.lru_cache(maxsize=1024)
def form_for(questions: tuple[Question, ...]):
    """Return the form class for a posting: the common fields plus its questions."""
    # One class per set of questions, made once: a new class on every request
    # made WTForms sort its fields again for each form (a quarter of a millisecond).

    class PostingApplicationForm(ApplicationForm):
        pass

    for position, question in enumerate(questions):
        # DataRequired: an answer of spaces only is no answer.
        required = [DataRequired(_l("Answer this question"))] if question.required else [Optional()]
        if question.type is QuestionType.TEXT:
            field = TextAreaField(
                question.label,
                description=question.hint,
                validators=[
                    *required,
                    MaxLength(limits.TEXT_ANSWER),
                ],
            )
        elif question.type is QuestionType.YES_NO:
            field = ChoiceField(
                question.label,
                description=question.hint,
                validators=required,
                choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
            )
        else:
            field = ChoiceField(
                question.label,
                description=question.hint,
                validators=required,
                choices=[SelectChoice(choice.id, choice.label) for choice in question.choices],
            )
        setattr(PostingApplicationForm, f"question_{position}", field)
    return PostingApplicationForm
