"""Incremental builds give what a full refresh gives (issue 6): after a full build, a later
landing (a new day, late rows of earlier days, updates and replays of old rows) is built
incrementally and every mart is compared row by row with a full refresh of the same raw data."""

from __future__ import annotations

import datetime as dt

import pytest

from flowpilot_tools.generate import Scale
from flowpilot_tools.load import append
from flowpilot_tools.tests.scenario import INTERMEDIATE, MARTS, STAGING

AS_OF = dt.datetime(2026, 4, 27, 15, 25, 46, tzinfo=dt.timezone.utc)
NEXT_AS_OF = AS_OF + dt.timedelta(days=1)
BASE = Scale(accounts=6, days=95, sessions_per_day=6.0, seed=11, as_of=AS_OF)
NEXT_DAY = Scale(accounts=6, days=1, sessions_per_day=6.0, seed=11, as_of=NEXT_AS_OF,
                 hours_after_as_of=0.0, batch=1)
SCHEMAS = (STAGING, INTERMEDIATE, MARTS)
# Bookkeeping of an incremental model: the watermark of the run that last wrote the row.
WATERMARKS = {f"{INTERMEDIATE}.int_handoff_first_steps": "steps_loaded_through"}


@pytest.fixture(scope="module")
def incremental(scenario_factory):
    """Full build at AS_OF, then the next day's landing built incrementally at NEXT_AS_OF."""
    s = scenario_factory("incremental")
    s.load_generated(BASE)
    s.build(AS_OF.isoformat())
    before = s.query(f"select count(*) as n from {STAGING}.stg_flowpilot__ai_sessions")[0]["n"]
    landing = append(NEXT_DAY, s.env, workers=1)
    assert sum(landing.rows.values()) > 0
    s.build(NEXT_AS_OF.isoformat())
    incremental_snapshot = s.snapshot(SCHEMAS, exclude=WATERMARKS)
    s.build(NEXT_AS_OF.isoformat(), "--full-refresh")
    full_snapshot = s.snapshot(SCHEMAS, exclude=WATERMARKS)
    return s, before, incremental_snapshot, full_snapshot


def test_the_landing_brings_new_rows_late_rows_and_updates(incremental):
    s, before, _, _ = incremental
    counts = s.query(
        f"""
        select
            (select count(*) from {STAGING}.stg_flowpilot__ai_sessions) as sessions,
            (select count(*) from raw.ai_sessions
             where _loaded_at > %(landed)s and created_at < %(day)s) as landed_for_earlier_days,
            (select count(*) from raw.session_handoffs
             where _loaded_at > %(landed)s and claimed_at is not null
               and created_at < %(day)s) as old_handoffs_claimed
        """,
        {"landed": s.query("select max(_loaded_at) as m from raw.accounts")[0]["m"], "day": AS_OF},
    )[0]
    assert counts["sessions"] > before
    assert counts["landed_for_earlier_days"] > 0
    assert counts["old_handoffs_claimed"] > 0


def test_incremental_build_equals_full_refresh_row_by_row(incremental):
    _, _, incremental_snapshot, full_snapshot = incremental
    assert f"{MARTS}.fct_escalation_metrics" in full_snapshot
    assert incremental_snapshot.keys() == full_snapshot.keys()
    for table in full_snapshot:
        differing = [
            (got, want)
            for got, want in zip(incremental_snapshot[table], full_snapshot[table])
            if got != want
        ]
        assert len(incremental_snapshot[table]) == len(full_snapshot[table]), table
        assert not differing, f"{table}: {len(differing)} rows differ, e.g. {differing[:2]}"


def test_an_earlier_as_of_after_an_incremental_run_gives_the_full_answer(incremental):
    s, _, _, _ = incremental
    s.build(NEXT_AS_OF.isoformat())  # incremental state at the later as_of
    s.build(AS_OF.isoformat())       # then a rebuild for an earlier as_of
    after_incremental = s.snapshot([MARTS])
    s.build(AS_OF.isoformat(), "--full-refresh")
    full = s.snapshot([MARTS])
    for table in full:
        differing = [(a, b) for a, b in zip(after_incremental[table], full[table]) if a != b]
        assert not differing, f"{table}: {len(differing)} rows differ, e.g. {differing[:1]}"
