"""A posting's applications, and its record of decision, as CSV for
spreadsheets: UTF-8 with a BOM (so Excel reads the accents), headers in the
staff member's language, and no cell a spreadsheet would run as a formula.
Under name-blind review, a candidate shown by number has the number for a
name and "Hidden" for contact details."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import tzinfo

from flask_babel import gettext as _

from ...content.criteria import Criterion
from ...domain import assessments
from ...domain.applications import FLAGS, flags_of
from ...domain.models import Application, Assessment, Status
from ...domain.name_blind import candidate_label
from ...domain.review import ExportRow, spreadsheet_safe
from .assessing import KIND_LABELS, reviewer_name


def csv_lines(
    rows: Iterable[ExportRow],
    questions: Mapping[str, str],
    zone: tzinfo,
    languages: Mapping[str, Mapping],
    shown: Callable[[Application], bool] = lambda application: True,
    criteria: tuple[Criterion, ...] = (),
) -> Iterator[str]:
    """Yield the CSV text line by line (for streaming), the BOM first: one
    line per row of ``review.export_applications``.

    ``questions`` maps the posting's question ids to their labels: one
    column each, after the common ones (the last of which says the signs
    that a program may have sent the application, empty for most).
    ``shown`` tells whether an application's candidate is seen by name (name-blind review).
    With merit ``criteria``, the last columns are the result against the
    essential ones and each criterion's consolidated rating (each reviewer's
    ratings are in the record of decision).
    """
    line = _line_maker()
    yield "\ufeff" + line(
        [
            _("Reference"),
            _("Submitted"),
            _("Full name"),
            _("Email address"),
            _("Phone number"),
            _("Pronouns"),
            _("Preferred language"),
            _("Status"),
            _("Keep for future opportunities"),
            _("About the candidate"),
            _("Accommodation"),
            _("Privacy notice version"),
            _("Links"),
            _("Signs of automation"),
            *questions.values(),
            *([_("Result against the essential criteria")] if criteria else []),
            *(consolidated_header(criterion) for criterion in criteria),
        ]
    )
    yes, no, hidden = _("Yes"), _("No"), _("Hidden")
    # Translated once, not once a row: an export may hold 100,000 rows.
    status_labels = {status: str(status.label) for status in Status}
    flag_labels = {flag: str(labels[0]) for flag, labels in FLAGS.items()}
    language_names = {code: language.get("name", code) for code, language in languages.items()}
    for row in rows:
        item, answers = row.application, row.answers
        named = shown(item)
        yield line(
            [
                item.reference,
                item.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                *(
                    (item.full_name, item.email, item.phone or "", item.pronouns or "")
                    if named
                    else (candidate_label(item), hidden, hidden, hidden)
                ),
                language_names.get(item.preferred_language, item.preferred_language),
                status_labels[item.status],
                yes if item.keep_for_future else no,
                item.about,
                item.accommodation or "",
                item.privacy_notice_version,
                " ".join(row.links) if named else hidden,
                "; ".join(flag_labels[flag] for flag in flags_of(item)) if item.flags else "",
                *(answers.get(question_id, "") for question_id in questions),
                *(_assessment_cells(row.ratings, criteria) if criteria else []),
            ]
        )


def _assessment_cells(ratings: list[Assessment], criteria: tuple[Criterion, ...]) -> list[str]:
    board = assessments.board_of(ratings, criteria)
    return [board.outcome.label, *(result.consolidated_label for result in board.results)]


def consolidated_header(criterion: Criterion) -> str:
    """The CSV header of a criterion's consolidated rating."""
    return _(
        "%(criterion)s (%(kind)s): consolidated", criterion=criterion.label, kind=KIND_LABELS[criterion.kind]
    )


def decision_lines(
    applications: Iterable[Application], criteria: tuple[Criterion, ...], zone: tzinfo
) -> Iterator[str]:
    """Yield a posting's record of decision as CSV text (BOM first): one row
    per application, by reference (no name), with its status, the last
    decision (when, by whom, why) and, per criterion, the consolidated rating
    and each reviewer's rating and justification."""
    line = _line_maker()
    criterion_headers = []
    for criterion in criteria:
        criterion_headers += [
            consolidated_header(criterion),
            _(
                "%(criterion)s (%(kind)s): each reviewer",
                criterion=criterion.label,
                kind=KIND_LABELS[criterion.kind],
            ),
        ]
    yield "\ufeff" + line(
        [
            _("Reference"),
            _("Status"),
            _("Decided on"),
            _("Decided by"),
            _("Reason for the decision"),
            _("Result against the essential criteria"),
            *criterion_headers,
        ]
    )
    for application in applications:
        board = assessments.board(application, criteria)
        decision = application.status_changes[-1] if application.status_changes else None
        cells = []
        for result in board.results:
            cells.append(result.consolidated_label)
            cells.append(
                "; ".join(
                    _(
                        "%(who)s: %(rating)s — %(why)s",
                        who=reviewer_name(assessment.reviewer),
                        rating=assessment.rating.label,
                        why=assessment.justification,
                    )
                    for assessment in result.ratings.values()
                )
            )
        yield line(
            [
                application.reference,
                application.status.label,
                decision.changed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if decision else "",
                _decider(decision) if decision else "",
                decision.reason if decision else "",
                board.outcome.label if criteria else "",
                *cells,
            ]
        )


def _decider(change) -> str:
    if change.by_candidate:
        return _("The candidate")
    return reviewer_name(change.author)


def _line_maker() -> Callable[[Iterable], str]:
    """Return a function that writes one row of cells as a line of CSV, each
    cell made safe from spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(spreadsheet_safe(cells))
        return buffer.getvalue()

    return line


#: About how many characters of CSV are sent at once.
CHUNK = 64 * 1024


def in_chunks(lines: Iterable[str], size: int = CHUNK) -> Iterator[str]:
    """Join lines into chunks of about ``size`` characters: a server writes
    an export of 100,000 rows in a few hundred pieces, not 100,000."""
    chunk: list[str] = []
    length = 0
    for line in lines:
        chunk.append(line)
        length += len(line)
        if length >= size:
            yield "".join(chunk)
            chunk, length = [], 0
    if chunk:
        yield "".join(chunk)
