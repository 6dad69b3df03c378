"""The assessment form, for the staff views.

The form has one group per merit criterion of the posting: a rating (met,
partly met, not met, or not rated yet) and its justification. Field names
use the criterion's position, not its id (ids come from content and may
hold any character); the views map them back.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Optional

from ...content import current_index
from ...content.criteria import Criterion, CriterionKind
from ...domain import assessments, limits
from ...domain.models import Rating, StaffUser
from ..forms import MaxLength, PortalForm

#: The "not rated yet" choice, which withdraws a rating.
NOT_RATED = ""
FORGED_RATING = _l("Choose one of the ratings offered")
KIND_LABELS = {
    CriterionKind.ESSENTIAL: _l("Essential qualification"),
    CriterionKind.ASSET: _l("Asset qualification"),
}


def posting_criteria(posting_key: str) -> tuple[Criterion, ...]:
    """The posting's merit criteria, labelled in the page's language (the ids
    and kinds are the same in every language); none for a posting no longer
    in the content."""
    document = current_index().posting(posting_key, g.lang_code)
    return document.criteria if document is not None else ()


class AssessmentForm(PortalForm):
    """One reviewer's ratings of an application; fields are added per criterion."""

    criteria: tuple[Criterion, ...] = ()

    def groups(self) -> list[tuple[Criterion, RadioField, TextAreaField]]:
        """Each criterion with its rating and justification fields."""
        return [
            (criterion, self[f"rating_{position}"], self[f"justification_{position}"])
            for position, criterion in enumerate(self.criteria)
        ]

    def judgements(self) -> dict[str, assessments.Judgement]:
        """What the form says, by criterion id."""
        return {
            criterion.id: assessments.Judgement(
                Rating(rating.data) if rating.data else None, justification.data or ""
            )
            for criterion, rating, justification in self.groups()
        }

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Put the domain's refusals on the fields they concern, naming the criterion."""
        for criterion, rating, justification in self.groups():
            code = problems.get(criterion.id)
            if code == "justification_required":
                justification.errors = [
                    _("Write why you rated “%(criterion)s” this way", criterion=criterion.label)
                ]
            elif code == "rating_required":
                rating.errors = [
                    _(
                        "Choose a rating for “%(criterion)s”, or clear its justification",
                        criterion=criterion.label,
                    )
                ]
            elif code == "too_long":
                justification.errors = [_("Use %(num)d characters or fewer", num=limits.JUSTIFICATION)]


def assessment_form(
    criteria: tuple[Criterion, ...], own: Mapping[str, object] | None = None, formdata=None
) -> AssessmentForm:
    """Build the form for ``criteria``, filled from the request (``formdata``
    None: from ``own``, the reviewer's saved ratings by criterion id)."""

    class Form(AssessmentForm):
        pass

    Form.criteria = criteria
    choices = [SelectChoice(rating.value, rating.label) for rating in Rating]
    choices.append(SelectChoice(NOT_RATED, _l("Not rated yet")))
    for position, criterion in enumerate(criteria):
        setattr(
            Form,
            f"rating_{position}",
            RadioField(
                criterion.label,
                choices=choices,
                default=NOT_RATED,
                # One message of ours, in the page language, for a value no radio button sends.
                validate_choice=False,
                validators=[Optional(), AnyOf([rating.value for rating in Rating], message=FORGED_RATING)],
            ),
        )
        setattr(
            Form,
            f"justification_{position}",
            TextAreaField(
                _l("Justification"),
                description=_l("Required with a rating: what in the application shows it."),
                validators=[Optional(), MaxLength(limits.JUSTIFICATION)],
            ),
        )
    if formdata is not None:
        return Form(prefix="assessment")
    form = Form(formdata=None, prefix="assessment")
    for criterion, rating, justification in form.groups():
        saved = (own or {}).get(criterion.id)
        if saved is not None:
            rating.data = saved.rating.value
            justification.data = saved.justification
    return form


def reviewer_name(user: StaffUser | None) -> str:
    """How a reviewer is named on the page and in exports."""
    return user.email if user is not None else _("a former staff member")


def basis_labels(basis: str, criteria: tuple[Criterion, ...]) -> list[tuple[str, str]]:
    """A rejection's recorded basis as (criterion label, consolidated rating) pairs."""
    labels = {criterion.id: criterion.label for criterion in criteria}
    return [
        (
            labels.get(criterion_id, criterion_id),
            value.label if isinstance(value, Rating) else _("Reviewers differ"),
        )
        for criterion_id, value in assessments.read_basis(basis)
    ]
