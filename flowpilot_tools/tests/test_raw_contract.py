"""The project's copy of the raw contract must equal the shared one while that exists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.generate import COLUMNS
from flowpilot_tools.load import RAW_SCHEMA_SQL

SHARED = Path(os.environ.get("FLOWPILOT_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
SHARED_CONTRACT = SHARED / "contract" / "raw_schema.sql"


@pytest.mark.skipif(not SHARED_CONTRACT.exists(), reason=f"no shared contract at {SHARED_CONTRACT}")
def test_raw_schema_copy_equals_shared_contract():
    assert RAW_SCHEMA_SQL.read_text() == SHARED_CONTRACT.read_text(), (
        f"{RAW_SCHEMA_SQL} differs from {SHARED_CONTRACT}: copy the new contract and adapt staging"
    )


def test_generator_writes_every_column_of_the_contract(warehouse_env):
    """The generator's column lists cover the contract's tables, column for column."""
    from flowpilot_tools.tests.scenario import Scenario

    scenario = Scenario(warehouse_env, "contract")
    try:
        found = scenario.query(
            "select table_name, array_agg(column_name::text order by ordinal_position) as columns "
            "from information_schema.columns where table_schema = 'raw' group by table_name"
        )
    finally:
        scenario.close()
    assert {r["table_name"]: tuple(r["columns"]) for r in found} == COLUMNS


SHARED_METRICS = SHARED / "contract" / "METRICS.md"


@pytest.mark.skipif(not SHARED_METRICS.exists(), reason=f"no shared contract at {SHARED_METRICS}")
def test_metrics_copy_equals_shared_contract():
    copy = PROJECT_ROOT / "docs" / "METRICS.md"
    assert copy.read_text() == SHARED_METRICS.read_text(), f"{copy} differs from {SHARED_METRICS}"
