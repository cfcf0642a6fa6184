"""contract/raw_schema.sql is the one source of the raw tables: it equals the shared contract
while a shared folder exists (skipped without one: the project's copy is the authority inside
the repository); the generator's columns and the dbt check's generated macro derive from it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools import raw_contract
from flowpilot_tools.generate import COLUMNS
from flowpilot_tools.raw_contract import RAW_SCHEMA_SQL

SHARED = Path(os.environ.get("FLOWPILOT_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
SHARED_CONTRACT = SHARED / "contract" / "raw_schema.sql"


@pytest.mark.skipif(not SHARED_CONTRACT.exists(), reason=f"no shared contract at {SHARED_CONTRACT}")
def test_raw_schema_copy_equals_shared_contract():
    assert RAW_SCHEMA_SQL.read_text() == SHARED_CONTRACT.read_text(), (
        f"{RAW_SCHEMA_SQL} differs from {SHARED_CONTRACT}: copy the new contract and adapt staging"
    )


def test_the_parsed_contract_is_what_postgresql_creates(warehouse_env):
    """Parsing contract/raw_schema.sql gives, table by table and in order, the columns and
    data types PostgreSQL creates from it; the generator writes exactly those columns."""
    from flowpilot_tools.tests.scenario import Scenario

    scenario = Scenario(warehouse_env, "contract")
    try:
        found = scenario.query(
            "select table_name, array_agg(column_name::text order by ordinal_position) as columns,"
            " array_agg(data_type::text order by ordinal_position) as types "
            "from information_schema.columns where table_schema = 'raw' group by table_name"
        )
    finally:
        scenario.close()
    created = {r["table_name"]: tuple(zip(r["columns"], r["types"])) for r in found}
    assert created == raw_contract.load()
    assert {table: tuple(c for c, _ in columns) for table, columns in created.items()} == COLUMNS


def test_the_dbt_check_uses_the_contract_as_generated():
    """macros/raw_contract_columns.sql is the rendering of the contract, byte for byte
    (regenerate it with `python -m flowpilot_tools.raw_contract`)."""
    assert raw_contract.DBT_MACRO.read_text() == raw_contract.render_dbt_macro(), (
        "macros/raw_contract_columns.sql is out of date: python -m flowpilot_tools.raw_contract"
    )


def test_a_column_of_an_unknown_type_is_refused_not_skipped():
    text = "create table raw.t (\n    id uuid not null,\n    amount money\n);"
    with pytest.raises(ValueError, match="amount money"):
        raw_contract.parse(text)
    assert raw_contract.parse(text.replace("money", "numeric(8, 2)")) == {
        "t": (("id", "uuid"), ("amount", "numeric"))
    }


SHARED_METRICS = SHARED / "contract" / "METRICS.md"
# Links of the shared METRICS.md relative to the shared folder, as the copy in docs/ words them.
COPY_LINKS = {
    "`../seeds/flowpilot_analytics_endpoints.txt`":
        "`seeds/flowpilot_analytics_endpoints.txt` beside the shared contract, not in this repository",
}


@pytest.mark.skipif(not SHARED_METRICS.exists(), reason=f"no shared contract at {SHARED_METRICS}")
def test_metrics_copy_equals_shared_contract():
    """Word for word, but for the one relative link that would be dead in the copy."""
    copy = PROJECT_ROOT / "docs" / "METRICS.md"
    shared = SHARED_METRICS.read_text()
    for dead, live in COPY_LINKS.items():
        assert shared.count(dead) == 1, f"{SHARED_METRICS} no longer has {dead}: update COPY_LINKS"
        shared = shared.replace(dead, live)
    assert copy.read_text() == shared, f"{copy} differs from {SHARED_METRICS}"
