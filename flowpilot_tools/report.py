"""What a build produced: every relation with its row count, then headline numbers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flowpilot_tools.warehouse import connect

# Headline queries per mart; a mart that is not built yet is skipped. POSTGRES_ONLY: read
# PostgreSQL's catalog (grants, row-level security), left out on other engines.
POSTGRES_ONLY = {"readers"}
HEADLINES: list[tuple[str, str, str]] = [
    (
        "dim_accounts",
        "accounts: known / only named by activity / known but on UTC (incl. invalid or missing zones)",
        """
        select count(*) filter (where is_known_account),
               count(*) filter (where not is_known_account),
               count(*) filter (where is_known_account and timezone = 'UTC')
        from {schema}.dim_accounts
        """,
    ),
    (
        "dim_accounts",
        "readers: marts readable by flowpilot_bi_reader / under row-level security / all marts",
        """
        select count(*) filter (where has_table_privilege('flowpilot_bi_reader', c.oid, 'select')),
               count(*) filter (where c.relrowsecurity), count(*)
        from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = '{schema}' and c.relkind = 'r'
        """,
    ),
    (
        "fct_session_metrics",
        "30d: sessions, resolution rate, MTTR minutes (all accounts)",
        """
        select sum(total_sessions),
               round(cast(sum(resolved_sessions) as decimal(38, 12)) / nullif(sum(total_sessions), 0), 3),
               round(cast(avg(mttr_minutes) as decimal(38, 12)), 1)
        from {schema}.fct_session_metrics where period = '30d'
        """,
    ),
    (
        "fct_flow_quality",
        "30d flows: live / used / top performers / needing attention",
        """
        select count(*), count(*) filter (where usage_count > 0),
               count(*) filter (where is_top_performer), count(*) filter (where needs_attention)
        from {schema}.fct_flow_quality where period = '30d'
        """,
    ),
    (
        "fct_escalation_metrics",
        "30d: handoffs claimed / with action / unclaimed, median and p95 s (account average)",
        """
        select sum(n_handoffs_claimed), sum(n_handoffs_with_action), sum(n_handoffs_unclaimed),
               round(cast(avg(median_seconds_to_first_action) as decimal(38, 12)), 1),
               round(cast(avg(p95_seconds_to_first_action) as decimal(38, 12)), 1)
        from {schema}.fct_escalation_metrics where period = '30d'
        """,
    ),
    (
        "fct_psa_funnel",
        "30d funnel: sessions > linked > doc pushed > time entry (cohort), hours logged",
        """
        select sum(total_sessions), sum(linked_to_ticket), sum(cohort_doc_pushed),
               sum(cohort_time_entry_logged), sum(total_hours_logged)
        from {schema}.fct_psa_funnel where period = '30d'
        """,
    ),
    (
        "fct_psa_daily",
        "30d: account-days with time entries, entries, hours",
        """
        select count(*), sum(time_entries), sum(hours_logged)
        from {schema}.fct_psa_daily where period = '30d'
        """,
    ),
]


def dbt_schema(layer: str) -> str:
    return f"{os.environ.get('FLOWPILOT_SCHEMA', 'flowpilot')}_{layer}"


RELATIONS_SQL = ("select table_schema, table_name, table_type from information_schema.tables "
                 "where table_schema in ({placeholders})")


def print_report(env: Mapping[str, str], as_of: str, duckdb_path: Path | None = None) -> None:
    """Every relation with its row count, then the headline numbers; DUCKDB_PATH: of that
    DuckDB file (flowpilot demo --target duckdb) instead of the PostgreSQL database of ENV;
    ENV's FLOWPILOT_TARGET=spark: of Spark's warehouse (flowpilot demo --target spark)."""
    schemas = [dbt_schema(layer) for layer in ("staging", "intermediate", "marts", "history")]
    if env.get("FLOWPILOT_TARGET") == "spark":
        from flowpilot_tools import spark_load

        print(spark_load.in_own_process(_spark_report, dict(env), schemas, as_of), end="")
        return
    if duckdb_path is not None:
        from flowpilot_tools import duckdb_load

        with duckdb_load.connect(duckdb_path, read_only=True) as conn:
            query = RELATIONS_SQL.format(placeholders=", ".join("?" * len(schemas)))
            _print_relations(conn, schemas, as_of, conn.execute(query, schemas).fetchall(),
                             postgres=False)
        return
    with connect(env) as conn:
        query = RELATIONS_SQL.format(placeholders=", ".join(["%s"] * len(schemas)))
        _print_relations(conn, schemas, as_of, conn.execute(query, schemas).fetchall(),
                         postgres=True)


def _print_relations(conn, schemas: list[str], as_of: str, relations: list[tuple],
                     postgres: bool) -> None:
    """CONN: a psycopg or a DuckDB connection (both have execute(...).fetchone())."""
    relations = sorted(relations, key=lambda row: (schemas.index(row[0]), row[1]))
    print(f"\nBuilt as of {as_of}:")
    for schema, name, kind in relations:
        count = conn.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        label = "view " if kind == "VIEW" else "table"
        print(f"  {label} {schema}.{name:<40} {count:>12,} rows")
    built = {name for schema, name, _ in relations if schema == schemas[2]}
    print("\nHeadline numbers (demo data):")
    for mart, label, query in HEADLINES:
        if mart not in built or (not postgres and label.split(":")[0] in POSTGRES_ONLY):
            continue
        values = conn.execute(query.format(schema=schemas[2])).fetchone()
        print(f"  {label}: {' / '.join(str(v) for v in values)}")


class _SparkCursor:
    """The part of a DB-API connection that _print_relations uses, over a SparkSession:
    execute(sql).fetchone(), with identifiers quoted as Spark quotes them."""

    def __init__(self, spark):
        self.spark = spark
        self.row: tuple | None = None

    def execute(self, sql: str) -> _SparkCursor:
        rows = self.spark.sql(sql.replace('"', "`")).collect()
        self.row = tuple(rows[0]) if rows else None
        return self

    def fetchone(self) -> tuple | None:
        return self.row


def _spark_report(env: Mapping[str, str], schemas: list[str], as_of: str) -> str:
    """The report of Spark's warehouse as text (run in a process of its own)."""
    import contextlib
    import io

    from flowpilot_tools import spark_load

    text = io.StringIO()
    with spark_load.session(env) as spark, contextlib.redirect_stdout(text):
        relations = [
            (schema, table.name, "VIEW" if table.tableType == "VIEW" else "BASE TABLE")
            for schema in schemas if spark.catalog.databaseExists(schema)
            for table in spark.catalog.listTables(schema)
        ]
        _print_relations(_SparkCursor(spark), schemas, as_of, relations, postgres=False)
    return text.getvalue()
