"""The same project on PostgreSQL and on DuckDB (issue 14): the same generated dirty data
(every dirty case of METRICS.md: replays, stray case and blanks, dangling references, clock
drift, invalid zones, rows after as_of) loaded into both engines and built with the same models
gives the same marts and facts, every row and every column (floats within 1e-9 relative), at
two as_of values, the second built with a non-UTC session time zone on both engines; the dbt
unit tests pass on DuckDB; and on DuckDB an incremental build after a later landing equals a
full refresh, as test_incremental.py shows on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from flowpilot_tools import duckdb_load, warehouse
from flowpilot_tools.dbt import run_dbt
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import (
    FACTS, INTERMEDIATE, MARTS, STAGING, BuildFailed,
)

AS_OF = dt.datetime(2026, 4, 27, 15, 25, 46, tzinfo=dt.timezone.utc)
# An earlier as_of, written with an offset, between two rows' instants.
EARLIER_AS_OF = "2026-04-19T22:40:13.5-07:00"
EARLIER_AS_OF_UTC = dt.datetime(2026, 4, 20, 5, 40, 13, 500000, tzinfo=dt.timezone.utc)
NEXT_AS_OF = AS_OF + dt.timedelta(days=1)
SCALE = Scale(accounts=8, days=95, sessions_per_day=6.0, seed=14, as_of=AS_OF)
NEXT_DAY = Scale(accounts=8, days=1, sessions_per_day=6.0, seed=14, as_of=NEXT_AS_OF,
                 hours_after_as_of=0.0, batch=1)
# A session time zone with a half-hour offset and no daylight saving: a model that read the
# session's zone anywhere (a timestamptz cast to date, a local-time literal) would move rows.
SESSION_TIME_ZONE = "Asia/Kolkata"
PUBLISHED = (MARTS, FACTS)
# Bookkeeping of an incremental model: the watermark of the run that last wrote the row.
WATERMARKS = {f"{INTERMEDIATE}.int_handoffs_first_step_found": "steps_loaded_through"}
RELATIVE_TOLERANCE = 1e-9


class DuckDBProject:
    """The project's duckdb target (profiles.yml) on one database file. dbt runs in its own
    process here: dbt-duckdb keeps the database open in the process that ran it, which would
    hold the file's lock and its session settings between builds."""

    def __init__(self, path: Path, target_path: Path):
        self.path = path
        self.target_path = target_path

    def dbt(self, *args: str, session_time_zone: str = "UTC") -> str:
        result = run_dbt(
            list(args), {}, self.target_path, capture=True, FLOWPILOT_TARGET="duckdb",
            FLOWPILOT_DUCKDB_PATH=str(self.path), FLOWPILOT_DUCKDB_TIME_ZONE=session_time_zone,
            DBT_WRITE_JSON="false", DBT_LOG_LEVEL_FILE="none",
        )
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise BuildFailed(f"dbt {' '.join(args)} on DuckDB failed:\n{output[-6000:]}")
        return output

    def tables(self, schemas: Iterable[str],
               exclude: Mapping[str, str] | None = None) -> dict[str, tuple[list, list]]:
        with duckdb_load.connect(self.path, read_only=True) as conn:
            names = conn.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE'",
                [list(schemas)],
            ).fetchall()
            result = {}
            for (name,) in names:
                relation = conn.execute(f"select * from {name}")
                columns = [column[0] for column in relation.description]
                result[name] = _rows(columns, relation.fetchall(), (exclude or {}).get(name))
            return result


def postgres_tables(env: Mapping[str, str], schemas: Iterable[str],
                    exclude: Mapping[str, str] | None = None) -> dict[str, tuple[list, list]]:
    with warehouse.connect(env) as conn:
        names = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = any(%s) and table_type = 'BASE TABLE'",
            (list(schemas),),
        ).fetchall()
        result = {}
        for (name,) in names:
            cursor = conn.execute(f"select * from {name}")
            columns = [column.name for column in cursor.description]
            result[name] = _rows(columns, cursor.fetchall(), (exclude or {}).get(name))
        return result


def _normalized(value: Any) -> Any:
    """One spelling per value across the drivers: uuids as text, instants in UTC."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc)
    return value


def _rows(columns: list[str], rows: list[tuple], excluded: str | None) -> tuple[list, list]:
    """(column names, rows) with EXCLUDED left out, values normalized, rows sorted by their
    non-float values (floats may differ in the last bits between engines)."""
    keep = [index for index, name in enumerate(columns) if name != excluded]
    normalized = [tuple(_normalized(row[index]) for index in keep) for row in rows]

    def key(row: tuple) -> tuple:
        return tuple((value is None, "" if isinstance(value, float) else str(value))
                     for value in row)

    return [columns[index] for index in keep], sorted(normalized, key=key)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
    if isinstance(left, decimal.Decimal) or isinstance(right, decimal.Decimal):
        return left is not None and right is not None and (
            decimal.Decimal(left) == decimal.Decimal(right))
    return left == right


def assert_equal_tables(got: dict[str, tuple[list, list]], want: dict[str, tuple[list, list]],
                        what: str) -> None:
    """Every table of WANT is in GOT with the same columns and the same rows."""
    assert got.keys() == want.keys(), f"{what}: tables differ"
    for table, (want_columns, want_rows) in want.items():
        got_columns, got_rows = got[table]
        assert got_columns == want_columns, f"{what}: {table} has other columns"
        assert len(got_rows) == len(want_rows), (
            f"{what}: {table} has {len(got_rows)} rows, expected {len(want_rows)}")
        differing = [
            {name: (a, b) for name, a, b in zip(want_columns, got_row, want_row)
             if not _same(a, b)}
            for got_row, want_row in zip(got_rows, want_rows)
        ]
        differing = [row for row in differing if row]
        assert not differing, f"{what}: {table}: {len(differing)} rows differ, e.g. {differing[:2]}"


def _volumes(tables: dict[str, tuple[list, list]]) -> dict[str, int]:
    return {table: len(rows) for table, (_, rows) in tables.items()}


def assert_same_published(got: dict[str, tuple[list, list]],
                          want: dict[str, tuple[list, list]], what: str) -> None:
    """WANT, PostgreSQL's 14 marts and facts at a full as_of (with real volumes, so that an
    empty build cannot pass), equal GOT's."""
    volumes = _volumes(want)
    assert volumes[f"{FACTS}.fct_sessions"] > 3000 and volumes[f"{MARTS}.fct_psa_daily"] > 300
    assert f"{MARTS}.fct_escalation_metrics" in want and len(want) == 14
    assert_equal_tables(got, want, what)


@pytest.fixture(scope="module")
def engines(scenario_factory, tmp_path_factory):
    """The same generated data in a PostgreSQL database and in a DuckDB file."""
    postgres = scenario_factory("parity")
    postgres.load_generated(SCALE)
    folder = tmp_path_factory.mktemp("duckdb")
    duck = DuckDBProject(folder / "parity.duckdb", folder / "target")
    duckdb_load.load(SCALE, duck.path, workers=1)
    return postgres, duck


def _vars(as_of: str) -> str:
    return json.dumps({"as_of": as_of, "volume_shrink_expected": True})


def check_at_as_of(postgres, other, name: str) -> str:
    """Test a of every engine: PostgreSQL and the engine OTHER (its dbt(...) and tables(...))
    built whole at AS_OF, on the engine with `dbt build` (the models, the data tests and every
    unit test), give the same marts and facts. The engine's dbt output is returned."""
    postgres.build(AS_OF.isoformat(), "--full-refresh", volume_shrink_expected=True)
    output = other.dbt("build", "--full-refresh", "--vars", _vars(AS_OF.isoformat()))
    assert " unit tests" in output and "ERROR=0" in output
    assert "PostgreSQL-only features skipped" in output
    assert_same_published(other.tables(PUBLISHED), postgres_tables(postgres.env, PUBLISHED),
                          f"{name} against PostgreSQL at {AS_OF.isoformat()}")
    return output


def check_at_the_earlier_as_of(postgres, build_other: Callable[[str], object],
                               other_tables: Callable[[Iterable[str]], dict], what: str) -> None:
    """Test b of every engine: PostgreSQL with session zone SESSION_TIME_ZONE and the other
    engine (BUILD_OTHER(as_of) runs its models in that zone) at EARLIER_AS_OF give the same
    marts and facts, whose as_of is that instant."""
    postgres.build(EARLIER_AS_OF, "--full-refresh", env={"PGTZ": SESSION_TIME_ZONE},
                   volume_shrink_expected=True)
    build_other(EARLIER_AS_OF)
    got = other_tables(PUBLISHED)
    assert_equal_tables(got, postgres_tables(postgres.env, PUBLISHED), what)
    columns, rows = got[f"{MARTS}.fct_session_metrics"]
    assert rows and {row[columns.index("as_of")] for row in rows} == {EARLIER_AS_OF_UTC}


def test_a_same_marts_at_as_of_and_unit_tests_pass_on_duckdb(engines):
    postgres, duck = engines
    check_at_as_of(postgres, duck, "DuckDB")


def test_b_same_marts_at_an_earlier_as_of_in_another_session_time_zone(engines):
    postgres, duck = engines
    check_at_the_earlier_as_of(
        postgres,
        lambda as_of: duck.dbt("run", "--full-refresh", "--vars", _vars(as_of),
                               session_time_zone=SESSION_TIME_ZONE),
        duck.tables,
        f"DuckDB against PostgreSQL at {EARLIER_AS_OF}, session zone {SESSION_TIME_ZONE}",
    )


def test_c_incremental_build_equals_full_refresh_on_duckdb(engines):
    """After the full build of test b, the next day lands and is built incrementally on DuckDB
    (the incremental models do not depend on as_of); a second file with the same raw rows is
    refreshed whole at the same as_of. (PostgreSQL's side: test_incremental.py.)"""
    _, duck = engines
    landed = duckdb_load.append(NEXT_DAY, duck.path, workers=1)
    assert sum(landed.rows.values()) > 0
    duck.dbt("run", "--vars", _vars(NEXT_AS_OF.isoformat()))
    schemas = (STAGING, INTERMEDIATE, *PUBLISHED)
    incremental = duck.tables(schemas, exclude=WATERMARKS)

    refreshed = DuckDBProject(duck.path.with_name("refreshed.duckdb"), duck.target_path)
    duckdb_load.load(SCALE, refreshed.path, workers=1)
    duckdb_load.append(NEXT_DAY, refreshed.path, workers=1)
    refreshed.dbt("build", "--full-refresh", "--exclude-resource-type", "test", "unit_test",
                  "--vars", _vars(NEXT_AS_OF.isoformat()))
    full = refreshed.tables(schemas, exclude=WATERMARKS)
    volumes = _volumes(full)
    assert volumes[f"{STAGING}.stg_flowpilot__ai_sessions"] > 3000
    assert _volumes(incremental) == volumes
    assert_equal_tables(incremental, full, "DuckDB incremental against DuckDB full refresh")
