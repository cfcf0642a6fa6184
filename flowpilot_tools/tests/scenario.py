"""Hand-written raw rows on a throwaway database, built with dbt, read back.

A ``Scenario`` owns one database on the warehouse server (embedded or the one
the libpq variables name): it creates the raw schema from the project's
contract, takes rows per raw table (the NOT NULL columns the test does not
care about get defaults), runs dbt into it, and answers queries.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from flowpilot_tools import warehouse
from flowpilot_tools.dbt import run_dbt
from flowpilot_tools.generate import COLUMNS, Scale
from flowpilot_tools.load import create_raw_indexes, create_raw_schema, load

UTC = dt.timezone.utc
NAMESPACE = uuid.UUID("6f1c1d1e-0000-4000-8000-000000000000")
MARTS = "flowpilot_marts"
INTERMEDIATE = "flowpilot_intermediate"
FACTS = "flowpilot_facts"
STAGING = "flowpilot_staging"


def uid(name: str) -> uuid.UUID:
    """A stable uuid for a readable name: uid('acme') is the same in every test."""
    return uuid.uuid5(NAMESPACE, name)


def ts(text: str) -> dt.datetime:
    """An instant from 'YYYY-MM-DD HH:MM[:SS[.ffffff]]' read as UTC, or with its own offset."""
    instant = dt.datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


EPOCH = ts("2026-01-01 00:00")
# Defaults for NOT NULL columns a scenario leaves out.
DEFAULTS: dict[str, dict[str, Any]] = {
    "accounts": {"created_at": EPOCH},
    "users": {"created_at": EPOCH},
    "tree_categories": {"name": "network"},
    "trees": {"name": "A flow", "is_active": True, "created_at": EPOCH},
    "ai_sessions": {"status": "active", "step_count": 1},
    "ai_session_steps": {},
    "session_handoffs": {},
    "flow_proposals": {"status": "pending"},
    "psa_post_logs": {"status": "success", "retry_count": 0},
    "psa_activity_logs": {"activity_type": "note_posted"},
}
LOADED_AT = ts("2026-01-01 00:00")


class BuildFailed(AssertionError):
    pass


class Scenario:
    def __init__(self, env: Mapping[str, str], name: str):
        self.database = f"fpt_{name}_{uuid.uuid4().hex[:8]}"
        self.env = dict(env, PGDATABASE=self.database)
        warehouse.ensure_database(self.database, env)
        self._admin_env = dict(env)
        create_raw_schema(self.env)
        self.target_path = Path(tempfile.mkdtemp(prefix="fpt_target_"))

    def close(self) -> None:
        warehouse.drop_database(self.database, self._admin_env)
        shutil.rmtree(self.target_path, ignore_errors=True)

    # -- input ------------------------------------------------------------------------
    def insert(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert rows into raw.TABLE; ids may be readable names (turned into uuids by uid)."""
        columns = COLUMNS[table]
        with warehouse.connect(self.env) as conn:
            for row in rows:
                unknown = set(row) - set(columns)
                if unknown:
                    raise KeyError(f"raw.{table} has no column {sorted(unknown)}")
                values = {**DEFAULTS[table], "_loaded_at": LOADED_AT, **row}
                if "id" not in values:
                    values["id"] = str(uuid.uuid4())
                names = list(values)
                conn.execute(
                    sql.SQL("insert into raw.{} ({}) values ({})").format(
                        sql.Identifier(table),
                        sql.SQL(", ").join(map(sql.Identifier, names)),
                        sql.SQL(", ").join(sql.Placeholder() * len(names)),
                    ),
                    [self._value(name, values[name]) for name in names],
                )

    @staticmethod
    def _value(column: str, value: Any) -> Any:
        id_column = column == "id" or column.endswith("_id") and column != "psa_ticket_id"
        if id_column and isinstance(value, str):
            try:
                return str(uuid.UUID(value))
            except ValueError:
                return uid(value)
        if isinstance(value, dict):
            return json.dumps(value)
        return value

    # -- build ------------------------------------------------------------------------
    def dbt(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None,
            artifacts: bool = False) -> str:
        """Run dbt against this scenario's database; ENV adds environment variables.

        ARTIFACTS: dbt writes its JSON artifacts (manifest.json, semantic_manifest.json,
        run_results.json) and its debug log file (logs/dbt.log) into the target path. Off
        unless a test reads them: a build of the test data spends about a quarter of its CPU
        time writing them (DECISIONLOG 20); the console output, which the tests read, is the
        same, and partial parsing keeps its own file (partial_parse.msgpack)."""
        extra = dict(env or {})
        if not artifacts:
            extra.setdefault("DBT_WRITE_JSON", "false")
            extra.setdefault("DBT_LOG_LEVEL_FILE", "none")
        result = dbt_in_process(list(args), self.env, self.target_path, **extra)
        output = result.stdout + result.stderr
        if check and result.returncode != 0:
            raise BuildFailed(f"dbt {' '.join(args)} failed:\n{output[-6000:]}")
        return output

    def build(
        self, as_of: str, *extra: str, env: Mapping[str, str] | None = None,
        publish_history: bool = False, artifacts: bool = False, **more_vars: Any
    ) -> str:
        """Seeds and models (no tests) with the given as_of; PUBLISH_HISTORY: the history
        tables too, in the same invocation (as the nightly's two steps would write them);
        ARTIFACTS as for dbt()."""
        variables = {"as_of": as_of, **more_vars}
        selection: tuple[str, ...] = ()
        if publish_history:
            variables["publish_history"] = True
            selection = ("--select", "fqn:*")
        return self.dbt(
            "build", "--exclude-resource-type", "test", "unit_test", "--vars",
            json.dumps(variables), *selection, *extra, env=env, artifacts=artifacts,
        )

    def load_generated(self, scale: Scale) -> None:
        """Fill the raw tables with generated data (replacing what is there)."""
        load(scale, self.env, workers=1)

    def snapshot(
        self,
        schemas: Iterable[str] = (INTERMEDIATE, MARTS),
        exclude: Mapping[str, str] | None = None,
    ) -> dict[str, list[tuple]]:
        """Every table of the given schemas, rows sorted: for comparing two builds.

        EXCLUDE maps a table to one column left out (bookkeeping such as a watermark).
        """
        tables = self.query(
            "select table_schema || '.' || table_name as name from information_schema.tables "
            "where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
            (list(schemas),),
        )
        result = {}
        with warehouse.connect(self.env) as conn:
            for table in tables:
                columns = "*"
                if exclude and table["name"] in exclude:
                    names = self.query(
                        "select column_name from information_schema.columns "
                        "where table_schema || '.' || table_name = %s and column_name <> %s "
                        "order by ordinal_position",
                        (table["name"], exclude[table["name"]]),
                    )
                    columns = ", ".join(row["column_name"] for row in names)
                rows = conn.execute(f"select {columns} from {table['name']}").fetchall()
                result[table["name"]] = sorted(rows, key=repr)
        return result

    def add_raw_indexes(self) -> None:
        create_raw_indexes(self.env)

    # -- output -----------------------------------------------------------------------
    def query(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        with warehouse.connect(self.env) as conn:
            with conn.cursor(row_factory=dict_row) as cursor:
                cursor.execute(query, params)
                return cursor.fetchall()

    def rows(self, relation: str, where: str = "true", order_by: str = "1") -> list[dict]:
        """All rows of SCHEMA.RELATION (e.g. 'flowpilot_marts.dim_accounts')."""
        return self.query(f"select * from {relation} where {where} order by {order_by}")

    def one(self, relation: str, where: str) -> dict[str, Any]:
        found = self.rows(relation, where)
        assert len(found) == 1, f"expected one row of {relation} where {where}, got {found}"
        return found[0]


# -- operations helpers (nightly, security, failure safety) -----------------------------------
HISTORY = "flowpilot_history"
# The marts with a row per account and period (and key): each has a history table.
PER_PERIOD_MARTS = [
    "fct_session_metrics", "fct_mttr_trend", "fct_domain_coverage", "fct_confidence_breakdown",
    "fct_knowledge_coverage", "fct_flow_quality", "fct_psa_funnel", "fct_psa_daily",
    "fct_escalation_metrics",
]
# One statement, so one snapshot: the row count and an md5 of every row's text, in order.
DIGEST_SQL = (
    "select count(*) as n_rows, "
    "md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest "
    "from {relation} as t"
)


def table_digests(scenario: Scenario, schemas: Iterable[str] = (MARTS, HISTORY)) -> dict[str, tuple]:
    """(rows, md5 of the rows' text sorted) of every table in SCHEMAS: byte-level identity."""
    tables = scenario.query(
        "select table_schema || '.' || table_name as name from information_schema.tables "
        "where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
        (list(schemas),),
    )
    digests = {}
    with warehouse.connect(scenario.env) as conn:
        for table in tables:
            row = conn.execute(DIGEST_SQL.format(relation=table["name"])).fetchone()
            digests[table["name"]] = tuple(row)
    return digests


def truncate_raw(scenario: Scenario) -> None:
    """Empty every raw table (keeps the tables, their indexes and the contract).

    Raw is then replaced, not appended to: the next build must be a full refresh, or the
    incremental staging models keep the old rows and skip new ones landed before their
    watermark (the in_step_with_raw tests of a full `dbt build` would say so).
    """
    with warehouse.connect(scenario.env) as conn:
        conn.execute("truncate " + ", ".join(f"raw.{table}" for table in COLUMNS))


# Incremental staging tables keep a copy of their raw table's _loaded_at.
STAGED_COPIES = {table: f"{STAGING}.stg_flowpilot__{table}"
                 for table in ("ai_sessions", "session_handoffs", "psa_post_logs",
                               "psa_activity_logs")}


def age_raw(scenario, hours: float) -> None:
    """Shift every raw table's _loaded_at so that its last row landed HOURS ago (order kept),
    as if time had passed: the copies in the incremental staging tables shift with it (else
    in_step_with_raw rightly reports raw as rewritten)."""
    with warehouse.connect(scenario.env) as conn:
        for table in COLUMNS:
            shift = conn.execute(
                f"select now() - make_interval(secs => %s) - max(_loaded_at) from raw.{table}",
                (hours * 3600,),
            ).fetchone()[0]
            if shift is None:
                continue
            relations = [f"raw.{table}"]
            copy = STAGED_COPIES.get(table)
            if copy and conn.execute("select to_regclass(%s)", (copy,)).fetchone()[0]:
                relations.append(copy)
            for relation in relations:
                conn.execute(f"update {relation} set _loaded_at = _loaded_at + %s", (shift,))


# -- dbt in this process ------------------------------------------------------------------------
# dbt parses the whole project for a new target path or new vars (some 3 s of CPU). It may start
# instead from the parse that a run with the same vars on the same database left (partial
# parsing: dbt itself refuses a saved parse whose vars, profile or project files differ). The
# tests keep the last one per server, database and vars, whatever target path wrote it.
_PARSES = Path(tempfile.mkdtemp(prefix="fpt_parses_"))
atexit.register(shutil.rmtree, _PARSES, ignore_errors=True)


def dbt_in_process(args: list[str], env: Mapping[str, str], target_path: Path,
                   **extra: str) -> subprocess.CompletedProcess:
    """dbt ARGS in this process (flowpilot_tools.dbt.run_dbt), output captured."""
    merged = {**env, **extra}
    key = json.dumps([merged.get(name) for name in (
        "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "FLOWPILOT_SCHEMA")]
        + [args[args.index("--vars") + 1] if "--vars" in args else None])
    saved = _PARSES / f"{hashlib.sha1(key.encode()).hexdigest()}.msgpack"
    command = [*args, "--partial-parse-file-path", str(saved)] if saved.exists() else args
    started = time.time()
    result = run_dbt(command, env, target_path=target_path, capture=True, in_process=True,
                     **extra)
    written = Path(target_path) / "partial_parse.msgpack"
    if written.exists() and written.stat().st_mtime >= started:
        shutil.copyfile(written, saved)
    return result


def run_dbt_step_in_process(name: str, args, env: Mapping[str, str], target: Path,
                            pgoptions: str):
    """flowpilot_tools.nightly.run_dbt_step with dbt run in this process (dbtRunner) instead of
    a subprocess: the same arguments, target and log path, environment and lock timeout, the
    output echoed and kept, the same exit code. The job's own logic (freshness, build, retry
    or rebuild after a reset, history, run log) runs unchanged around it."""
    from flowpilot_tools import nightly

    extra = {"DBT_USE_COLORS": "false"}
    if pgoptions:
        base = env.get("PGOPTIONS", os.environ.get("PGOPTIONS", ""))
        extra["PGOPTIONS"] = f"{base} {pgoptions}".strip()
    print(f"\n== nightly: dbt {' '.join(args[:1])}", flush=True)
    started = time.monotonic()
    result = dbt_in_process(list(args), env, target, **extra)
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    return nightly.Step(name, result.returncode, time.monotonic() - started, result.stdout)
