"""The PSA marts on hand-written raw rows (METRICS.md section 4: fct_psa_funnel, fct_psa_daily).

Windows at as_of 2026-04-27 15:25:46 UTC: 7d from 2026-04-20 15:25:46, 30d from 2026-03-28
15:25:46, 90d from 2026-01-27 15:25:46. In April, Europe/Berlin is UTC+2 and America/New_York
UTC-4. Every expected number below is counted by hand from the rows of the fixture.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from flowpilot_tools.project import PERIODS
from flowpilot_tools.tests.scenario import INTERMEDIATE, MARTS, ts, uid

AS_OF = "2026-04-27T15:25:46+00:00"
FUNNEL = f"{MARTS}.fct_psa_funnel"
DAILY = f"{MARTS}.fct_psa_daily"


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("psa")
    s.insert("accounts", [
        {"id": "berlin", "name": "Berlin MSP", "timezone": "Europe/Berlin"},
        {"id": "newyork", "name": "New York MSP", "timezone": "America/New_York"},
        {"id": "quiet", "name": "Quiet MSP", "timezone": "UTC"},
    ])
    s.insert("ai_sessions", [
        # Berlin: b1, b2, b3, b5, b6 linked; b4's ticket is blank (not linked).
        {"id": "b1", "account_id": "berlin", "psa_ticket_id": "CW-1",
         "created_at": ts("2026-04-21 10:00")},
        {"id": "b2", "account_id": "berlin", "psa_ticket_id": " CW-2 ",
         "created_at": ts("2026-04-22 09:00")},
        {"id": "b3", "account_id": "berlin", "psa_ticket_id": "CW-3",
         "created_at": ts("2026-04-23 09:00")},
        {"id": "b4", "account_id": "berlin", "psa_ticket_id": "   ",
         "created_at": ts("2026-04-24 09:00")},
        {"id": "b5", "account_id": "berlin", "psa_ticket_id": "CW-5",
         "created_at": ts("2026-04-26 08:00")},
        {"id": "b6", "account_id": "berlin", "psa_ticket_id": "CW-6",
         "created_at": ts("2026-04-26 10:00")},
        # An old session: before the 30d window, inside the 90d one.
        {"id": "b_old", "account_id": "berlin", "psa_ticket_id": "CW-0",
         "created_at": ts("2026-03-01 10:00")},
        {"id": "n1", "account_id": "newyork", "psa_ticket_id": "AT-1",
         "created_at": ts("2026-04-21 12:00")},
    ])
    s.insert("psa_post_logs", [
        # b1: a failure, then its retried success.
        {"id": "p1", "ai_session_id": "b1", "status": "failed", "retry_count": 0,
         "error_message": "PSA timeout", "posted_at": ts("2026-04-21 10:30")},
        {"id": "p2", "ai_session_id": "b1", "status": " Success", "retry_count": 1,
         "posted_at": ts("2026-04-21 10:40")},
        {"id": "p3", "ai_session_id": "b2", "posted_at": ts("2026-04-22 09:30")},
        {"id": "p4", "ai_session_id": "b4", "posted_at": ts("2026-04-24 09:30")},
        # A push for the old session, inside the 7d window.
        {"id": "p5", "ai_session_id": "b_old", "posted_at": ts("2026-04-25 12:00")},
        # b5's only push comes a microsecond after as_of: it does not exist.
        {"id": "p6", "ai_session_id": "b5", "posted_at": ts("2026-04-27 15:25:46.000001")},
        {"id": "p7", "ai_session_id": "b6", "posted_at": ts("2026-04-26 10:30")},
        # Without a known session: left out, counted by the warn-level test.
        {"id": "p8", "ai_session_id": None, "posted_at": ts("2026-04-22 12:00")},
        {"id": "p9", "ai_session_id": "nowhere", "posted_at": ts("2026-04-22 12:00")},
        {"id": "p10", "ai_session_id": "n1", "posted_at": ts("2026-04-21 12:30")},
    ])
    time_entry = "time_entry_posted"
    s.insert("psa_activity_logs", [
        {"id": "note1", "account_id": "berlin", "session_id": "b1",
         "created_at": ts("2026-04-21 10:40:01")},
        # 23:30 UTC: 01:30 the next day in Berlin. Replayed once (same id): counts once.
        {"id": "te1", "account_id": "berlin", "session_id": "b1", "activity_type": time_entry,
         "hours_logged": Decimal("1.50"), "created_at": ts("2026-04-21 23:30")},
        {"id": "te1", "account_id": "berlin", "session_id": "b1", "activity_type": time_entry,
         "hours_logged": Decimal("1.50"), "created_at": ts("2026-04-21 23:30"),
         "_loaded_at": ts("2026-04-22 00:00")},
        # Null hours count as 0 (and the entry still counts).
        {"id": "te2", "account_id": "berlin", "session_id": "b1", "activity_type": " Time_Entry_Posted",
         "hours_logged": None, "created_at": ts("2026-04-22 09:31")},
        # b3 has a time entry but no push: not in the cohort.
        {"id": "te3", "account_id": "berlin", "session_id": "b3", "activity_type": time_entry,
         "hours_logged": Decimal("2.00"), "created_at": ts("2026-04-23 10:00")},
        # Without a session: counts in the totals, not in time_entry_logged.
        {"id": "te4", "account_id": "berlin", "session_id": None, "activity_type": time_entry,
         "hours_logged": Decimal("0.25"), "created_at": ts("2026-04-25 22:30")},
        # 23:59:59 in Berlin: still 2026-04-21 there.
        {"id": "te9", "account_id": "berlin", "session_id": None, "activity_type": time_entry,
         "hours_logged": Decimal("0.75"), "created_at": ts("2026-04-21 21:59:59")},
        # b2's only time entry is booked to an account nobody loaded.
        {"id": "te5", "account_id": "ghost", "session_id": "b2", "activity_type": time_entry,
         "hours_logged": Decimal("3.00"), "created_at": ts("2026-04-23 12:00")},
        # New York: 23:30 UTC is 19:30 the same day; 03:59 UTC is 23:59 the day before;
        # 04:00 UTC is midnight.
        {"id": "te6", "account_id": "newyork", "session_id": "n1", "activity_type": time_entry,
         "hours_logged": Decimal("1.00"), "created_at": ts("2026-04-21 23:30")},
        {"id": "te7", "account_id": "newyork", "session_id": "n1", "activity_type": time_entry,
         "hours_logged": Decimal("0.50"), "created_at": ts("2026-04-22 03:59")},
        {"id": "te8", "account_id": "newyork", "session_id": "n1", "activity_type": time_entry,
         "hours_logged": Decimal("0.25"), "created_at": ts("2026-04-22 04:00")},
        # Exactly at the 7d period_start (in), a microsecond before (30d only), after as_of (never).
        {"id": "te10", "account_id": "newyork", "activity_type": time_entry,
         "hours_logged": Decimal("1.00"), "created_at": ts("2026-04-20 15:25:46")},
        {"id": "te11", "account_id": "newyork", "activity_type": time_entry,
         "hours_logged": Decimal("1.00"), "created_at": ts("2026-04-20 15:25:45.999999")},
        {"id": "te12", "account_id": "newyork", "activity_type": time_entry,
         "hours_logged": Decimal("8.00"), "created_at": ts("2026-04-27 15:25:46.000001")},
    ])
    # Build in a session time zone far from UTC: the days must not depend on it.
    s.env["PGTZ"] = "Pacific/Kiritimati"
    s.build(AS_OF)
    return s


def funnel(built, account: str, period: str) -> dict:
    return built.one(FUNNEL, f"account_id = '{uid(account)}' and period = '{period}'")


def daily(built, account: str, period: str) -> list[tuple[dt.date, int, Decimal]]:
    rows = built.rows(DAILY, f"account_id = '{uid(account)}' and period = '{period}'",
                      order_by="entry_date")
    return [(r["entry_date"], r["time_entries"], r["hours_logged"]) for r in rows]


def test_one_row_per_account_and_period(built):
    counts = built.query(f"select period, count(*) as n from {FUNNEL} group by period order by 1")
    # berlin, newyork, quiet, ghost (only named by a time entry).
    assert [(r["period"], r["n"]) for r in counts] == [("30d", 4), ("7d", 4), ("90d", 4)]


def test_cohort_funnel_is_monotone_and_follows_sessions(built):
    row = funnel(built, "berlin", "7d")
    # Sessions b1..b6; linked b1, b2, b3, b5, b6; pushed (success by as_of) b1, b2, b6;
    # with a time entry b1 (own) and b2 (booked to ghost); b3's entry has no push.
    assert (row["total_sessions"], row["linked_to_ticket"]) == (6, 5)
    assert (row["cohort_doc_pushed"], row["cohort_time_entry_logged"]) == (3, 2)
    assert row["ticket_link_rate"] == pytest.approx(5 / 6)


def test_old_session_push_counts_in_doc_pushed_not_in_the_cohort(built):
    row = funnel(built, "berlin", "7d")
    # Distinct sessions with a success push posted in the window: b1, b2, b4, b_old, b6.
    assert row["doc_pushed"] == 5
    assert row["cohort_doc_pushed"] == 3
    # In the 90d window the old session is itself in the window: it joins the cohort.
    row90 = funnel(built, "berlin", "90d")
    assert (row90["total_sessions"], row90["linked_to_ticket"]) == (7, 6)
    assert (row90["doc_pushed"], row90["cohort_doc_pushed"], row90["cohort_time_entry_logged"]) == (5, 4, 2)


def test_push_counts_and_rates_with_a_failed_then_retried_push(built):
    row = funnel(built, "berlin", "7d")
    # p1 failed, p2 success retry 1, p3, p4, p5, p7 success; p6 after as_of; p8, p9 no session.
    assert (row["total_pushes"], row["successful_pushes"], row["retry_successful_pushes"]) == (6, 5, 1)
    assert row["auto_push_success_rate"] == pytest.approx(5 / 6)
    assert row["auto_push_retry_success_rate"] == pytest.approx(1 / 6)


def test_time_entries_by_own_account_with_null_hours_and_no_session(built):
    row = funnel(built, "berlin", "7d")
    # te1 1.50 (once), te2 null -> 0, te3 2.00, te4 0.25, te9 0.75; te5 is ghost's.
    assert row["total_time_entries"] == 5
    assert row["total_hours_logged"] == Decimal("4.50")
    assert row["avg_hours_per_time_entry"] == pytest.approx(0.9)
    assert row["time_entry_logged"] == 2  # b1, b3; te4 and te9 have no session
    ghost = funnel(built, "ghost", "7d")
    assert (ghost["total_sessions"], ghost["time_entry_logged"], ghost["total_time_entries"]) == (0, 1, 1)
    assert ghost["total_hours_logged"] == Decimal("3.00")
    assert (ghost["ticket_link_rate"], ghost["cohort_time_entry_logged"]) == (None, 0)


def test_window_is_closed_at_period_start_and_as_of(built):
    # te10 at exactly period_start is in 7d; te11 a microsecond earlier only in 30d;
    # te12 after as_of never.
    assert funnel(built, "newyork", "7d")["total_time_entries"] == 4
    assert funnel(built, "newyork", "7d")["total_hours_logged"] == Decimal("2.75")
    assert funnel(built, "newyork", "30d")["total_time_entries"] == 5
    assert funnel(built, "newyork", "30d")["total_hours_logged"] == Decimal("3.75")
    row = funnel(built, "newyork", "7d")
    assert row["avg_hours_per_time_entry"] == pytest.approx(0.6875)
    assert (row["cohort_doc_pushed"], row["cohort_time_entry_logged"], row["time_entry_logged"]) == (1, 1, 1)


def test_account_without_data_has_zeros_and_nulls(built):
    for period in PERIODS:
        row = funnel(built, "quiet", period)
        counts = [row[c] for c in (
            "total_sessions", "linked_to_ticket", "doc_pushed", "time_entry_logged",
            "cohort_doc_pushed", "cohort_time_entry_logged", "total_time_entries",
            "total_pushes", "successful_pushes", "retry_successful_pushes")]
        assert counts == [0] * 10
        assert row["total_hours_logged"] == 0
        rates = [row[c] for c in (
            "avg_hours_per_time_entry", "ticket_link_rate", "auto_push_success_rate",
            "auto_push_retry_success_rate")]
        assert rates == [None] * 4
    assert daily(built, "quiet", "90d") == []


def test_days_in_berlin(built):
    d = dt.date
    # te9 23:59:59 -> 04-21; te1 01:30 and te2 11:31 -> 04-22; te3 -> 04-23; te4 00:30 -> 04-26.
    assert daily(built, "berlin", "7d") == [
        (d(2026, 4, 21), 1, Decimal("0.75")),
        (d(2026, 4, 22), 2, Decimal("1.50")),
        (d(2026, 4, 23), 1, Decimal("2.00")),
        (d(2026, 4, 26), 1, Decimal("0.25")),
    ]


def test_days_in_new_york(built):
    d = dt.date
    # te10 11:25:46 -> 04-20; te6 19:30 and te7 23:59 -> 04-21; te8 00:00 -> 04-22.
    assert daily(built, "newyork", "7d") == [
        (d(2026, 4, 20), 1, Decimal("1.00")),
        (d(2026, 4, 21), 2, Decimal("1.50")),
        (d(2026, 4, 22), 1, Decimal("0.25")),
    ]
    # te11 (a microsecond before the 7d window) joins 04-20 in 30d.
    assert daily(built, "newyork", "30d")[0] == (d(2026, 4, 20), 2, Decimal("2.00"))


def test_same_utc_instant_lands_on_different_days(built):
    entries = {
        r["activity_id"]: r["entry_date"]
        for r in built.rows(f"{INTERMEDIATE}.int_psa_time_entries_windowed", "period = '7d'")
    }
    # Both at 2026-04-21 23:30 UTC.
    assert entries[uid("te1")] == dt.date(2026, 4, 22)  # Berlin
    assert entries[uid("te6")] == dt.date(2026, 4, 21)  # New York


def test_data_tests_pass_and_unattributed_pushes_are_counted(built):
    output = built.dbt(
        "test", "--select", "fct_psa_funnel", "fct_psa_daily", "assert_psa_pushes_have_a_known_session",
        "--exclude-resource-type", "unit_test", "--vars", json.dumps({"as_of": AS_OF}),
    )
    # p8 (null session) and p9 (dangling); p6 (after as_of) does not exist.
    assert "WARN 2 assert_psa_pushes_have_a_known_session" in output
    assert "PASS assert_psa_funnel_cohort_is_monotone" in output
    assert "PASS assert_psa_daily_sums_to_funnel_totals" in output
    assert "ERROR=0" in output
