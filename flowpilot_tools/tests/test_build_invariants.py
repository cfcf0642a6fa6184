"""Properties of the whole build on generated dirty data: vars, time zones, determinism."""

from __future__ import annotations

import datetime as dt

import pytest

from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import MARTS, BuildFailed

AS_OF = "2026-04-27T15:25:46+00:00"
SMALL = Scale(accounts=6, days=95, sessions_per_day=5.0, seed=7,
              as_of=dt.datetime.fromisoformat(AS_OF))


@pytest.fixture(scope="module")
def generated(scenario_factory):
    scenario = scenario_factory("invariants")
    scenario.load_generated(SMALL)
    return scenario


@pytest.mark.parametrize(
    "bad",
    [
        "2026-01-01'; drop table raw.accounts; --",
        "2026-04-27T15:25:46",  # no offset: would be read in the session's time zone
        "2026-02-30T00:00:00Z",
        "yesterday",
    ],
)
def test_malformed_as_of_fails_before_any_sql_naming_the_var(generated, bad):
    with pytest.raises(BuildFailed) as failure:
        generated.build(bad)
    message = str(failure.value)
    assert "dbt var 'as_of'" in message and "ISO-8601" in message
    assert generated.query("select count(*) as n from raw.accounts")[0]["n"] > 0
    assert generated.query(
        "select count(*) as n from information_schema.tables where table_schema like 'flowpilot%%'"
    )[0]["n"] == 0, "no model may have been built"


def test_build_does_not_depend_on_the_session_time_zone(generated):
    generated.build(AS_OF, env={"PGTZ": "Pacific/Chatham"})
    chatham = generated.snapshot()
    generated.build(AS_OF, env={"PGTZ": "America/Los_Angeles"})
    los_angeles = generated.snapshot()
    assert chatham.keys() == los_angeles.keys()
    assert f"{MARTS}.dim_accounts" in chatham
    for table in chatham:
        assert chatham[table] == los_angeles[table], table


def test_same_instant_in_another_offset_gives_the_same_marts(generated):
    generated.build(AS_OF)
    utc = generated.snapshot([MARTS])
    generated.build("2026-04-27T20:55:46+05:30")
    kolkata = generated.snapshot([MARTS])
    assert utc == kolkata
