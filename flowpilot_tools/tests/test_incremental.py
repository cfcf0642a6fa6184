"""Incremental builds give what a full refresh gives: after a full build, a later
landing (a new day, late rows of earlier days, updates and replays of old rows) is built
incrementally and every mart is compared row by row with a full refresh of the same raw data;
and rows an incremental run cannot see fail the build by id instead of going missing."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from flowpilot_tools import warehouse
from flowpilot_tools.generate import Scale
from flowpilot_tools.load import append
from flowpilot_tools.tests.scenario import INTERMEDIATE, MARTS, STAGING, uid

AS_OF = dt.datetime(2026, 4, 27, 15, 25, 46, tzinfo=dt.timezone.utc)
NEXT_AS_OF = AS_OF + dt.timedelta(days=1)
BASE = Scale(accounts=6, days=95, sessions_per_day=6.0, seed=11, as_of=AS_OF)
NEXT_DAY = Scale(accounts=6, days=1, sessions_per_day=6.0, seed=11, as_of=NEXT_AS_OF,
                 hours_after_as_of=0.0, batch=1)
SCHEMAS = (STAGING, INTERMEDIATE, MARTS)
# Bookkeeping of an incremental model: the watermark of the run that last wrote the row.
WATERMARKS = {f"{INTERMEDIATE}.int_handoffs_first_step_found": "steps_loaded_through"}


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


# -- late events that change old days ---------------------------------------------------------
# Each statement lands, after the newest row, a new version of old rows (or new rows about old
# sessions): what changes an old day of the marts, and what an as_of before the landing must
# not see.
LATE_EVENTS = {
    "an old session resolved late": """
        insert into raw.ai_sessions
        select id, account_id, user_id, 'resolved', problem_description, problem_domain,
               confidence_tier, matched_flow_id, psa_ticket_id, step_count, session_rating,
               created_at, %(at)s - interval '2 hours', updated_at, %(at)s
        from (select distinct on (id) * from raw.ai_sessions order by id, _loaded_at desc) as s
        where status = 'active' and created_at < %(day)s - interval '3 days'
        order by id limit 20""",
    "an old session replayed into another account and day": """
        insert into raw.ai_sessions
        select s.id, other.account_id, s.user_id, s.status, s.problem_description,
               s.problem_domain, s.confidence_tier, s.matched_flow_id, s.psa_ticket_id,
               s.step_count, s.session_rating, s.created_at - interval '2 days', s.resolved_at,
               s.updated_at, %(at)s
        from (select distinct on (id) * from raw.ai_sessions
              where created_at < %(day)s - interval '10 days'
              order by id, _loaded_at desc limit 5) as s
        cross join lateral (select account_id from raw.ai_sessions
                            where account_id <> s.account_id order by account_id limit 1) as other""",
    "a first successful push for old linked sessions": """
        insert into raw.psa_post_logs (id, ai_session_id, psa_ticket_id, status, retry_count,
                                       posted_at, _loaded_at)
        select gen_random_uuid(), id, psa_ticket_id, 'success', 1, %(at)s - interval '1 hour', %(at)s
        from raw.ai_sessions
        where trim(psa_ticket_id) <> '' and created_at < %(day)s - interval '5 days'
          and id not in (select ai_session_id from raw.psa_post_logs
                         where status = 'success' and ai_session_id is not null)
        order by id limit 20""",
    "a push replayed onto another session": """
        insert into raw.psa_post_logs
        select p.id, other.id, p.psa_ticket_id, p.status, p.retry_count, p.error_message,
               p.posted_at, %(at)s
        from (select distinct on (id) * from raw.psa_post_logs where status = 'success'
              and posted_at < %(day)s - interval '8 days' order by id, _loaded_at desc
              limit 5) as p
        cross join lateral (select id from raw.ai_sessions where id <> p.ai_session_id
                            and trim(psa_ticket_id) <> '' order by id limit 1) as other""",
    "a time entry for old pushed sessions": """
        insert into raw.psa_activity_logs (id, account_id, session_id, activity_type,
                                           hours_logged, created_at, _loaded_at)
        select gen_random_uuid(), s.account_id, s.id, 'time_entry_posted', 0.5,
               %(at)s - interval '30 minutes', %(at)s
        from raw.ai_sessions as s
        where s.created_at < %(day)s - interval '6 days'
          and s.id in (select ai_session_id from raw.psa_post_logs where status = 'success')
        order by s.id limit 20""",
    "an old proposal reviewed and an old handoff claimed": """
        insert into raw.flow_proposals
        select id, account_id, session_id, 'approved', created_at, %(at)s - interval '1 hour',
               %(at)s
        from (select distinct on (id) * from raw.flow_proposals order by id, _loaded_at desc) as p
        where status = 'pending' order by id limit 5;
        insert into raw.session_handoffs
        select id, session_id, account_id, requested_by_user_id, requested_by_user_id, reason,
               'claimed', created_at, %(at)s - interval '1 hour', %(at)s
        from (select distinct on (id) * from raw.session_handoffs
              order by id, _loaded_at desc) as h
        where claimed_at is null order by id limit 10""",
    "an account's time zone changed": """
        insert into raw.accounts
        select id, name, 'Pacific/Kiritimati', created_at, %(at)s
        from (select distinct on (id) * from raw.accounts order by id, _loaded_at desc) as a
        order by id limit 1""",
}


def land_late_events(s) -> dict[str, int]:
    """Land the LATE_EVENTS statements after the newest row of any raw table (each event a
    minute after the one before: two versions of one id never share a _loaded_at); rows landed
    per event."""
    newest = s.query(" union all ".join(
        f"(select max(_loaded_at) as m from raw.{table})"
        for table in ("ai_sessions", "ai_session_steps", "session_handoffs", "flow_proposals",
                      "psa_post_logs", "psa_activity_logs", "accounts")
    ) + " order by m desc nulls last limit 1")[0]["m"]
    landed = {}
    with warehouse.connect(s.env) as conn:
        for number, (name, statements) in enumerate(LATE_EVENTS.items()):
            params = {"at": newest + dt.timedelta(hours=1, minutes=number), "day": AS_OF}
            landed[name] = sum(conn.execute(statement, params).rowcount
                               for statement in statements.split(";\n"))
    return landed


@pytest.fixture(scope="module")
def late_events(scenario_factory):
    """Full build at NEXT_AS_OF, then late events about old days, built incrementally at a
    later as_of and at the earlier AS_OF (which must not see them), each against a full
    refresh of the same raw data."""
    s = scenario_factory("late_events")
    s.load_generated(BASE)
    s.build(NEXT_AS_OF.isoformat())
    landed = land_late_events(s)
    later = (NEXT_AS_OF + dt.timedelta(days=2)).isoformat()
    earlier = AS_OF.isoformat()
    s.build(earlier)  # incremental, an as_of before the late events and the last run's as_of
    incremental = {earlier: s.snapshot(SCHEMAS, exclude=WATERMARKS)}
    s.build(later)    # incremental again, now the late events are as of as_of
    incremental[later] = s.snapshot(SCHEMAS, exclude=WATERMARKS)
    snapshots = {}
    for as_of in (later, earlier):
        s.build(as_of, "--full-refresh")
        snapshots[as_of] = (incremental[as_of], s.snapshot(SCHEMAS, exclude=WATERMARKS))
    return landed, snapshots


def assert_same_tables(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for table in want:
        differing = [(a, b) for a, b in zip(got[table], want[table]) if a != b]
        assert len(got[table]) == len(want[table]), table
        assert not differing, f"{table}: {len(differing)} rows differ, e.g. {differing[:1]}"


def test_late_events_landed(late_events):
    landed, _ = late_events
    assert all(rows > 0 for rows in landed.values()), landed


def test_late_events_built_incrementally_equal_a_full_refresh(late_events):
    _, snapshots = late_events
    for incremental, full in snapshots.values():
        assert f"{MARTS}.fct_psa_funnel" in full
        assert_same_tables(incremental, full)


# -- rows an incremental run cannot see ----------------------------------------------------------
T0 = dt.datetime(2026, 4, 20, tzinfo=dt.timezone.utc)
SESSIONS_MODEL = "stg_flowpilot__ai_sessions"


def session(name: str, loaded_hours: float) -> dict:
    return {"id": name, "account_id": "a0", "created_at": T0 - dt.timedelta(days=1),
            "_loaded_at": T0 + dt.timedelta(hours=loaded_hours)}


def test_rows_an_incremental_run_skipped_fail_the_build_until_a_full_refresh(scenario_factory):
    """A row landing with a _loaded_at older than the watermark less the lookback (loader clock
    drift, a backfill) is never read by an incremental run, and a row deleted from raw stays:
    in_step_with_raw names each such id instead of letting the marts lose it silently."""
    s = scenario_factory("late_landing")
    build = ("build", "--select", SESSIONS_MODEL, "source:flowpilot.ai_sessions",
             "--indirect-selection", "cautious",  # its own tests only, not the relationships
             "--vars", json.dumps({"as_of": AS_OF.isoformat()}))
    s.insert("accounts", [{"id": "a0", "timezone": "UTC"}])
    s.insert("ai_sessions", [session("gone", 0), session("updated", 0), session("newest", 10),
                             session("rolled_back", 0), session("rolled_back", 5)])
    s.dbt(*build)  # watermark: 10 h less the 3 h lookback = 7 h
    s.insert("ai_sessions", [session("late", 1), session("updated", 2), session("in_time", 9)])
    s.query("delete from raw.ai_sessions where id = %s returning 1 as done", (str(uid("gone")),))
    s.query("delete from raw.ai_sessions where id = %s and _loaded_at > %s returning 1 as done",
            (str(uid("rolled_back")), T0))

    output = s.dbt(*build, check=False)
    assert "FAIL 4 in_step_with_raw_stg_flowpilot__ai_sessions" in " ".join(output.split())
    stored = re.search(r"select \* from (\S+)", output)
    assert stored, output[-3000:]
    problems = {row["id"]: row["problem"].split(":")[0] for row in s.query(
        f"select id, problem from {stored.group(1)}")}
    assert problems == {uid("late"): "missing", uid("updated"): "outdated",
                        uid("gone"): "gone from raw", uid("rolled_back"): "newer than raw"}
    assert s.query(f"select count(*) as n from {STAGING}.{SESSIONS_MODEL} "
                   "where session_id = %s", (str(uid("in_time")),))[0]["n"] == 1

    s.dbt(*build, "--full-refresh")
    assert s.query(f"select count(*) as n from {stored.group(1)}")[0]["n"] == 0
