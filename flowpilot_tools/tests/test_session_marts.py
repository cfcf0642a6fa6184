"""Session and knowledge marts on hand-written rows (METRICS.md section 4).

Four accounts: one in Europe/Berlin, one in America/New_York, one whose time zone is
invalid (UTC days) and one without any data. Every expected number below is computed by
hand from the rows; the comments show the arithmetic.
"""

from __future__ import annotations

import datetime as dt

import pytest

from flowpilot_tools.tests.scenario import MARTS, ts, uid

AS_OF = "2026-04-27T15:25:46+00:00"
AS_OF_TS = ts("2026-04-27 15:25:46")
DAY = 86400.0

BERLIN, NEW_YORK, BAD_TZ, EMPTY = uid("berlin"), uid("newyork"), uid("badtz"), uid("empty")


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("session_marts")
    s.insert("accounts", [
        {"id": "berlin", "name": "Berlin MSP", "timezone": "Europe/Berlin"},
        {"id": "newyork", "name": "New York MSP", "timezone": "America/New_York"},
        {"id": "badtz", "name": "Nowhere MSP", "timezone": "Mars/Olympus_Mons"},
        {"id": "empty", "name": "Quiet MSP", "timezone": "Europe/London"},
    ])
    s.insert("tree_categories", [
        {"id": "c_net", "account_id": None, "name": "  NETWORK "},     # global, odd case
        {"id": "c_mail", "account_id": "newyork", "name": "Email"},  # another account's
        {"id": "c_print", "account_id": "berlin", "name": "printing"},
    ])
    s.insert("trees", [
        {"id": "bf1", "account_id": "berlin", "name": "VPN down", "tree_type": "Troubleshooting",
         "origin": "AI_GENERATED", "category_id": "c_net"},
        {"id": "bf2", "account_id": "berlin", "name": "Mailbox full", "tree_type": "procedure",
         "origin": "manual", "category_id": "c_mail"},
        {"id": "bf3", "account_id": "berlin", "name": "Inactive", "origin": "ai_enhanced",
         "category_id": "c_net", "is_active": False},
        {"id": "bf4", "account_id": "berlin", "name": "Deleted", "origin": "manual",
         "category_id": "c_net", "deleted_at": ts("2026-04-01 00:00")},
        {"id": "bf5", "account_id": "berlin", "name": "Deleted later", "origin": "imported",
         "category_id": "c_net", "deleted_at": ts("2026-04-28 00:00")},
        {"id": "bf6", "account_id": "berlin", "name": "Future", "origin": "ai_generated",
         "category_id": "c_net", "created_at": ts("2026-04-27 15:25:47")},
        {"id": "bf7", "account_id": "berlin", "name": "Printer jam", "origin": "manual",
         "category_id": "c_print"},
        {"id": "bf8", "account_id": "berlin", "name": "Toner", "origin": "manual",
         "category_id": "c_print"},
        {"id": "nf1", "account_id": "newyork", "name": "NY network", "origin": "manual",
         "category_id": "c_net"},
    ])
    s.insert("ai_sessions", [
        # Berlin (UTC+2 in April).
        {"id": "b1", "account_id": "berlin", "status": "resolved", "problem_domain": " Network ",
         "confidence_tier": "Guided", "matched_flow_id": "bf1", "step_count": 4,
         "session_rating": 6, "created_at": ts("2026-04-25 20:00"),
         "resolved_at": ts("2026-04-25 23:30")},  # 01:30 on 04-26 in Berlin; 12600 s
        {"id": "b2", "account_id": "berlin", "status": "resolved", "problem_domain": "network",
         "confidence_tier": "guided", "matched_flow_id": "bf1", "step_count": 6,
         "session_rating": 4, "created_at": ts("2026-04-26 09:00"),
         "resolved_at": ts("2026-04-26 08:59")},  # clock drift: 0 s
        {"id": "b3", "account_id": "berlin", "status": "escalated", "problem_domain": "EMAIL",
         "confidence_tier": "exploring", "matched_flow_id": "bf2", "step_count": 3,
         "session_rating": 0, "created_at": ts("2026-04-24 10:00")},
        {"id": "b4", "account_id": "berlin", "status": "abandoned", "problem_domain": "  ",
         "confidence_tier": "discovery", "step_count": 1, "session_rating": 2,
         "created_at": ts("2026-04-23 10:00")},
        {"id": "b5", "account_id": "berlin", "status": "resolved", "problem_domain": "network",
         "confidence_tier": "guided", "matched_flow_id": "bf1", "step_count": 2,
         "session_rating": 5, "created_at": ts("2026-03-01 10:00"),
         "resolved_at": ts("2026-03-01 10:30")},  # 90d only; 1800 s
        {"id": "b6", "account_id": "berlin", "status": "resolved", "problem_domain": "network",
         "matched_flow_id": "bf1", "created_at": ts("2026-04-27 15:25:47"),
         "resolved_at": ts("2026-04-27 15:30")},  # after as_of: does not exist
        {"id": "b7", "account_id": "berlin", "status": "resolved", "problem_domain": "network",
         "confidence_tier": "guided", "step_count": 5, "created_at": ts("2026-04-26 12:00"),
         "resolved_at": ts("2026-04-27 16:00")},  # resolved after as_of: no resolved_at
        {"id": "b8", "account_id": "berlin", "status": "resolved", "problem_domain": "printing",
         "matched_flow_id": "bf7", "created_at": ts("2026-01-10 10:00"),
         "resolved_at": ts("2026-01-10 11:00")},  # before every window; 107 days before as_of
        {"id": "b9", "account_id": "berlin", "status": "resolved", "problem_domain": "printing",
         "confidence_tier": "guided", "matched_flow_id": "bf8", "step_count": 2,
         "created_at": ts("2026-03-13 15:25:46"),
         "resolved_at": ts("2026-03-13 16:25:46")},  # 90d only, exactly 45 days; 3600 s
        # New York (UTC-4 in April).
        {"id": "n1", "account_id": "newyork", "status": "resolved", "problem_domain": "network",
         "confidence_tier": "guided", "created_at": ts("2026-04-25 20:00"),
         "resolved_at": ts("2026-04-25 23:30")},  # 19:30 on 04-25 in New York; 12600 s
        {"id": "n2", "account_id": "newyork", "status": "resolved", "problem_domain": "network",
         "confidence_tier": "exploring", "created_at": ts("2026-04-26 03:00"),
         "resolved_at": ts("2026-04-26 03:30")},  # 23:30 on 04-25 in New York; 1800 s
        {"id": "n3", "account_id": "newyork", "status": "active", "matched_flow_id": "bf1",
         "created_at": ts("2026-04-27 10:00")},  # another account's session on Berlin's flow
        # Invalid time zone: UTC days.
        {"id": "x1", "account_id": "badtz", "status": "resolved", "created_at": ts("2026-04-25 20:00"),
         "resolved_at": ts("2026-04-25 23:30")},  # 04-25 (UTC); 12600 s
        {"id": "x2", "account_id": "badtz", "status": "resolved", "created_at": ts("2026-04-25 23:00"),
         "resolved_at": ts("2026-04-26 00:30")},  # 04-26 (UTC); 5400 s
    ])
    s.insert("flow_proposals", [
        {"id": "p1", "account_id": "berlin", "status": "pending", "created_at": ts("2026-01-02 00:00")},
        {"id": "p2", "account_id": "berlin", "status": " Approved ", "created_at": ts("2026-04-01"),
         "reviewed_at": ts("2026-04-22 00:00")},
        {"id": "p3", "account_id": "berlin", "status": "modified", "created_at": ts("2026-03-20"),
         "reviewed_at": ts("2026-04-01 00:00")},
        {"id": "p4", "account_id": "berlin", "status": "rejected", "created_at": ts("2026-04-01"),
         "reviewed_at": ts("2026-04-27 15:25:47")},  # reviewed after as_of: not yet
        {"id": "p5", "account_id": "berlin", "status": "rejected", "created_at": ts("2026-04-01"),
         "reviewed_at": ts("2026-04-21 00:00")},
        {"id": "p6", "account_id": "berlin", "status": "pending",
         "created_at": ts("2026-04-27 15:25:47")},  # created after as_of
    ])
    s.build(AS_OF)
    return s


def metrics(built, account, period):
    return built.one(f"{MARTS}.fct_session_metrics", f"account_id = '{account}' and period = '{period}'")


def trend(built, account, period):
    rows = built.rows(f"{MARTS}.fct_mttr_trend",
                      f"account_id = '{account}' and period = '{period}'", "resolved_date")
    return [(r["resolved_date"], r["mttr_minutes"], r["session_count"]) for r in rows]


# -- time zones and days --------------------------------------------------------------

def test_resolution_at_2330_utc_is_next_day_in_berlin(built):
    # b1 12600 s and b2 0 s (drift) both resolve on 04-26 Berlin time: (12600 + 0) / 2 s.
    assert trend(built, BERLIN, "7d") == [(dt.date(2026, 4, 26), pytest.approx(105.0), 2)]


def test_resolution_at_2330_utc_is_same_day_in_new_york(built):
    # n1 (23:30 UTC) and n2 (03:30 UTC next day) are both 04-25 in New York: (12600 + 1800) / 2 s.
    assert trend(built, NEW_YORK, "7d") == [(dt.date(2026, 4, 25), pytest.approx(120.0), 2)]


def test_invalid_time_zone_falls_back_to_utc_days(built):
    account = built.one(f"{MARTS}.dim_accounts", f"account_id = '{BAD_TZ}'")
    assert account["timezone"] == "UTC"
    assert trend(built, BAD_TZ, "7d") == [
        (dt.date(2026, 4, 25), pytest.approx(210.0), 1),  # 12600 s
        (dt.date(2026, 4, 26), pytest.approx(90.0), 1),  # 5400 s
    ]


def test_mttr_trend_90d_adds_older_days(built):
    assert trend(built, BERLIN, "90d") == [
        (dt.date(2026, 3, 1), pytest.approx(30.0), 1),
        (dt.date(2026, 3, 13), pytest.approx(60.0), 1),
        (dt.date(2026, 4, 26), pytest.approx(105.0), 2),
    ]


# -- fct_session_metrics --------------------------------------------------------------

def test_session_metrics_berlin_7d(built):
    row = metrics(built, BERLIN, "7d")
    # b1, b2, b3, b4, b7 (b5, b8, b9 are older, b6 after as_of).
    assert (row["total_sessions"], row["resolved_sessions"], row["escalated_sessions"],
            row["abandoned_sessions"], row["unmapped_sessions"]) == (5, 3, 1, 1, 1)
    assert row["resolution_rate"] == pytest.approx(3 / 5)
    assert row["avg_steps_to_resolution"] == pytest.approx((4 + 6 + 5) / 3)
    # Only b1 and b2 have a resolved_at by as_of (b7's is later): (12600 + 0) / 2 s.
    assert row["avg_session_duration_minutes"] == pytest.approx(6300 / 60)
    assert row["mttr_minutes"] == pytest.approx(6300 / 60)
    # Ratings 6 (b1) and 0 (b3) are ignored: (4 + 2) / 2.
    assert row["avg_rating"] == pytest.approx(3.0)
    assert row["period_start"] == ts("2026-04-20 15:25:46")
    assert row["as_of"] == AS_OF_TS


def test_session_metrics_berlin_90d(built):
    row = metrics(built, BERLIN, "90d")
    # Adds b5 and b9 (b8 is before the window).
    assert (row["total_sessions"], row["resolved_sessions"], row["unmapped_sessions"]) == (7, 5, 1)
    assert row["resolution_rate"] == pytest.approx(5 / 7)
    assert row["avg_steps_to_resolution"] == pytest.approx((4 + 6 + 5 + 2 + 2) / 5)
    assert row["mttr_minutes"] == pytest.approx((12600 + 0 + 1800 + 3600) / 4 / 60)
    assert row["avg_rating"] == pytest.approx((4 + 2 + 5) / 3)


def test_zero_data_account_has_every_period_with_zeros_and_nulls(built):
    rows = built.rows(f"{MARTS}.fct_session_metrics", f"account_id = '{EMPTY}'", "period")
    assert [r["period"] for r in rows] == ["30d", "7d", "90d"]
    for row in rows:
        assert (row["total_sessions"], row["resolved_sessions"], row["escalated_sessions"],
                row["abandoned_sessions"], row["unmapped_sessions"]) == (0, 0, 0, 0, 0)
        assert (row["resolution_rate"], row["avg_steps_to_resolution"],
                row["avg_session_duration_minutes"], row["mttr_minutes"],
                row["avg_rating"]) == (None, None, None, None, None)


def test_zero_data_account_in_the_other_marts(built):
    where = f"account_id = '{EMPTY}'"
    assert built.rows(f"{MARTS}.fct_mttr_trend", where) == []
    assert built.rows(f"{MARTS}.fct_domain_coverage", where) == []
    assert built.rows(f"{MARTS}.fct_flow_quality", where) == []
    tiers = built.rows(f"{MARTS}.fct_confidence_breakdown", where)
    assert len(tiers) == 9
    assert {(r["session_count"], r["resolved_count"], r["resolution_rate"]) for r in tiers} == {
        (0, 0, None)}
    knowledge = built.rows(f"{MARTS}.fct_knowledge_coverage", where)
    assert len(knowledge) == 3
    assert {(r["total_flows"], r["ai_generated_flows"], r["proposals_pending"],
             r["proposals_approved"], r["proposals_rejected"]) for r in knowledge} == {
        (0, 0, 0, 0, 0)}


def test_every_account_has_one_row_per_period(built):
    found = built.query(f"select period, count(*) as n from {MARTS}.fct_session_metrics "
                        "group by period order by period")
    assert [(r["period"], r["n"]) for r in found] == [("30d", 4), ("7d", 4), ("90d", 4)]


# -- fct_domain_coverage --------------------------------------------------------------

def test_domain_coverage_berlin_7d(built):
    rows = {r["problem_domain"]: r for r in built.rows(
        f"{MARTS}.fct_domain_coverage", f"account_id = '{BERLIN}' and period = '7d'")}
    assert set(rows) == {"network", "email"}  # no printing session in 7d, b4 is unmapped
    network, email = rows["network"], rows["email"]
    # b1, b2, b7: all resolved and guided.
    assert (network["session_count"], network["resolved_count"], network["escalated_count"],
            network["guided_count"]) == (3, 3, 0, 3)
    assert (network["resolution_rate"], network["escalation_rate"], network["guided_rate"]) == (
        1.0, 0.0, 1.0)
    assert network["avg_resolution_minutes"] == pytest.approx((12600 + 0) / 2 / 60)
    # Live flows: bf1 and bf5 ("  NETWORK " category; bf5's deletion is after as_of).
    assert network["flow_count"] == 2
    assert (email["session_count"], email["resolved_count"], email["escalated_count"]) == (1, 0, 1)
    assert email["escalation_rate"] == 1.0
    assert email["avg_resolution_minutes"] is None
    # bf2, in the category "Email" of another account.
    assert email["flow_count"] == 1


def test_domain_coverage_berlin_90d_adds_older_sessions(built):
    rows = {r["problem_domain"]: r for r in built.rows(
        f"{MARTS}.fct_domain_coverage", f"account_id = '{BERLIN}' and period = '90d'")}
    assert set(rows) == {"network", "email", "printing"}
    assert rows["network"]["session_count"] == 4  # + b5
    assert rows["network"]["avg_resolution_minutes"] == pytest.approx((12600 + 0 + 1800) / 3 / 60)
    # b9; flows bf7 and bf8 in the category "printing".
    assert (rows["printing"]["session_count"], rows["printing"]["flow_count"]) == (1, 2)
    assert rows["printing"]["avg_resolution_minutes"] == pytest.approx(60.0)


def test_domain_coverage_new_york_counts_only_its_own_flows(built):
    network = built.one(f"{MARTS}.fct_domain_coverage",
                        f"account_id = '{NEW_YORK}' and period = '7d' and problem_domain = 'network'")
    assert (network["session_count"], network["guided_count"], network["flow_count"]) == (2, 1, 1)
    assert network["guided_rate"] == 0.5


# -- fct_confidence_breakdown ---------------------------------------------------------

def test_confidence_breakdown_berlin_7d(built):
    rows = {r["confidence_tier"]: r for r in built.rows(
        f"{MARTS}.fct_confidence_breakdown", f"account_id = '{BERLIN}' and period = '7d'")}
    # b1, b2, b7 resolved guided; b3 escalated exploring; b4 abandoned is left out.
    assert (rows["guided"]["session_count"], rows["guided"]["resolved_count"],
            rows["guided"]["resolution_rate"]) == (3, 3, 1.0)
    assert (rows["exploring"]["session_count"], rows["exploring"]["resolved_count"],
            rows["exploring"]["resolution_rate"]) == (1, 0, 0.0)
    assert (rows["discovery"]["session_count"], rows["discovery"]["resolved_count"],
            rows["discovery"]["resolution_rate"]) == (0, 0, None)


# -- fct_knowledge_coverage -----------------------------------------------------------

@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # pending p1; approved p2 (04-22) and modified p3 (04-01); rejected p5 (04-21).
        ("7d", (7, 2, 1, 1, 1)),
        ("30d", (7, 2, 1, 2, 1)),
        ("90d", (7, 2, 1, 2, 1)),
    ],
)
def test_knowledge_coverage_berlin(built, period, expected):
    row = built.one(f"{MARTS}.fct_knowledge_coverage",
                    f"account_id = '{BERLIN}' and period = '{period}'")
    # Flows bf1-bf5, bf7, bf8 in any state (bf6 is after as_of); AI-made: bf1 (AI_GENERATED), bf3.
    assert (row["total_flows"], row["ai_generated_flows"], row["proposals_pending"],
            row["proposals_approved"], row["proposals_rejected"]) == expected


# -- fct_flow_quality -----------------------------------------------------------------

def flows(built, account, period):
    return {r["flow_id"]: r for r in built.rows(
        f"{MARTS}.fct_flow_quality", f"account_id = '{account}' and period = '{period}'")}


def test_flow_quality_lists_live_flows_only(built):
    live = {uid(name) for name in ("bf1", "bf2", "bf5", "bf7", "bf8")}
    assert set(flows(built, BERLIN, "7d")) == live
    assert set(flows(built, NEW_YORK, "7d")) == {uid("nf1")}


# Recency from the last match ever (d = as_of - instant):
RECENCY_BF1 = 1 - 109546 / DAY / 90  # b2, 04-26 09:00: 1 day 6:25:46
RECENCY_BF2 = 1 - 278746 / DAY / 90  # b3, 04-24 10:00: 3 days 5:25:46
RECENCY_BF8 = 0.5  # b9, exactly 45 days


def test_flow_quality_scores_berlin_7d(built):
    rows = flows(built, BERLIN, "7d")
    bf1, bf2, bf5, bf7, bf8 = (rows[uid(n)] for n in ("bf1", "bf2", "bf5", "bf7", "bf8"))
    # bf1: b1 and b2, both resolved and guided; n3 (New York) does not count, not even as
    # the last match.
    assert (bf1["usage_count"], bf1["resolved_count"], bf1["guided_count"]) == (2, 2, 2)
    assert (bf1["success_rate"], bf1["guided_rate"]) == (1.0, 1.0)
    assert bf1["last_matched_at"] == ts("2026-04-26 09:00")
    assert bf1["recency_score"] == pytest.approx(RECENCY_BF1)
    assert bf1["quality_score"] == pytest.approx(0.5 + 0.3 + 0.2 * RECENCY_BF1)
    assert (bf1["flow_name"], bf1["tree_type"]) == ("VPN down", "troubleshooting")
    # bf2: b3, escalated and exploring.
    assert (bf2["usage_count"], bf2["success_rate"], bf2["guided_rate"]) == (1, 0.0, 0.0)
    assert bf2["quality_score"] == pytest.approx(0.2 * RECENCY_BF2)
    # bf5: never matched.
    assert (bf5["usage_count"], bf5["success_rate"], bf5["last_matched_at"]) == (0, None, None)
    assert (bf5["recency_score"], bf5["quality_score"]) == (0.0, 0.0)
    # bf7: matched 107 days ago only: recency clamped to 0; last_matched_at is that match.
    assert (bf7["usage_count"], bf7["last_matched_at"]) == (0, ts("2026-01-10 10:00"))
    assert (bf7["recency_score"], bf7["quality_score"]) == (0.0, 0.0)
    # bf8: matched 45 days ago, outside 7d: recency 0.5 but quality 0 without usage.
    assert (bf8["usage_count"], bf8["last_matched_at"]) == (0, ts("2026-03-13 15:25:46"))
    assert (bf8["recency_score"], bf8["quality_score"]) == (RECENCY_BF8, 0.0)
    # Rank: bf1, bf2, then the unused flows by flow_id.
    unused = sorted([uid("bf5"), uid("bf7"), uid("bf8")], key=str)
    by_rank = sorted(rows.values(), key=lambda r: r["quality_rank"])
    assert [r["flow_id"] for r in by_rank] == [uid("bf1"), uid("bf2"), *unused]
    assert [r["quality_rank"] for r in by_rank] == [1, 2, 3, 4, 5]
    assert {r["flow_id"] for r in by_rank if r["is_top_performer"]} == {uid("bf1"), uid("bf2")}
    # bf2: success 0 < 0.5.
    assert {r["flow_id"] for r in by_rank if r["needs_attention"]} == {uid("bf2")}


def test_flow_quality_berlin_90d(built):
    rows = flows(built, BERLIN, "90d")
    bf1, bf8 = rows[uid("bf1")], rows[uid("bf8")]
    assert (bf1["usage_count"], bf1["resolved_count"], bf1["guided_count"]) == (3, 3, 3)  # + b5
    assert bf1["last_matched_at"] == ts("2026-04-26 09:00")
    # bf8: b9 resolved and guided, 45 days ago: 0.5 + 0.3 + 0.2 * 0.5.
    assert (bf8["usage_count"], bf8["success_rate"], bf8["guided_rate"]) == (1, 1.0, 1.0)
    assert bf8["quality_score"] == pytest.approx(0.5 + 0.3 + 0.2 * RECENCY_BF8)
    ranks = {name: rows[uid(name)]["quality_rank"] for name in ("bf1", "bf8", "bf2")}
    assert ranks == {"bf1": 1, "bf8": 2, "bf2": 3}
    # bf8 is stale (last match more than 30 days before as_of), bf2 fails (success 0).
    assert {r["flow_id"] for r in rows.values() if r["needs_attention"]} == {uid("bf2"), uid("bf8")}
    assert {r["flow_id"] for r in rows.values() if r["is_top_performer"]} == {
        uid("bf1"), uid("bf8"), uid("bf2")}


def test_flow_quality_never_matched_flow_of_another_account(built):
    nf1 = flows(built, NEW_YORK, "90d")[uid("nf1")]
    assert (nf1["usage_count"], nf1["last_matched_at"], nf1["quality_score"]) == (0, None, 0.0)
    assert (nf1["is_top_performer"], nf1["needs_attention"], nf1["quality_rank"]) == (
        False, False, 1)


# -- the session time zone does not matter ---------------------------------------------

def test_build_does_not_depend_on_the_session_time_zone(built):
    before = built.rows(f"{MARTS}.fct_mttr_trend", order_by="account_id, period, resolved_date")
    saved = built.env
    built.env = dict(saved, PGTZ="Pacific/Kiritimati")  # UTC+14
    try:
        built.dbt("run", "--select", "int_sessions_windowed+", "--vars", f'{{"as_of": "{AS_OF}"}}')
    finally:
        built.env = saved
    after = built.rows(f"{MARTS}.fct_mttr_trend", order_by="account_id, period, resolved_date")
    assert after == before
