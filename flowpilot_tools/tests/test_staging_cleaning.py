"""Staging and the as-of layer on hand-written dirty rows (METRICS.md sections 1-3)."""

from __future__ import annotations

import pytest

from flowpilot_tools.tests.scenario import INTERMEDIATE, MARTS, STAGING, ts, uid

AS_OF = "2026-04-27T15:25:46+00:00"
LATER = ts("2026-01-02 00:00")


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("staging")
    s.insert("accounts", [
        {"id": "acme", "name": "Acme old", "timezone": "UTC", "_loaded_at": ts("2026-01-01")},
        {"id": "acme", "name": "Acme", "timezone": " Europe/Berlin ", "_loaded_at": LATER},
        {"id": "wrongcase", "timezone": "europe/berlin"},
        {"id": "unknown_tz", "timezone": "Mars/Olympus_Mons"},
        {"id": "blank_tz", "timezone": "   "},
        {"id": "null_tz", "timezone": None},
        {"id": "future", "timezone": "UTC", "created_at": ts("2026-04-27 15:25:46.000001")},
    ])
    s.insert("users", [
        {"id": "u1", "account_id": "acme", "email": "a@b.c", "full_name": "A B", "role": " Admin "},
    ])
    s.insert("ai_sessions", [
        # Two versions: the later one wins.
        {"id": "s1", "account_id": "acme", "status": "active", "created_at": ts("2026-04-20 10:00"),
         "_loaded_at": ts("2026-04-20 10:05")},
        {"id": "s1", "account_id": "acme", "status": "  RESOLVED ", "problem_domain": " Network ",
         "confidence_tier": "Guided", "psa_ticket_id": " CW-1 ", "session_rating": 5,
         "problem_description": "secret", "created_at": ts("2026-04-20 10:00"),
         "resolved_at": ts("2026-04-20 10:30"), "_loaded_at": ts("2026-04-20 11:00")},
        {"id": "s2", "account_id": "orphan_account", "status": "", "problem_domain": "  ",
         "confidence_tier": "", "psa_ticket_id": "  ", "session_rating": 0,
         "created_at": ts("2026-04-21 10:00")},
        {"id": "s3", "account_id": "acme", "status": "escalated", "session_rating": 6,
         "problem_domain": "EMAIL", "psa_ticket_id": "", "created_at": ts("2026-04-22 10:00"),
         "resolved_at": ts("2026-04-27 15:25:47")},
        {"id": "s4", "account_id": "acme", "status": "resolved", "session_rating": 1,
         "created_at": ts("2026-04-27 15:25:46"), "resolved_at": ts("2026-04-27 15:25:46")},
        {"id": "s5", "account_id": "future_only", "status": "active",
         "created_at": ts("2026-04-27 15:25:46.000001")},
    ])
    s.insert("session_handoffs", [
        {"id": "h1", "session_id": "s3", "account_id": "handoff_only", "status": " Claimed",
         "reason": "secret", "created_at": ts("2026-04-22 10:00"),
         "claimed_at": ts("2026-04-27 15:25:47")},
    ])
    s.insert("psa_activity_logs", [
        {"id": "a1", "account_id": "acme", "activity_type": "TIME_ENTRY_POSTED ",
         "hours_logged": None, "created_at": ts("2026-04-21 10:00")},
        {"id": "a2", "account_id": "acme", "activity_type": "time_entry_posted",
         "hours_logged": 1.25, "created_at": ts("2026-04-21 10:00")},
    ])
    s.insert("psa_post_logs", [
        {"id": "p1", "ai_session_id": "s1", "psa_ticket_id": " ", "status": "Success",
         "error_message": "secret", "posted_at": ts("2026-04-21 10:00")},
    ])
    s.insert("trees", [
        {"id": "f1", "account_id": "acme", "tree_type": " Procedure", "origin": "AI_GENERATED",
         "deleted_at": ts("2026-04-27 15:25:47")},
    ])
    s.insert("tree_categories", [{"id": "c1", "name": "  Network  "}, {"id": "c2", "name": " "}])
    s.build(AS_OF)
    return s


def test_latest_version_of_each_id_wins(built):
    account = built.one(f"{STAGING}.stg_flowpilot__accounts", f"account_id = '{uid('acme')}'")
    assert account["account_name"] == "Acme"
    session = built.one(f"{STAGING}.stg_flowpilot__ai_sessions", f"session_id = '{uid('s1')}'")
    assert session["status"] == "resolved"


def test_time_zone_is_trimmed_case_sensitive_and_defaults_to_utc(built):
    zones = {
        row["account_id"]: (row["timezone"], row["has_valid_timezone"])
        for row in built.rows(f"{STAGING}.stg_flowpilot__accounts")
    }
    assert zones[uid("acme")] == ("Europe/Berlin", True)
    for name in ("wrongcase", "unknown_tz", "blank_tz", "null_tz"):
        assert zones[uid(name)] == ("UTC", False), name


def test_the_pinned_time_zone_list_is_checked_against_the_server(built):
    """The seed time_zone_names equals this server's pg_timezone_names (the warn-level test
    passes); a name the server does not know, pinned, is reported by name."""
    seed = "flowpilot_seeds.time_zone_names"
    assert built.query(f"select count(*) as n from {seed}")[0]["n"] > 500
    test = ["test", "--select", "assert_time_zone_names_match_the_server"]
    assert "PASS assert_time_zone_names_match_the_server" in built.dbt(*test)
    built.query(f"insert into {seed} values ('Mars/Olympus_Mons') returning time_zone_name")
    try:
        output = built.dbt(*test)
    finally:
        built.query(f"delete from {seed} where time_zone_name = 'Mars/Olympus_Mons' "
                    "returning time_zone_name")
    assert "WARN 1 assert_time_zone_names_match_the_server" in output


def test_codes_domains_tickets_and_ratings_are_cleaned(built):
    by_id = {r["session_id"]: r for r in built.rows(f"{STAGING}.stg_flowpilot__ai_sessions")}
    s1, s2, s3 = by_id[uid("s1")], by_id[uid("s2")], by_id[uid("s3")]
    assert (s1["status"], s1["problem_domain"], s1["confidence_tier"]) == ("resolved", "network", "guided")
    assert (s1["psa_ticket_id"], s1["is_linked_to_ticket"], s1["session_rating"]) == ("CW-1", True, 5)
    assert (s2["status"], s2["problem_domain"], s2["confidence_tier"]) == (None, None, None)
    assert (s2["psa_ticket_id"], s2["is_linked_to_ticket"], s2["session_rating"]) == (None, False, None)
    assert (s3["problem_domain"], s3["is_linked_to_ticket"], s3["session_rating"]) == ("email", False, None)
    flow = built.one(f"{STAGING}.stg_flowpilot__trees", f"flow_id = '{uid('f1')}'")
    assert (flow["tree_type"], flow["origin"]) == ("procedure", "ai_generated")
    domains = {r["category_id"]: r["category_domain"] for r in built.rows(f"{STAGING}.stg_flowpilot__tree_categories")}
    assert domains == {uid("c1"): "network", uid("c2"): None}
    handoff = built.one(f"{STAGING}.stg_flowpilot__session_handoffs", f"handoff_id = '{uid('h1')}'")
    assert handoff["status"] == "claimed"
    push = built.one(f"{STAGING}.stg_flowpilot__psa_post_logs", f"push_id = '{uid('p1')}'")
    assert (push["status"], push["psa_ticket_id"]) == ("success", None)


def test_null_hours_count_as_zero(built):
    hours = {r["activity_id"]: (float(r["hours_logged"]), r["activity_type"])
             for r in built.rows(f"{STAGING}.stg_flowpilot__psa_activity_logs")}
    assert hours == {uid("a1"): (0.0, "time_entry_posted"), uid("a2"): (1.25, "time_entry_posted")}


def test_personal_data_never_leaves_staging_sources(built):
    found = built.query(
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema like 'flowpilot%%'
          and column_name in ('email', 'full_name', 'problem_description', 'content', 'reason',
                              'error_message')
        """
    )
    assert found == []


def test_as_of_removes_later_rows_and_nulls_later_events(built):
    sessions = {r["session_id"]: r for r in built.rows(f"{INTERMEDIATE}.int_sessions_as_of")}
    assert uid("s5") not in sessions  # created a microsecond after as_of
    assert sessions[uid("s4")]["resolved_at"] == ts("2026-04-27 15:25:46")  # exactly at as_of
    assert sessions[uid("s3")]["resolved_at"] is None  # a second after as_of
    handoff = built.one(f"{INTERMEDIATE}.int_handoffs_as_of", f"handoff_id = '{uid('h1')}'")
    assert handoff["claimed_at"] is None
    flow = built.one(f"{INTERMEDIATE}.int_flows_as_of", f"flow_id = '{uid('f1')}'")
    assert (flow["deleted_at"], flow["is_live"]) == (None, True)
    accounts = {r["account_id"] for r in built.rows(f"{INTERMEDIATE}.int_accounts_as_of")}
    assert uid("future") not in accounts


def test_accounts_include_ids_seen_only_in_activity(built):
    accounts = {r["account_id"]: r for r in built.rows(f"{MARTS}.dim_accounts")}
    assert accounts[uid("orphan_account")]["is_known_account"] is False
    assert accounts[uid("orphan_account")]["timezone"] == "UTC"
    assert accounts[uid("orphan_account")]["account_name"] is None
    assert accounts[uid("handoff_only")]["is_known_account"] is False
    assert accounts[uid("acme")]["timezone"] == "Europe/Berlin"
    assert uid("future_only") not in accounts  # its only session is after as_of
    assert uid("future") not in accounts
    assert len(accounts) == 7


def test_every_account_has_every_period(built):
    spine = built.query(
        f"select period, count(*) as n, min(period_start) as start, max(as_of) as as_of "
        f"from {INTERMEDIATE}.int_account_periods_spined group by period order by period"
    )
    assert [(r["period"], r["n"]) for r in spine] == [("30d", 7), ("7d", 7), ("90d", 7)]
    starts = {r["period"]: r["start"] for r in spine}
    assert starts["7d"] == ts("2026-04-20 15:25:46")
    assert all(r["as_of"] == ts("2026-04-27 15:25:46") for r in spine)
