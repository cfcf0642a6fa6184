"""fct_escalation_metrics and int_handoffs_first_action_joined on hand-written raw rows.

The endpoint's own test list (happy path, zero data, claimed-but-no-action, window filtering,
several handoffs on one session, tenant isolation), the as-of and cleaning cases of
METRICS.md, the percentile index rule at n = 1, 2, 20, 21, 31 and the unclaimed backlog.
Every expected number is computed by hand in the comments next to it.

as_of 2026-04-27 15:25:46 UTC; period starts: 7d 2026-04-20 15:25:46, 30d 2026-03-28 15:25:46,
90d 2026-01-27 15:25:46.
"""

from __future__ import annotations

import datetime as dt

import pytest

from flowpilot_tools.project import PERIODS
from flowpilot_tools.tests.scenario import INTERMEDIATE, MARTS, ts, uid

AS_OF = "2026-04-27T15:25:46+00:00"
AS_OF_TS = ts("2026-04-27 15:25:46")
MART = f"{MARTS}.fct_escalation_metrics"
JOINED = f"{INTERMEDIATE}.int_handoffs_first_action_joined"
PERCENTILE_SIZES = (1, 2, 20, 21, 31)


def handoff(name: str, session: str, created: str, claimed: str | None, status: str | None = "claimed",
            account: str = "acme", **more) -> dict:
    return {"id": name, "session_id": session, "account_id": account, "status": status,
            "reason": "secret", "created_at": ts(created),
            "claimed_at": None if claimed is None else ts(claimed), **more}


def steps(session: str, *instants: str) -> list[dict]:
    return [{"session_id": session, "step_number": n, "step_type": "action", "content": "secret",
             "created_at": ts(at)} for n, at in enumerate(instants, start=1)]


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("escalations")
    s.insert("accounts", [{"id": name, "name": name, "timezone": "Europe/Berlin"}
                          for name in ("acme", "other", "quiet", "idle")])
    s.insert("ai_sessions", [
        {"id": f"s{n}", "account_id": "acme", "status": "escalated",
         "created_at": ts("2025-12-30 00:00")}
        for n in range(1, 18)
    ])
    s.insert("session_handoffs", [
        # 7d, with actions: 60, 120 (the step exactly at the claim is no action), 300 (claim
        # exactly at period_start), 30 and 45 (two handoffs on one session).
        handoff("happy1", "s1", "2026-04-25 10:00", "2026-04-25 10:05"),
        handoff("happy2", "s2", "2026-04-26 09:00", "2026-04-26 09:10", status=" Resolved"),
        handoff("at_start", "s4", "2026-04-20 15:00", "2026-04-20 15:25:46"),
        handoff("multi_a", "s7", "2026-04-22 07:55", "2026-04-22 08:00"),
        handoff("multi_b", "s7", "2026-04-22 08:55", "2026-04-22 09:00"),
        # 7d, claimed without an action: only an earlier step; claim exactly at as_of (its only
        # later step is after as_of); a step a microsecond after as_of.
        handoff("noaction", "s3", "2026-04-24 11:00", "2026-04-24 12:00"),
        handoff("at_as_of", "s6", "2026-04-27 15:00", "2026-04-27 15:25:46"),
        handoff("late_step", "s9", "2026-04-27 14:00", "2026-04-27 15:00"),
        # A microsecond before the 7d period_start: 30d and 90d only; 630 s.
        handoff("before_start", "s5", "2026-04-20 15:00", "2026-04-20 15:25:45.999999"),
        # Claimed after as_of: unclaimed at as_of, aged 15:25:46 - 15:00 = 1546 s.
        handoff("late_claim", "s8", "2026-04-27 15:00", "2026-04-27 15:30"),
        # Two versions: first landed pending, then claimed. Only the latest counts: 90 s.
        handoff("replayed", "s10", "2026-04-23 09:55", None, status="pending",
                _loaded_at=ts("2026-04-23 09:56")),
        handoff("replayed", "s10", "2026-04-23 09:55", "2026-04-23 10:00",
                _loaded_at=ts("2026-04-23 10:01")),
        # Bad input: the session does not exist (10 s); claimed before it was created (20 s).
        handoff("ghost", "ghost_session", "2026-04-21 09:55", "2026-04-21 10:00"),
        handoff("claim_before_create", "s11", "2026-04-21 12:00", "2026-04-21 11:00"),
        # 90d only (3600 s); before every window.
        handoff("old_claim", "s12", "2026-03-01 09:00", "2026-03-01 10:00", status="resolved"),
        handoff("ancient", "s13", "2025-12-31 00:00", "2026-01-01 00:00", status="resolved"),
        # The backlog: pending 1 day, cancelled (left out), null status 2 days, pending 17 days
        # (30d and 90d only), and one created a microsecond after as_of (does not exist).
        handoff("pending", "s14", "2026-04-26 15:25:46", None, status="pending"),
        handoff("cancelled", "s15", "2026-04-26 10:00", None, status=" Cancelled "),
        handoff("null_status", "s16", "2026-04-25 15:25:46", None, status=None),
        handoff("old_pending", "s17", "2026-04-10 15:25:46", None, status="pending"),
        handoff("future", "s18", "2026-04-27 15:25:46.000001", None, status="pending"),
        # Tenant isolation: another account's handoff on acme's session s1: 90 s, for "other".
        handoff("other_h", "s1", "2026-04-25 10:06", "2026-04-25 10:06:30", account="other"),
        # An account whose only handoff was claimed and never acted on.
        handoff("idle_h", "idle_session", "2026-04-26 10:00", "2026-04-26 10:01", account="idle"),
        # Window edges: claims exactly at the 7d period_start and at as_of are in, a microsecond
        # before period_start is out; the same for the creation instant of unclaimed handoffs.
        handoff("edge_start", "edge_s", "2026-04-20 15:00", "2026-04-20 15:25:46", account="edge"),
        handoff("edge_as_of", "edge_s", "2026-04-27 15:00", "2026-04-27 15:25:46", account="edge"),
        handoff("edge_before", "edge_s", "2026-04-20 15:00", "2026-04-20 15:25:45.999999",
                account="edge"),
        handoff("edge_pending_start", "edge_s", "2026-04-20 15:25:46", None, status="pending",
                account="edge"),
        handoff("edge_pending_before", "edge_s", "2026-04-20 15:25:45.999999", None,
                status="pending", account="edge"),
    ])
    s.insert("ai_session_steps", [
        *steps("s1", "2026-04-25 10:04", "2026-04-25 10:06", "2026-04-25 10:08"),
        *steps("s2", "2026-04-26 09:10", "2026-04-26 09:12"),
        *steps("s3", "2026-04-24 11:59"),
        *steps("s4", "2026-04-20 15:30:46"),
        *steps("s5", "2026-04-20 15:36:15.999999"),
        *steps("s6", "2026-04-27 15:25:46", "2026-04-27 15:25:47"),
        *steps("s7", "2026-04-22 08:00:30", "2026-04-22 08:30", "2026-04-22 09:00:45"),
        *steps("s8", "2026-04-27 15:31"),
        *steps("s9", "2026-04-27 15:25:46.000001"),
        *steps("s10", "2026-04-23 10:01:30"),
        *steps("ghost_session", "2026-04-21 10:00:10"),
        *steps("s11", "2026-04-21 11:00:20"),
        *steps("s12", "2026-03-01 11:00"),
        *steps("s13", "2026-01-01 00:01"),
    ])
    # Percentile accounts pct<n>: n claimed handoffs with first actions after i * i seconds and
    # n pending handoffs aged i * i seconds, i = 1..n.
    for n in PERCENTILE_SIZES:
        account = f"pct{n}"
        rows, acts = [], []
        for i in range(1, n + 1):
            claimed = ts("2026-04-26 00:00") + dt.timedelta(minutes=i)
            rows.append({"id": f"{account}_claimed_{i}", "session_id": f"{account}_s{i}",
                         "account_id": account, "status": "claimed",
                         "created_at": claimed - dt.timedelta(minutes=1), "claimed_at": claimed})
            rows.append({"id": f"{account}_pending_{i}", "session_id": f"{account}_s{i}",
                         "account_id": account, "status": "pending",
                         "created_at": AS_OF_TS - dt.timedelta(seconds=i * i)})
            acts.append({"session_id": f"{account}_s{i}",
                         "created_at": claimed + dt.timedelta(seconds=i * i)})
        s.insert("session_handoffs", rows)
        s.insert("ai_session_steps", acts)
    s.build(AS_OF)
    return s


def metrics(built, account: str, period: str) -> dict:
    return built.one(MART, f"account_id = '{uid(account)}' and period = '{period}'")


def joined(built, name: str) -> dict:
    return built.one(JOINED, f"handoff_id = '{uid(name)}'")


# -- the intermediate model: one row per handoff ---------------------------------------------

def test_first_action_is_the_earliest_step_strictly_after_the_claim(built):
    expected = {"happy1": 60, "happy2": 120, "at_start": 300, "multi_a": 30, "multi_b": 45,
                "before_start": 630, "replayed": 90, "ghost": 10, "claim_before_create": 20,
                "old_claim": 3600, "ancient": 60, "other_h": 90}
    for name, seconds in expected.items():
        row = joined(built, name)
        assert row["seconds_to_first_action"] == seconds, name
        assert row["first_action_at"] - row["claimed_at"] == dt.timedelta(seconds=seconds), name


def test_a_step_exactly_at_the_claim_is_not_a_first_action(built):
    assert joined(built, "happy2")["first_action_at"] == ts("2026-04-26 09:12")
    # s6: the only step not after as_of is exactly at the claim.
    row = joined(built, "at_as_of")
    assert (row["claimed_at"], row["first_action_at"]) == (AS_OF_TS, None)


def test_steps_and_claims_after_as_of_do_not_exist(built):
    late_step = joined(built, "late_step")
    assert (late_step["first_action_at"], late_step["seconds_to_first_action"]) == (None, None)
    late_claim = joined(built, "late_claim")
    assert (late_claim["claimed_at"], late_claim["first_action_at"]) == (None, None)
    assert built.rows(JOINED, f"handoff_id = '{uid('future')}'") == []


def test_unclaimed_and_unacted_handoffs_have_no_first_action(built):
    for name in ("noaction", "pending", "cancelled", "null_status", "idle_h"):
        row = joined(built, name)
        assert (row["first_action_at"], row["seconds_to_first_action"]) == (None, None), name


def test_bad_input_is_kept_as_it_is(built):
    ghost = joined(built, "ghost")
    assert (ghost["account_id"], ghost["session_id"]) == (uid("acme"), uid("ghost_session"))
    early = joined(built, "claim_before_create")
    assert early["claimed_at"] < early["created_at"]
    assert joined(built, "cancelled")["status"] == "cancelled"
    assert joined(built, "happy2")["status"] == "resolved"


def test_replayed_handoff_is_one_row_in_its_latest_version(built):
    row = joined(built, "replayed")
    assert (row["status"], row["claimed_at"]) == ("claimed", ts("2026-04-23 10:00"))


def test_every_handoff_as_of_is_one_row(built):
    # 27 distinct hand-written handoffs ("replayed" has two versions) minus "future", created
    # after as_of; plus two per i in each percentile account.
    expected = 26 + 2 * sum(PERCENTILE_SIZES)
    assert built.query(f"select count(*) as n from {JOINED}")[0]["n"] == expected


# -- the mart ---------------------------------------------------------------------------------

def test_one_row_per_account_and_period(built):
    rows = built.query(f"select account_id, period from {MART}")
    accounts = {r["account_id"] for r in built.rows(f"{MARTS}.dim_accounts")}
    assert len(rows) == len({(r["account_id"], r["period"]) for r in rows}) == 3 * len(accounts)
    # acme, other, quiet, idle (raw.accounts), edge and 5 percentile accounts (only handoffs).
    assert len(accounts) == 10


def test_happy_path_7d(built):
    row = metrics(built, "acme", "7d")
    # Claimed in 7d: happy1, happy2, at_start, multi_a, multi_b, noaction, at_as_of, late_step,
    # replayed, ghost, claim_before_create = 11; with an action: 8 of them.
    assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (11, 8)
    # 10, 20, 30, 45, 60, 90, 120, 300: mean 675 / 8; median (45 + 60) / 2;
    # p95 index round_half_even(0.95 * 7 = 6.65) = 7 -> 300.
    assert row["avg_seconds_to_first_action"] == pytest.approx(84.375)
    assert row["median_seconds_to_first_action"] == 52.5
    assert row["p95_seconds_to_first_action"] == 300
    assert (row["period_start"], row["as_of"]) == (ts("2026-04-20 15:25:46"), AS_OF_TS)


def test_window_filtering_30d_and_90d(built):
    # 30d adds before_start (630 s, a microsecond before the 7d start): 12 claimed, 9 with an
    # action; mean 1305 / 9 = 145; median the 5th value, 60; p95 index 0.95 * 8 = 7.6 -> 8 -> 630.
    row = metrics(built, "acme", "30d")
    assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (12, 9)
    assert row["avg_seconds_to_first_action"] == pytest.approx(145.0)
    assert (row["median_seconds_to_first_action"], row["p95_seconds_to_first_action"]) == (60, 630)
    # 90d adds old_claim (3600 s); "ancient" is before every window. Mean 4905 / 10 = 490.5;
    # median (60 + 90) / 2 = 75; p95 index 0.95 * 9 = 8.55 -> 9 -> 3600.
    row = metrics(built, "acme", "90d")
    assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (13, 10)
    assert row["avg_seconds_to_first_action"] == pytest.approx(490.5)
    assert (row["median_seconds_to_first_action"], row["p95_seconds_to_first_action"]) == (75, 3600)


def test_window_edges_are_closed(built):
    # 7d: edge_start and edge_as_of claimed in (no steps: no action); edge_before out. Backlog:
    # edge_pending_start in, aged exactly 7 days; edge_pending_before out.
    row = metrics(built, "edge", "7d")
    assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (2, 0)
    assert (row["n_handoffs_unclaimed"], row["p95_seconds_unclaimed_age"]) == (1, 604800)
    # 30d holds all five; backlog ages 604800 and 604800.000001, p95 index 0.95 -> 1.
    row = metrics(built, "edge", "30d")
    assert (row["n_handoffs_claimed"], row["n_handoffs_unclaimed"]) == (3, 2)
    assert row["p95_seconds_unclaimed_age"] == pytest.approx(604800.000001, abs=1e-7)


def test_zero_data_account_has_zero_counts_and_null_statistics(built):
    for period in PERIODS:
        row = metrics(built, "quiet", period)
        assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"], row["n_handoffs_unclaimed"]) \
            == (0, 0, 0)
        assert (row["avg_seconds_to_first_action"], row["median_seconds_to_first_action"],
                row["p95_seconds_to_first_action"], row["p95_seconds_unclaimed_age"]) \
            == (None, None, None, None)
        assert row["metric_definition"]


def test_claimed_but_no_action_counts_in_claimed_only(built):
    row = metrics(built, "idle", "7d")
    assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (1, 0)
    assert (row["avg_seconds_to_first_action"], row["p95_seconds_to_first_action"]) == (None, None)


def test_tenant_isolation(built):
    # other_h sits on acme's session s1 but belongs to "other": it counts there only.
    for period in PERIODS:
        row = metrics(built, "other", period)
        assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (1, 1)
        assert (row["avg_seconds_to_first_action"], row["median_seconds_to_first_action"],
                row["p95_seconds_to_first_action"]) == (90, 90, 90)
    assert metrics(built, "acme", "7d")["n_handoffs_claimed"] == 11


def test_unclaimed_backlog_excludes_cancelled(built):
    # 7d: late_claim (1546 s), pending (86400 s), null_status (172800 s); not cancelled, not
    # future, not replayed (its latest version is claimed). p95 index 0.95 * 2 = 1.9 -> 2.
    row = metrics(built, "acme", "7d")
    assert (row["n_handoffs_unclaimed"], row["p95_seconds_unclaimed_age"]) == (3, 172800)
    # 30d and 90d add old_pending (17 days = 1468800 s): index 0.95 * 3 = 2.85 -> 3.
    for period in ("30d", "90d"):
        row = metrics(built, "acme", period)
        assert (row["n_handoffs_unclaimed"], row["p95_seconds_unclaimed_age"]) == (4, 1468800)
    assert metrics(built, "other", "7d")["n_handoffs_unclaimed"] == 0


# Sorted values (k + 1)^2 at 0-based index k. p95 index round_half_even(0.95 * (n - 1)):
# n=1: 0 -> 1; n=2: 0.95 -> 1 -> 4; n=20: 18.05 -> 18 -> 361; n=21: 19.0 -> 19 -> 400;
# n=31: 28.5 -> 28 (ties to even) -> 841. Median: 1; (1 + 4) / 2; (10^2 + 11^2) / 2; 11^2; 16^2.
# Mean of i^2 for i = 1..n is (n + 1)(2n + 1) / 6.
@pytest.mark.parametrize(
    ("n", "p95", "median", "mean"),
    [(1, 1, 1, 1), (2, 4, 2.5, 2.5), (20, 361, 110.5, 143.5), (21, 400, 121, 22 * 43 / 6),
     (31, 841, 256, 336)],
)
def test_percentiles_follow_the_endpoint_index_rule(built, n, p95, median, mean):
    row = metrics(built, f"pct{n}", "7d")
    assert (row["n_handoffs_claimed"], row["n_handoffs_with_action"]) == (n, n)
    assert row["p95_seconds_to_first_action"] == p95
    assert row["median_seconds_to_first_action"] == median
    assert row["avg_seconds_to_first_action"] == pytest.approx(mean)
    assert (row["n_handoffs_unclaimed"], row["p95_seconds_unclaimed_age"]) == (n, p95)


def test_metric_definition_disclaims_minutes_recovered(built):
    texts = built.query(f"select distinct metric_definition from {MART}")
    assert len(texts) == 1
    assert '"minutes recovered"' in texts[0]["metric_definition"]
    assert "baseline" in texts[0]["metric_definition"]


def test_mart_contract_and_index(built):
    columns = built.query(
        """
        select column_name, data_type from information_schema.columns
        where table_schema = %s and table_name = 'fct_escalation_metrics'
        order by ordinal_position
        """,
        (MARTS,),
    )
    assert [(c["column_name"], c["data_type"]) for c in columns] == [
        ("account_id", "uuid"), ("period", "text"),
        ("period_start", "timestamp with time zone"), ("as_of", "timestamp with time zone"),
        ("n_handoffs_claimed", "bigint"), ("n_handoffs_with_action", "bigint"),
        ("avg_seconds_to_first_action", "double precision"),
        ("median_seconds_to_first_action", "double precision"),
        ("p95_seconds_to_first_action", "double precision"),
        ("metric_definition", "text"), ("n_handoffs_unclaimed", "bigint"),
        ("p95_seconds_unclaimed_age", "double precision"),
    ]
    indexes = built.query(
        "select indexdef from pg_indexes where schemaname = %s and tablename = 'fct_escalation_metrics'",
        (MARTS,),
    )
    assert any("(account_id, period)" in i["indexdef"] for i in indexes)
