"""A posting's applications as CSV for spreadsheets: UTF-8 with a BOM (so
Excel reads the accents), headers in the staff member's language, and no cell
a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import tzinfo

from flask_babel import gettext as _

from ...domain.applications import FLAGS, flags_of
from ...domain.models import Application
from ...domain.review import spreadsheet_safe


def csv_lines(
    applications: Iterable[Application],
    questions: Mapping[str, str],
    zone: tzinfo,
    languages: Mapping[str, Mapping],
) -> Iterator[str]:
    """Yield the CSV text line by line (for streaming), the BOM first.

    ``questions`` maps the posting's question ids to their labels: one
    column each, after the common ones (the last of which says the signs
    that a program may have sent the application, empty for most).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([spreadsheet_safe(str(cell)) for cell in cells])
        return buffer.getvalue()

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
        ]
    )
    yes, no = _("Yes"), _("No")
    for item in applications:
        answers = {answer.question_id: answer.answer_label for answer in item.answers}
        yield line(
            [
                item.reference,
                item.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                item.full_name,
                item.email,
                item.phone or "",
                item.pronouns or "",
                languages.get(item.preferred_language, {}).get("name", item.preferred_language),
                item.status.label,
                yes if item.keep_for_future else no,
                item.about,
                item.accommodation or "",
                item.privacy_notice_version,
                " ".join(link.url for link in item.links),
                "; ".join(str(FLAGS[flag][0]) for flag in flags_of(item)),
                *(answers.get(question_id, "") for question_id in questions),
            ]
        )
