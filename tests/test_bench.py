"""The benchmark suite's table: ratios, verdicts and layout from fixed numbers.

Benchmarks are never timed unit tests: nothing here measures anything.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from portal.plumbing.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def suite():
    """bench/suite.py, imported as a module (bench/ is not a package)."""
    path = PROJECT_ROOT / "bench" / "suite.py"
    spec = importlib.util.spec_from_file_location("bench_suite", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_suite"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_suite"]


def test_a_row_meets_its_ratio_to_the_peer(suite):
    row = suite.ratio_row("GET the seed posting page", 850, 1000, 0.8)

    assert row.ratio == pytest.approx(0.85)
    assert row.met is True
    assert row.result == "850 req/s"
    assert row.peer == "1,000 req/s"
    assert row.target == "≥ 0.8×, 0 errors"


def test_a_row_below_its_ratio_or_with_errors_is_not_met(suite):
    assert suite.ratio_row("listing", 690, 1000, 0.7).met is False
    with_errors = suite.ratio_row("listing", 900, 1000, 0.7, errors=3)
    assert with_errors.met is False
    assert "3 errors" in with_errors.result


def test_the_ratio_is_of_the_medians_of_the_rounds(suite):
    pair = suite.Pair()
    for result, peer in [(900, 1000), (100, 1000), (950, 1100), (880, 990), (2000, 1000)]:
        pair.add(
            lambda result=result: suite.WrkResult(result, 0),
            lambda peer=peer: suite.WrkResult(peer, 0),
            peer_first=result % 2 == 0,
        )

    row = pair.row("posting", 0.8)

    # Medians 900 and 1000: one slow round and one fast one change nothing.
    assert row.ratio == pytest.approx(0.9)
    assert row.met is True


def test_errors_of_any_round_fail_the_row(suite):
    pair = suite.Pair()
    pair.add(lambda: suite.WrkResult(1000, 2), lambda: suite.WrkResult(1000, 0), peer_first=True)

    assert pair.row("posting", 0.8).met is False


def test_the_table_is_markdown_with_a_verdict_per_row(suite):
    rows = [
        suite.ratio_row("posting page", 900, 1000, 0.8),
        suite.skipped("through nginx", "nginx not installed"),
        suite.Row("CSV export", "3.1 s", target="< 5 s", met=False),
    ]

    lines = suite.format_table(rows).splitlines()

    assert [cell.strip() for cell in lines[0].split("|")[1:-1]] == [
        "what",
        "result",
        "peer (same run)",
        "ratio",
        "target",
        "met?",
    ]
    assert set(lines[1]) == {"|", "-"}
    assert len({len(line) for line in lines}) == 1, "columns line up"
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines[2:]]
    assert cells[0] == ["posting page", "900 req/s", "1,000 req/s", "0.90×", "≥ 0.8×, 0 errors", "yes"]
    assert cells[1] == ["through nginx", "skipped: nginx not installed", "—", "—", "", "—"]
    assert cells[2][-1] == "**no**"


def test_percentiles_take_the_nearest_rank(suite):
    values = [float(n) for n in range(1, 101)]

    assert suite.percentile(values, 0.5) == 50
    assert suite.percentile(values, 0.95) == 95
    assert suite.percentile(values, 0.99) == 99
    assert suite.percentile([], 0.99) == 0


def test_the_quick_form_measures_every_row_small_and_short(suite):
    quick, full = suite.parse(["--quick"]), suite.parse([])

    assert quick.rounds == 1 and quick.seconds == 1
    assert quick.postgresql == ""
    assert full.rounds >= 3
    assert full.postings == 1000
    assert full.startup_pairs * 2 == 10_000
    assert full.applications == 100_000
    assert full.clients == 16 and full.submit_seconds == 30


def test_the_disk_row_counts_the_slow_syncs_and_has_no_target(suite, monkeypatch, tmp_path):
    durations = [0.0002] * 97 + [0.15, 0.23, 0.004]
    monkeypatch.setattr(suite, "sync_durations", lambda path, seconds: durations)

    row = suite.disk_sync_row(suite.parse([]), tmp_path)

    assert "for 10 s" in row.what
    assert row.result == "100 syncs, p50 0.20 ms, p99 150.00 ms, longest 230 ms, 2 over 100 ms"
    assert row.met is None and row.verdict == "—"


def test_the_disk_probe_syncs_until_its_time_is_up_and_leaves_no_file(suite, tmp_path):
    probe = tmp_path / "sync-probe"

    durations = suite.sync_durations(probe, 0.05)

    assert durations and all(duration >= 0 for duration in durations)
    assert not probe.exists()
