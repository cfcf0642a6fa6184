"""Two builds with the same raw data and as_of give byte-identical marts and history.

Compared per table: the row count and the md5 of all rows' text sorted, so that a difference
in the last bit of a double precision value shows (PostgreSQL prints floats exactly).
"""

from __future__ import annotations

import json

import pytest

from flowpilot_tools import warehouse
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import (
    FACTS, HISTORY, INTERMEDIATE, MARTS, table_digests, ts,
)

AS_OF = "2026-04-27T15:25:46+00:00"
SCALE = Scale(accounts=8, days=95, sessions_per_day=6.0, seed=23, as_of=ts("2026-04-27 15:25:46"))
# Plans as parallel as PostgreSQL allows, even for small tables.
PARALLEL = ("-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0 "
            "-c min_parallel_index_scan_size=0 -c max_parallel_workers_per_gather=4")


@pytest.fixture(scope="module")
def scenario(scenario_factory):
    s = scenario_factory("idempotency")
    s.load_generated(SCALE)
    return s


@pytest.fixture(scope="module")
def first(scenario):
    scenario.build(AS_OF, publish_history=True)
    digests = table_digests(scenario, [MARTS, HISTORY])
    assert len(digests) == 19 and all(n_rows > 0 for n_rows, _ in digests.values())
    return digests


def test_a_second_build_gives_byte_identical_marts_and_history(scenario, first):
    scenario.build(AS_OF, publish_history=True)
    assert table_digests(scenario, [MARTS, HISTORY]) == first


def test_a_build_with_parallel_plans_gives_the_same_bytes(scenario, first):
    scenario.build(AS_OF, env={"PGOPTIONS": PARALLEL}, publish_history=True)
    assert table_digests(scenario, [MARTS, HISTORY]) == first


def test_marts_do_not_depend_on_the_physical_order_of_their_input(scenario, first):
    """Means are exact (macro exact_mean): the same input rows in another physical order (as
    incremental models leave them) give the same bits in every period mart. Reordered in
    place: every table the period marts read (the windowed intermediates and the handoff
    fact, DECISIONLOG 22); then the period marts are rebuilt, not the facts."""
    inputs = [(INTERMEDIATE, "int_sessions_windowed"), (INTERMEDIATE, "int_psa_pushes_windowed"),
              (INTERMEDIATE, "int_psa_time_entries_windowed"), (FACTS, "fct_escalation_handoffs")]
    with warehouse.connect(scenario.env) as conn:
        for schema, table in inputs:
            conn.execute(f"create temporary table reordered as select * from "
                         f"{schema}.{table} order by md5(row({table}.*)::text)")
            conn.execute(f"truncate {schema}.{table}")
            conn.execute(f"insert into {schema}.{table} select * from reordered")
            conn.execute("drop table reordered")
    scenario.dbt("build", "--select", "path:models/marts", "--exclude", "dim_accounts",
                 "path:models/marts/facts", "--exclude-resource-type", "test", "unit_test",
                 "--vars", f'{{"as_of": "{AS_OF}"}}')
    assert table_digests(scenario, [MARTS]) == {
        name: digest for name, digest in first.items() if name.startswith(f"{MARTS}.")
    }


def test_only_the_nightly_writes_history(scenario, first):
    """A plain `dbt build` (an analyst's backfill with another as_of) leaves the history as
    it was, and so does a build that selects the history tables without the var
    publish_history (e.g. `-s int_sessions_windowed+`)."""
    history = {name: digest for name, digest in first.items() if name.startswith(HISTORY)}
    other = '{"as_of": "2026-03-01T00:00:00+00:00", "volume_shrink_expected": true}'
    scenario.dbt("build", "--vars", other)
    assert table_digests(scenario, [HISTORY]) == history
    output = scenario.dbt("run", "--select", "int_sessions_windowed+", "--vars", other)
    assert "fct_session_metrics_history: history left as it was" in output
    assert table_digests(scenario, [HISTORY]) == history
    scenario.build(AS_OF, publish_history=True)
    assert table_digests(scenario, [MARTS, HISTORY]) == first  # the date written once more


def test_a_marts_tests_run_once_in_a_build(scenario, first):
    """The audit before the swap runs a mart's error-level tests and writes them into the
    ledger in the swap's transaction; dbt's own run of the same tests, later in the build,
    then reads no row (the ledger look-up is evaluated before the test's SQL)."""
    scenario.dbt("build", "--select", "fct_confidence_breakdown", "--vars",
                 f'{{"as_of": "{AS_OF}"}}', artifacts=True)
    results = json.loads((scenario.target_path / "run_results.json").read_text())
    invocation = results["metadata"]["invocation_id"]
    tests = {r["unique_id"]: r for r in results["results"] if r["unique_id"].startswith("test.")}
    audited = {row["test_id"] for row in scenario.query(
        "select test_id from flowpilot_ops.audited_tests where invocation_id = %s",
        (invocation,))}
    assert audited and audited <= set(tests), (audited, tests)
    nodes = json.loads((scenario.target_path / "manifest.json").read_text())["nodes"]
    for test in audited:
        assert tests[test]["status"] == "pass"
        node = nodes[test]  # the SQL dbt ran for the test: target/run/<project>/<file>/<path>
        executed = (scenario.target_path / "run" / node["package_name"]
                    / node["original_file_path"] / node["path"]).read_text()
        assert f"where invocation_id = '{invocation}'" in executed, test
    assert table_digests(scenario, [MARTS, HISTORY]) == first
