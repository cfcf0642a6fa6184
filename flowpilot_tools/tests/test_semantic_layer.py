"""The semantic layer (MetricFlow over the fact marts) against the period marts.

On generated dirty data (duplicates, case and blank noise, invalid ratings, clock drift, rows
after as_of), built once for the module: for every account and every period, MetricFlow
restricted to the period's window (`period_start <= anchor <= as_of`, filtered on the UTC
instant at microsecond grain) returns the period mart's numbers; the fact marts add up to the
period marts (the dbt data test, which must also fail when a fact is wrong); unknown names get
MetricFlow's error, a query without rows an empty result; the facts are secured like the marts;
the docs site loads nothing from another host.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from flowpilot_tools import PROJECT_ROOT, docs, warehouse
from flowpilot_tools.dbt import run_mf, tool_env
from flowpilot_tools.generate import Scale
from flowpilot_tools.project import PERIODS
from flowpilot_tools.tests.scenario import FACTS, MARTS, ts

AS_OF = "2026-04-27T15:25:46+00:00"
SCALE = Scale(accounts=8, days=95, sessions_per_day=5.0, seed=11, as_of=ts("2026-04-27 15:25:46"))
# What the dbt project needs beside target/ (mf reads <project>/target/semantic_manifest.json).
PROJECT_ENTRIES = ["dbt_project.yml", "profiles.yml", "selectors.yml", "models", "macros",
                   "seeds", "tests", "analyses", "contract"]
# Means of the same rows summed in another order (or in minutes rather than seconds).
REL = 1e-12

# (anchor time dimension, mart, {metric: mart column}); counts are 0 and the rest null for an
# account without rows, as in the marts.
CHECKS = [
    ("session__created_at", "fct_session_metrics", {
        "total_sessions": "total_sessions",
        "resolved_sessions": "resolved_sessions",
        "escalated_sessions": "escalated_sessions",
        "abandoned_sessions": "abandoned_sessions",
        "unmapped_sessions": "unmapped_sessions",
        "resolution_rate": "resolution_rate",
        "mttr_minutes": "mttr_minutes",
        "avg_session_duration_minutes": "avg_session_duration_minutes",
        "avg_steps_to_resolution": "avg_steps_to_resolution",
        "avg_rating": "avg_rating",
    }),
    ("session__created_at", "fct_psa_funnel", {
        "linked_to_ticket": "linked_to_ticket",
        "ticket_link_rate": "ticket_link_rate",
        "cohort_doc_pushed": "cohort_doc_pushed",
        "cohort_time_entry_logged": "cohort_time_entry_logged",
    }),
    ("handoff__claimed_at", "fct_escalation_metrics", {
        "handoffs_claimed": "n_handoffs_claimed",
        "handoffs_with_action": "n_handoffs_with_action",
        "avg_seconds_to_first_action": "avg_seconds_to_first_action",
        "median_seconds_to_first_action": "median_seconds_to_first_action",
    }),
    ("handoff__created_at", "fct_escalation_metrics", {
        "handoffs_unclaimed": "n_handoffs_unclaimed",
    }),
    ("time_entry__created_at", "fct_psa_funnel", {
        "time_entries": "total_time_entries",
        "hours_logged": "total_hours_logged",
        "hours_per_time_entry": "avg_hours_per_time_entry",
        "time_entry_logged": "time_entry_logged",
    }),
    ("push__posted_at", "fct_psa_funnel", {
        "total_pushes": "total_pushes",
        "successful_pushes": "successful_pushes",
        "retry_successful_pushes": "retry_successful_pushes",
        "auto_push_success_rate": "auto_push_success_rate",
        "auto_push_retry_success_rate": "auto_push_retry_success_rate",
        "doc_pushed": "doc_pushed",
    }),
]
COUNT_COLUMNS = {"total_sessions", "resolved_sessions", "escalated_sessions",
                 "abandoned_sessions", "unmapped_sessions", "linked_to_ticket",
                 "cohort_doc_pushed", "cohort_time_entry_logged", "n_handoffs_claimed",
                 "n_handoffs_with_action", "n_handoffs_unclaimed", "total_time_entries",
                 "total_hours_logged", "time_entry_logged", "total_pushes", "successful_pushes",
                 "retry_successful_pushes", "doc_pushed"}


def window(anchor: str, start: str, end: str) -> list[str]:
    dimension = f"{{{{ TimeDimension('{anchor}', 'microsecond') }}}}"
    return [f"{dimension} >= '{start}'", f"{dimension} <= '{end}'"]


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("semantic")
    s.load_generated(SCALE)
    # An account without any activity: the marts have its rows (0 and null), MetricFlow none.
    s.insert("accounts", [{"id": "quiet_msp", "name": "Quiet MSP", "timezone": "Europe/Berlin"}])
    s.build(AS_OF, artifacts=True)  # MetricFlow reads its target/semantic_manifest.json
    return s


@pytest.fixture(scope="module")
def project_dir(built) -> Iterator[Path]:
    """The dbt project with the scenario's target/ (its semantic manifest names its database)."""
    with tempfile.TemporaryDirectory(prefix="fpt_mf_") as tmp:
        root = Path(tmp)
        for name in PROJECT_ENTRIES:
            if (PROJECT_ROOT / name).exists():
                (root / name).symlink_to(PROJECT_ROOT / name)
        (root / "target").symlink_to(built.target_path)
        assert (root / "target" / "semantic_manifest.json").exists()
        yield root


@pytest.fixture(scope="module")
def mf(built, project_dir):
    """MetricFlow's engine in this process, as `mf query` builds it, on the scenario database."""
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration

    with pytest.MonkeyPatch.context() as patch:
        for key, value in tool_env(built.env, DBT_PROJECT_DIR=str(project_dir)).items():
            if os.environ.get(key) != value:
                patch.setenv(key, value)
        patch.setenv("DBT_LOG_PATH", str(built.target_path / "logs"))
        config = CLIConfiguration()
        config.setup(dbt_profiles_path=PROJECT_ROOT, dbt_project_path=project_dir,
                     configure_file_logging=False)
        try:
            yield config.mf
        finally:  # the adapter's connections to the scenario database
            config.dbt_artifacts.adapter.cleanup_connections()


def query(mf, metrics, group_by=("account",), where=(), **more):
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    request = MetricFlowQueryRequest.create(
        metric_names=list(metrics), group_by_names=list(group_by), where_constraints=list(where),
        **more,
    )
    table = mf.query(request).result_df
    return [dict(zip(table.column_names, row)) for row in table.rows]


@pytest.fixture(scope="module")
def accounts(built) -> list[str]:
    return [str(r["account_id"]) for r in built.query(
        f"select account_id from {MARTS}.dim_accounts order by account_id")]


def same(actual, expected) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, int) and not isinstance(expected, bool):
        return actual == expected
    return float(actual) == pytest.approx(float(expected), rel=REL, abs=1e-12)


@pytest.mark.parametrize("period", list(PERIODS))
@pytest.mark.parametrize(("anchor", "mart", "metrics"), CHECKS,
                         ids=[f"{mart}-{anchor}" for anchor, mart, _ in CHECKS])
def test_metricflow_in_a_period_window_returns_the_period_mart(
    built, mf, accounts, period, anchor, mart, metrics
):
    rows = built.query(f"select * from {MARTS}.{mart} where period = %s", (period,))
    marts = {str(r["account_id"]): r for r in rows}
    assert set(marts) == set(accounts)
    start = rows[0]["period_start"].isoformat()
    end = rows[0]["as_of"].isoformat()
    found = {str(r["account"]): r for r in query(mf, metrics, where=window(anchor, start, end))}
    assert set(found) <= set(accounts)
    assert found, "the window holds data: the comparison must not be vacuous"
    differences = []
    for account in accounts:
        for metric, column in metrics.items():
            expected = marts[account][column]
            if account in found:
                actual = found[account][metric]
            else:  # no rows for the account in the window
                actual = 0 if column in COUNT_COLUMNS else None
            if column in COUNT_COLUMNS and actual is not None:
                actual = int(actual) if column != "total_hours_logged" else Decimal(str(actual))
            if column == "total_hours_logged":
                ok = Decimal(str(actual)) == expected
            else:
                ok = same(actual, expected)
            if not ok:
                differences.append((account, metric, actual, expected))
    assert differences == []


def test_the_quiet_account_has_mart_rows_but_no_metricflow_rows(built, mf):
    quiet = built.one(f"{MARTS}.dim_accounts", "account_name = 'Quiet MSP'")["account_id"]
    mart = built.one(f"{MARTS}.fct_session_metrics", f"account_id = '{quiet}' and period = '90d'")
    assert mart["total_sessions"] == 0 and mart["resolution_rate"] is None
    where = [f"{{{{ Entity('account') }}}} = '{quiet}'"]
    assert query(mf, ["total_sessions", "resolution_rate"], where=where) == []


def test_p95_is_interpolated_unlike_the_marts_index_rule(built, mf):
    """MetricFlow's percentile measure is percentile_cont; the mart keeps the endpoint's rule."""
    start = (dt.datetime.fromisoformat(AS_OF) - dt.timedelta(days=90)).isoformat()
    found = {str(r["account"]): r["p95_seconds_to_first_action"] for r in query(
        mf, ["p95_seconds_to_first_action"], where=window("handoff__claimed_at", start, AS_OF))}
    expected = {str(r["account_id"]): r["p95"] for r in built.query(
        f"select account_id, percentile_cont(0.95) within group (order by seconds_to_first_action)"
        f" as p95 from {FACTS}.fct_escalation_handoffs where claimed_at >= %s and claimed_at <= %s"
        " group by account_id", (start, AS_OF))}
    assert found.keys() == expected.keys() and found
    assert all(same(found[a], expected[a]) for a in found)
    marts = {str(r["account_id"]): r["p95_seconds_to_first_action"] for r in built.query(
        f"select account_id, p95_seconds_to_first_action from {MARTS}.fct_escalation_metrics "
        "where period = '90d'")}
    # The index rule returns an observed value; the interpolation differs on some account.
    assert any(not same(found[a], marts[a]) for a in found)


def test_weekly_and_domain_queries_add_up_to_the_window_total(built, mf):
    start = (dt.datetime.fromisoformat(AS_OF) - dt.timedelta(days=30)).isoformat()
    where = window("session__created_at", start, AS_OF)
    total = sum(r["total_sessions"] for r in query(mf, ["total_sessions"], where=where))
    weekly = query(mf, ["total_sessions"], group_by=["account", "metric_time__week"], where=where)
    by_domain = query(mf, ["total_sessions"], group_by=["session__problem_domain"], where=where)
    assert total > 0
    assert sum(r["total_sessions"] for r in weekly) == total
    assert sum(r["total_sessions"] for r in by_domain) == total
    assert len({r["metric_time__week"] for r in weekly}) >= 5


def test_a_query_without_rows_is_an_empty_result(mf):
    where = window("session__created_at", "2019-01-01T00:00:00+00:00", "2019-02-01T00:00:00+00:00")
    assert query(mf, ["total_sessions", "mttr_minutes"], where=where) == []


def test_unknown_metric_or_dimension_is_metricflows_clear_error(mf):
    from metricflow_semantics.errors.error_classes import InvalidQueryException

    with pytest.raises(InvalidQueryException, match="does not exactly match any known metrics"):
        query(mf, ["total_sesions"])
    with pytest.raises(InvalidQueryException, match="does not match any of the available"):
        query(mf, ["total_sessions"], group_by=["session__problem_domian"])


def test_mf_cli_validates_and_names_the_unknown_metric(built, project_dir):
    validated = run_mf(["validate-configs"], built.env, project_dir=project_dir, capture=True)
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]
    unknown = run_mf(["query", "--metrics", "total_sesions", "--group-by", "account"],
                     built.env, project_dir=project_dir, capture=True)
    output = unknown.stdout + unknown.stderr
    assert unknown.returncode == 1
    assert "does not exactly match any known metrics" in output
    assert "total_sessions" in output  # the suggestion


def test_facts_add_up_to_the_period_marts_and_the_test_can_fail(built):
    test = ["test", "--select", "assert_facts_add_up_to_the_period_marts",
            "--vars", f'{{"as_of": "{AS_OF}"}}']
    built.dbt(*test)
    row = built.query(f"select session_id from {FACTS}.fct_sessions where is_resolved "
                      "and created_at > %s limit 1",
                      (dt.datetime.fromisoformat(AS_OF) - dt.timedelta(days=7),))[0]
    flip = f"update {FACTS}.fct_sessions set is_resolved = not is_resolved where session_id = %s"
    with warehouse.connect(built.env) as conn:
        conn.execute(flip, (row["session_id"],))
    try:
        output = built.dbt(*test, check=False)
        assert "FAIL 3 assert_facts_add_up_to_the_period_marts" in output, output[-3000:]
    finally:
        with warehouse.connect(built.env) as conn:
            conn.execute(flip, (row["session_id"],))


def test_facts_are_granted_and_row_secured_like_the_marts(built, accounts):
    tables = [r["name"] for r in built.query(
        "select table_name as name from information_schema.tables where table_schema = %s "
        "order by 1", (FACTS,))]
    assert tables == ["fct_escalation_handoffs", "fct_psa_pushes", "fct_psa_time_entries",
                      "fct_sessions"]
    account = accounts[0]
    with psycopg.connect(warehouse.conninfo(built.env), autocommit=True) as conn:
        for table in tables:
            conn.execute("set role flowpilot_tenant_reader")
            conn.execute("select set_config('flowpilot.account_id', %s, false)", (account,))
            seen = conn.execute(f"select count(*), count(*) filter (where account_id <> %s) "
                                f"from {FACTS}.{table}", (account,)).fetchone()
            conn.execute("reset role")
            total = conn.execute(f"select count(*) from {FACTS}.{table} where account_id = %s",
                                 (account,)).fetchone()[0]
            assert seen == (total, 0), table


def test_docs_site_loads_nothing_from_another_host(tmp_path):
    import dbt.task.docs

    page = Path(dbt.task.docs.__file__).parent / "index.html"
    assert docs.TRACKER.search(page.read_text(encoding="utf-8"))  # what offline_site removes
    (tmp_path / "index.html").write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    docs.offline_site(tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert not docs.TRACKER.search(html) and docs.remote_loads(html) == []
    (tmp_path / "index.html").write_text('<script src="https://cdn.example.com/x.js"></script>')
    with pytest.raises(RuntimeError, match="another host"):
        docs.offline_site(tmp_path)
