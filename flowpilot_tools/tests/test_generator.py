"""The synthetic data generator: deterministic, and dirty in every way METRICS.md names."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from flowpilot_tools.generate import COLUMNS, Scale, generate_accounts

SCALE = Scale(accounts=8, days=30, sessions_per_day=10.0, seed=3)
AS_OF_TEXT = "2026-04-27 15:25:46"


def _rows(scale: Scale) -> dict[str, list[dict[str, str | None]]]:
    tables: dict[str, list[dict[str, str | None]]] = {table: [] for table in COLUMNS}
    for account in generate_accounts(scale, range(scale.accounts)):
        for table, lines in account.items():
            for line in lines:
                values = [None if v == r"\N" else v for v in line.rstrip("\n").split("\t")]
                assert len(values) == len(COLUMNS[table]), (table, line)
                tables[table].append(dict(zip(COLUMNS[table], values)))
    return tables


@pytest.fixture(scope="module")
def data():
    return _rows(SCALE)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("+00", "+00:00"))


AS_OF = _instant(AS_OF_TEXT + "+00")


def test_same_seed_same_rows_other_seed_other_rows(data):
    assert _rows(SCALE) == data
    other = _rows(Scale(accounts=8, days=30, sessions_per_day=10.0, seed=4))
    assert other["ai_sessions"] != data["ai_sessions"]


def test_volumes_are_realistic(data):
    sessions = {r["id"] for r in data["ai_sessions"]}
    steps = len(data["ai_session_steps"])
    handoffs = {r["id"] for r in data["session_handoffs"]}
    assert 5 < steps / len(sessions) < 14
    assert 0.2 < len(handoffs) / len(sessions) < 0.45


def test_replayed_rows_carry_a_later_loaded_at(data):
    for table in ("ai_sessions", "ai_session_steps", "session_handoffs"):
        versions = Counter(r["id"] for r in data[table])
        assert any(n > 1 for n in versions.values()), table
    updated = {}
    for row in data["ai_sessions"]:
        updated.setdefault(row["id"], []).append(row)
    changed = [rows for rows in updated.values()
               if len(rows) > 1 and len({r["status"] for r in rows}) > 1]
    assert changed, "some replays are real updates"
    for rows in changed:
        latest = max(rows, key=lambda r: _instant(r["_loaded_at"]))
        assert latest["status"].strip().lower() == "resolved"


def test_every_dirty_case_occurs(data):
    sessions, accounts = data["ai_sessions"], data["accounts"]
    statuses = {r["status"] for r in sessions}
    assert any(s != s.strip().lower() for s in statuses), "stray case and spaces in codes"
    assert any(r["problem_domain"] is not None and not r["problem_domain"].strip() for r in sessions)
    assert any(r["psa_ticket_id"] is not None and not r["psa_ticket_id"].strip() for r in sessions)
    assert any(r["session_rating"] in ("0", "6", "9", "-1") for r in sessions)
    assert any(r["resolved_at"] and _instant(r["resolved_at"]) < _instant(r["created_at"])
               for r in sessions), "clock drift"
    assert any(_instant(r["created_at"]) > AS_OF for r in sessions), "rows after as_of"
    session_ids = {r["id"] for r in sessions}
    assert any(r["session_id"] not in session_ids for r in data["ai_session_steps"]), "dangling"
    account_ids = {r["id"] for r in accounts}
    referenced = {r["account_id"] for table in ("ai_sessions", "session_handoffs",
                                                "psa_activity_logs") for r in data[table]}
    assert referenced - account_ids, "accounts named by activity but missing from raw.accounts"


def test_invalid_and_missing_time_zones_at_a_larger_scale():
    zones = Counter(r["timezone"] for r in _rows(Scale(accounts=60, days=1, seed=5))["accounts"])
    assert zones[None] + zones[""] > 0
    assert zones["Mars/Olympus_Mons"] + zones["america/new_york"] > 0
