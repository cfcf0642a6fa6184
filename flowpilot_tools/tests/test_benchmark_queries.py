"""The old endpoints' queries that flowpilot bench measures live in flowpilot_tools/endpoints/
*.sql: every file is read, every statement is valid SQL against the raw contract."""

from __future__ import annotations

import datetime as dt

from flowpilot_tools import benchmark, warehouse
from flowpilot_tools.tests.scenario import Scenario


def test_every_endpoint_file_is_read_statement_by_statement():
    files = {path.stem for path in benchmark.ENDPOINTS_DIR.glob("*.sql")}
    assert files == {*benchmark.ENDPOINT_NAMES, "application_indexes"}
    counts = {name: len(queries) for name, queries in benchmark.ENDPOINTS.items()}
    assert counts == {"dashboard": 14, "coverage": 3, "flow_quality": 3, "psa_metrics": 6,
                      "escalations": 1}
    for queries in benchmark.ENDPOINTS.values():
        for query in queries:
            assert query.startswith("select ") and ";" not in query, query


def test_every_endpoint_query_and_index_is_valid_on_the_raw_contract(warehouse_env):
    scenario = Scenario(warehouse_env, "bench_queries")
    try:
        with warehouse.connect(scenario.env) as conn:
            conn.execute(benchmark.APPLICATION_INDEXES)
            params = {"account": "00000000-0000-0000-0000-000000000001",
                      "start": dt.datetime(2026, 4, 20, tzinfo=dt.timezone.utc)}
            for queries in benchmark.ENDPOINTS.values():
                for query in queries:
                    conn.execute(query, params).fetchall()
    finally:
        scenario.close()

