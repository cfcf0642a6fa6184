"""The analyses (analyses/*_endpoint.sql): they compile from validated vars only, compiling
them has no side effect on the server, and the compiled SQL runs against the built marts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowpilot_tools import PROJECT_ROOT, warehouse
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import BuildFailed, ts

AS_OF = "2026-04-27T15:25:46+00:00"
SCALE = Scale(accounts=3, days=35, sessions_per_day=3.0, seed=11, as_of=ts("2026-04-27 15:25:46"))
ANALYSES = sorted(path.stem for path in (PROJECT_ROOT / "analyses").glob("*_endpoint.sql"))


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("analyses")
    s.load_generated(SCALE)
    s.build(AS_OF)
    return s


@pytest.fixture(scope="module")
def account_id(built) -> str:
    return str(built.query("select account_id from flowpilot_marts.dim_accounts "
                           "order by account_id limit 1")[0]["account_id"])


def compile_analysis(scenario, name: str, **variables: str) -> str:
    scenario.dbt("compile", "--select", name,
                 "--vars", json.dumps({"as_of": AS_OF, **variables}))
    compiled = Path(scenario.target_path, "compiled", "flowpilot_metrics", "analyses",
                    f"{name}.sql")
    return compiled.read_text()


def test_every_endpoint_analysis_is_covered():
    assert ANALYSES == ["coverage_endpoint", "dashboard_endpoint", "escalations_endpoint",
                        "flow_quality_endpoint", "psa_metrics_endpoint"]


@pytest.mark.parametrize("name", ANALYSES)
def test_an_analysis_compiles_and_answers_for_an_account(built, account_id, name):
    text = compile_analysis(built, name, account_id=account_id.upper(), period="7d")
    assert account_id in text and "'7d'" in text  # the validated, normalised values
    with warehouse.connect(built.env) as conn:
        rows = conn.execute(text).fetchall()
    assert len(rows) == 1


BAD_ACCOUNT = ({"account_id": "x'; drop table raw.accounts; --"},
               "dbt var 'account_id' is not a UUID")
BAD_PERIOD = ({"period": "7d' or '1' = '1"}, "dbt var 'period' is not a period")
UNKNOWN_PERIOD = ({"period": "14d"}, "dbt var 'period' must be one of 7d, 30d, 90d")


@pytest.mark.parametrize(("name", "variables", "message"), [
    ("coverage_endpoint", *BAD_ACCOUNT),
    ("dashboard_endpoint", *BAD_PERIOD),
    ("escalations_endpoint", *BAD_ACCOUNT),
    ("escalations_endpoint", *UNKNOWN_PERIOD),
    ("flow_quality_endpoint", *UNKNOWN_PERIOD),
    ("psa_metrics_endpoint", *BAD_PERIOD),
])
def test_an_analysis_refuses_a_bad_var(built, name, variables, message):
    with pytest.raises(BuildFailed) as failed:
        compile_analysis(built, name, **variables)
    assert message in str(failed.value)


def test_compiling_sends_no_role_or_grant_but_a_build_does(built):
    """Roles and grants are side effects of builds only: compile and docs generate never
    create a role or grant (so compiling an analysis needs no CREATEROLE)."""
    for command in (["compile", "--select", "dashboard_endpoint"],
                    ["docs", "generate", "--no-compile"]):
        output = built.dbt("--debug", *command, "--vars", json.dumps({"as_of": AS_OF})).lower()
        assert "create role" not in output and "grant usage" not in output, command
    output = built.dbt("--debug", "run", "--select", "dim_accounts",
                       "--vars", json.dumps({"as_of": AS_OF})).lower()
    assert "create role" in output and "grant usage" in output  # the check would see them
