"""The DuckDB loader (issue 14) lands exactly what the PostgreSQL loader lands: the same scale
and seed give the same raw rows, column by column (uuids, texts with their stray spaces and
empty strings, UTC instants, exact numerics), after the initial load and after a later batch
with its updates (load.REPLAYS_SQL, whose hashtext DuckDB computes in SQL)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from flowpilot_tools import duckdb_load, raw_contract, warehouse
from flowpilot_tools.generate import COLUMNS, TABLES, Scale, generate_accounts, global_categories
from flowpilot_tools.load import append as pg_append
from flowpilot_tools.load import load as pg_load

UTC = dt.timezone.utc
AS_OF = dt.datetime(2026, 4, 27, 15, 25, 46, tzinfo=UTC)
# Large enough that every replay of REPLAYS_SQL picks rows (the steps' is 1 in 2000).
SCALE = Scale(accounts=6, days=40, sessions_per_day=6.0, seed=5, as_of=AS_OF)
NEXT_DAY = Scale(accounts=6, days=1, sessions_per_day=6.0, seed=5,
                 as_of=AS_OF + dt.timedelta(days=1), hours_after_as_of=0.0, batch=1)
JSON_COLUMNS = {(table, name) for table, columns in raw_contract.load().items()
                for name, data_type in columns if data_type == "jsonb"}


def _value(value):
    """A value as comparable text: uuid lower case, instants in UTC, numerics exact."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None, value
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _select(table: str, text_cast: str) -> str:
    return "select " + ", ".join(
        f"{name}::{text_cast}" if (table, name) in JSON_COLUMNS else name
        for name in COLUMNS[table]) + f" from raw.{table}"


def _sorted(rows) -> list[tuple]:
    rows = [tuple(_value(v) for v in row) for row in rows]
    return sorted(rows, key=lambda row: tuple((v is None, type(v).__name__, str(v)) for v in row))


def pg_raw(env) -> dict[str, list[tuple]]:
    with warehouse.connect(env) as conn:
        return {table: _sorted(conn.execute(_select(table, "text")).fetchall()) for table in TABLES}


def duck_raw(path: Path) -> dict[str, list[tuple]]:
    with duckdb_load.connect(path, read_only=True) as conn:
        return {table: _sorted(conn.execute(_select(table, "varchar")).fetchall())
                for table in TABLES}


def assert_same_raw(pg: dict, duck: dict) -> None:
    for table in TABLES:
        assert len(pg[table]) > 0, f"raw.{table} is empty: the comparison would prove nothing"
        if duck[table] != pg[table]:
            only_pg = Counter(pg[table]) - Counter(duck[table])
            only_duck = Counter(duck[table]) - Counter(pg[table])
            pytest.fail(f"raw.{table}: {len(pg[table])} rows in PostgreSQL, {len(duck[table])} in "
                        f"DuckDB; only in PostgreSQL {list(only_pg)[:3]}, only in DuckDB "
                        f"{list(only_duck)[:3]}")


@pytest.fixture(scope="module")
def landed(scenario_factory, tmp_path_factory):
    """SCALE loaded into a throwaway PostgreSQL database and a DuckDB file; both read back."""
    s = scenario_factory("duckdb_parity")
    path = tmp_path_factory.mktemp("duckdb") / "flowpilot.duckdb"
    pg_result = pg_load(SCALE, s.env, workers=1)
    duck_result = duckdb_load.load(SCALE, path)
    return s, path, pg_result, duck_result, pg_raw(s.env), duck_raw(path)


@pytest.fixture(scope="module")
def appended(landed):
    """NEXT_DAY appended to both (new rows, late rows, updates and replays of old rows)."""
    s, path, *_ = landed
    with duckdb_load.connect(path, read_only=True) as conn:
        newest = conn.execute(" union all ".join(
            f"select max(_loaded_at) from raw.{table}" for table in TABLES
        ).join(("select max(m) from (", ") as maxima (m)"))).fetchone()[0]
    pg_result = pg_append(NEXT_DAY, s.env, workers=1)
    duck_result = duckdb_load.append(NEXT_DAY, path)
    landed_at = newest + dt.timedelta(minutes=1)  # as both appends take it
    return s, path, pg_result, duck_result, pg_raw(s.env), duck_raw(path), landed_at


def test_the_tables_are_the_contracts_with_duckdb_types(tmp_path):
    path = tmp_path / "contract.duckdb"
    with duckdb_load.connect(path) as conn:
        duckdb_load.create_raw_schema(conn)
        found = conn.execute(
            "select table_name, column_name, lower(data_type), comment from duckdb_columns() "
            "where schema_name = 'raw' order by table_name, column_index").fetchall()
        tables = conn.execute("select table_name, comment from duckdb_tables() "
                              "where schema_name = 'raw'").fetchall()
    names = {"varchar": "text", "json": "jsonb", "decimal(8,2)": "numeric",
             "timestamp with time zone": "timestamp with time zone"}
    landed = {}
    for table, column, data_type, _ in found:
        landed.setdefault(table, []).append((column, names.get(data_type, data_type)))
    assert {table: tuple(columns) for table, columns in landed.items()} == raw_contract.load()
    assert ("psa_activity_logs", "hours_logged", "decimal(8,2)") in {row[:3] for row in found}
    assert sorted(tables) == sorted((table, duckdb_load.DEMO_MARKER) for table in TABLES)


def test_the_generators_lines_carry_no_escapes_but_null():
    """The tab-separated reader takes the lines as they are: no backslash in them but the
    whole-field \\N of a null (and no carriage return); else the loader would decode them."""
    for scale in (SCALE, NEXT_DAY):
        lines = {table: [] for table in TABLES}
        if not scale.batch:
            lines["tree_categories"] += global_categories(scale)
        for account in generate_accounts(scale, range(scale.accounts)):
            for table, rows in account.items():
                lines[table] += rows
        for table, rows in lines.items():
            text = "".join(rows)
            assert "\r" not in text and duckdb_load.is_plain(text), table
    assert "\\N" in text, "some nulls, so that the check above saw \\N"


def test_duckdb_holds_the_rows_postgresql_holds(landed):
    _, _, pg_result, duck_result, pg, duck = landed
    assert duck_result.rows == pg_result.rows
    assert {table: len(rows) for table, rows in duck.items()} == duck_result.rows
    assert_same_raw(pg, duck)


def test_instants_are_the_generators_whatever_the_sessions_time_zone(landed):
    """Stored instants are the generator's UTC text, read back in another zone too."""
    _, path, *_ = landed
    expected = {}
    for account in generate_accounts(SCALE, range(2)):
        for line in account["ai_sessions"]:
            fields = line.rstrip("\n").split("\t")
            created = dt.datetime.fromisoformat(fields[11].replace("+00", "+00:00"))
            expected[str(uuid.UUID(fields[0]))] = created
    conn = duckdb.connect(str(path), read_only=True)
    try:
        conn.execute("set TimeZone = 'America/New_York'")
        rows = dict(conn.execute("select id::varchar, created_at from raw.ai_sessions").fetchall())
        text = dict(conn.execute("select id::varchar, strftime(created_at at time zone 'UTC', "
                                 "'%Y-%m-%d %H:%M:%S.%f') from raw.ai_sessions").fetchall())
    finally:
        conn.close()
    assert expected
    for session_id, created in expected.items():
        assert rows[session_id] == created
        assert text[session_id] == created.strftime("%Y-%m-%d %H:%M:%S.%f")


def test_after_an_append_duckdb_still_holds_the_rows_postgresql_holds(appended):
    _, path, pg_result, duck_result, pg, duck, landed_at = appended
    assert duck_result.rows == pg_result.rows
    assert sum(duck_result.rows.values()) > 0
    assert_same_raw(pg, duck)
    # every replay of REPLAYS_SQL picked rows, so the hash-chosen ones were compared too
    day_start = NEXT_DAY.as_of - dt.timedelta(days=NEXT_DAY.days)
    with duckdb_load.connect(path, read_only=True) as conn:
        counts = conn.execute(
            """
            select
                (select count(*) from raw.ai_sessions
                 where _loaded_at = $landed + interval '5 minutes') as resolved,
                (select count(*) from raw.session_handoffs
                 where claimed_at = $day + interval '20 hours') as claimed,
                (select count(*) from raw.ai_session_steps
                 where step_number = 99 and created_at = $day + interval '20 hours 90 seconds')
                    as senior_steps,
                (select count(*) from raw.ai_session_steps
                 where _loaded_at = $landed + interval '6 minutes') as replayed_steps
            """,
            {"landed": landed_at, "day": day_start},
        ).fetchone()
    assert all(count > 0 for count in counts), counts


SUFFIXES = ("", "1", "12", "123", "1234", "12345678", "123456789", "1234567890123", "é7")


def test_hashtext_in_duckdb_is_postgresqls(warehouse_env):
    rng = random.Random(14)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(3000)]
    ids += ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"]
    conn = duckdb.connect()
    conn.execute("create table ids as select unnest($ids)::uuid as id", {"ids": ids})
    with warehouse.connect(warehouse_env) as pg:
        for suffix in SUFFIXES:
            expected = dict(pg.execute(
                "select id::text, hashtext(id::text || %s) from unnest(%s::uuid[]) as u (id)",
                (suffix, ids)).fetchall())
            hashed = duckdb_load.hashtext_uuid_sql("select id from ids", suffix)
            got = dict(conn.execute(f"select id::varchar, h from ({hashed})").fetchall())
            assert got == expected, suffix
    conn.close()


def test_copy_escapes_are_read_as_postgresqls_copy_reads_them(warehouse_env, tmp_path):
    """Lines with COPY escapes (the generator writes none) land as COPY lands them."""
    loaded = "2026-01-01 00:00:00.000000+00"
    names_zones = [
        ("back\\\\slash", "\\N"), ("tab\\there", "\\x41\\102C"), ("line\\nbreak", "x\\Ny"),
        ('"quoted"', "\\303\\251t\\303\\251"), ("", "  "), ("\\\\N", "\\N"),
        ("plain {\"json\": 1}", " UTC "), ("\\b\\f\\v\\r\\q", "été"),
    ]
    lines = [f"{uuid.UUID(int=n)}\t{name}\t{zone}\t{loaded}\t{loaded}\n"
             for n, (name, zone) in enumerate(names_zones)]
    files = duckdb_load.TableFiles(tmp_path, "accounts", "test")
    files.write("".join(lines))
    files.close()
    assert files.tsv.exists() and files.jsonl.exists(), "both paths are exercised"
    with duckdb_load.connect(tmp_path / "escapes.duckdb") as conn:
        duckdb_load.create_raw_schema(conn)
        duckdb_load.insert_files(conn, "accounts", [files.tsv], [files.jsonl])
        duck = _sorted(conn.execute(_select("accounts", "varchar")).fetchall())
    with warehouse.connect(warehouse_env) as pg:
        columns = ", ".join(f"{name} {data_type}"
                            for name, data_type in raw_contract.load()["accounts"])
        pg.execute(f"create temporary table accounts ({columns})")
        with pg.cursor().copy("copy pg_temp.accounts from stdin") as copy:
            copy.write("".join(lines))
        pg_rows = _sorted(pg.execute("select * from pg_temp.accounts").fetchall())
    assert len(duck) == len(lines)
    assert duck == pg_rows
    with pytest.raises(ValueError, match="carriage return"):
        duckdb_load.decode_copy_line(
            "accounts", f"{uuid.UUID(int=1)}\ta\rb\t\\N\t{loaded}\t{loaded}\n")


def test_the_guard_knows_the_loaders_raw_schema(tmp_path):
    path = tmp_path / "guard.duckdb"
    assert not duckdb_load.raw_schema_is_foreign(path)  # no file
    with duckdb_load.connect(path) as conn:
        conn.execute("create schema raw")
    assert duckdb_load.raw_schema_is_foreign(path)  # a raw schema the loader did not make
    with duckdb_load.connect(path) as conn:
        duckdb_load.create_raw_schema(conn)
    assert not duckdb_load.raw_schema_is_foreign(path)
    with duckdb_load.connect(path) as conn:
        conn.execute("create table raw.landed_by_someone (id integer)")
    assert duckdb_load.raw_schema_is_foreign(path)


def test_the_path_follows_the_variable_and_defaults_under_the_repository(tmp_path):
    target = tmp_path / "sub" / "x.duckdb"
    assert duckdb_load.duckdb_path({duckdb_load.PATH_VARIABLE: str(target)}) == target
    assert target.parent.is_dir()
    assert duckdb_load.duckdb_path({}) == duckdb_load.DEFAULT_PATH
