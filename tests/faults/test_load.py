"""Many candidates at once, and workers killed under them: every acknowledged
application is stored exactly once, whole, and a retry finds it."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PDF
from tests.faults.conftest import BROKEN, Client, fill_form, slow_upload, stored_applications, submit

pytestmark = pytest.mark.faults

CLIENTS = 20
EACH = 10


def assert_whole(stored, filled, reference):
    """The application is stored once, with its résumé, answers and email."""
    assert stored.reference == reference
    assert stored.full_name == filled.fields["full_name"]
    assert stored.resume == PDF
    assert stored.answers == sum(name.startswith("question_") for name in filled.fields)
    assert stored.emails == 1


def test_concurrent_submissions_are_each_stored_once_and_whole(database, serve):
    server = serve(database.url)

    def candidate(number: int) -> list[tuple[object, str]]:
        client = Client(server)
        acknowledged = []
        for n in range(number * EACH, (number + 1) * EACH):
            filled = fill_form(client, n)
            answer, reference = submit(client, filled)
            assert answer.status == 303, (answer.status, answer.body[:300])
            acknowledged.append((filled, reference))
        return acknowledged

    with ThreadPoolExecutor(CLIENTS) as pool:
        acknowledged = [item for items in pool.map(candidate, range(CLIENTS)) for item in items]

    stored = stored_applications(database)
    assert len(acknowledged) == CLIENTS * EACH
    assert len(stored) == len(acknowledged), "no application lost, none duplicated"
    assert len({reference for _, reference in acknowledged}) == len(acknowledged)
    for filled, reference in acknowledged:
        assert_whole(stored[filled.token], filled, reference)


def test_workers_killed_during_submissions_lose_nothing_and_a_retry_gives_the_same_reference(database, serve):
    server = serve(database.url, workers=3)
    stop = threading.Event()

    def candidate(number: int):
        client = Client(server)
        results = []
        n = number * 1000
        while not stop.is_set():
            n += 1
            filled = fill_form_retrying(client, n)
            reference = send_until_acknowledged(client, filled)
            results.append((filled, reference))
        return results

    # A form whose upload is still arriving when every worker is SIGKILLed,
    # while other candidates keep sending theirs.
    client = Client(server)
    filled = fill_form_retrying(client, 9999)
    with ThreadPoolExecutor(4) as pool, slow_upload(server, client, filled) as finish:
        time.sleep(0.3)  # an idle worker has taken it, and waits for the rest
        try:
            load = [pool.submit(candidate, number) for number in range(4)]
            time.sleep(0.5)
            pids = server.worker_pids()
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            assert finish() is None, "the killed worker never answered"
            reference = send_until_acknowledged(client, filled)
        finally:
            stop.set()
        acknowledged = [(filled, reference), *(item for future in load for item in future.result())]

    assert not set(pids) & set(server.worker_pids()), "the master started new workers"
    stored = stored_applications(database)
    assert len(stored) == len(acknowledged), "each retried form is stored once"
    for filled, reference in acknowledged:
        assert_whole(stored[filled.token], filled, reference)


def send_until_acknowledged(client: Client, filled) -> str:
    """Send a form until it is acknowledged (a killed worker breaks the
    connection: the same form, same token, goes again), then once more: the
    retry must find the same application."""
    for _ in range(50):
        try:
            answer, reference = submit(client, filled)
            assert answer.status == 303, (answer.status, answer.body[:300])
            again, same = submit(client, filled)
            assert again.status == 303 and same == reference, "a retry finds the stored application"
            return reference
        except BROKEN:
            time.sleep(0.1)
    raise AssertionError("the form was never acknowledged")


def fill_form_retrying(client: Client, n: int):
    """Get the form, again if a killed worker broke the connection."""
    for _ in range(20):
        try:
            return fill_form(client, n)
        except BROKEN:
            time.sleep(0.1)
    raise AssertionError("the form could not be fetched")
