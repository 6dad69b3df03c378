"""How a posting's application list scales: page 1 against the last page, at 100,000 rows.

Run: .venv/bin/python bench/review_pages.py [DATABASE_URL]
(default: a temporary SQLite file). Prints the time of the first page, a page
in the middle and the last page, reached by keyset cursors, and their ratio to
the first page: keyset pages cost the same wherever they are (OFFSET would
grow with the page number).
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import insert, text

from portal import create_app
from portal.domain import review
from portal.domain.models import Application, Status
from portal.plumbing.db import db

ROWS = 100_000
KEY = "bench-posting"


def fill(rows: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = []
    for number in range(rows):
        batch.append(
            {
                "reference": f"B{number:011d}",
                "submission_token": hashlib.sha1(str(number).encode()).hexdigest(),
                "posting_key": KEY,
                "posting_lang": "en",
                "posting_slug": "bench",
                "posting_title": "Bench",
                "full_name": f"Candidate {number:06d}",
                "email": f"c{number}@example.ca",
                "preferred_language": "en",
                "about": "",
                "keep_for_future": False,
                "privacy_notice_version": "bench",
                "status": list(Status)[number % 5],
                "submitted_at": start + timedelta(seconds=number * 37),
            }
        )
        if len(batch) == 5000:
            db.session.execute(insert(Application), batch)
            batch = []
    if batch:
        db.session.execute(insert(Application), batch)
    db.session.commit()


def timed(filters, cursor, repeat=7):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        page = review.page_of_applications(db.session, KEY, filters, cursor)
        times.append(time.perf_counter() - began)
        db.session.rollback()
    return statistics.median(times), page


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        fill(ROWS)
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        for label, filters in [
            ("all, newest first", review.ApplicationFilter()),
            ("status=interview, by name", review.ApplicationFilter(status="interview", sort="name")),
        ]:
            first, page = timed(filters, None)
            cursors, cursor = [], page.next_cursor
            while cursor:
                cursors.append(cursor)
                cursor = review.page_of_applications(db.session, KEY, filters, cursor).next_cursor
            middle, _ = timed(filters, cursors[len(cursors) // 2])
            last, _ = timed(filters, cursors[-1])
            print(
                f"{url.split(':')[0]:>10} | {label:<26} | "
                f"{page.total:>6} rows, {len(cursors) + 1:>4} pages | "
                f"first {first * 1000:6.1f} ms | middle {middle * 1000:6.1f} ms ({middle / first:4.2f}x) | "
                f"last {last * 1000:6.1f} ms ({last / first:4.2f}x)"
            )
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
