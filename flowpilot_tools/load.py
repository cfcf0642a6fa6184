"""Load generated data into the raw schema with COPY.

``load`` recreates schema ``raw`` from the project's copy of the raw contract
(``contract/raw_schema.sql``), streams the generator's rows with COPY from two
worker processes (one per core), then creates the indexes the build relies on
(``contract/raw_indexes.sql``, what the application's loader should create too)
and analyzes the tables.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.generate import COLUMNS, TABLES, Scale, generate_accounts, global_categories
from flowpilot_tools.warehouse import connect

RAW_SCHEMA_SQL = PROJECT_ROOT / "contract" / "raw_schema.sql"
RAW_INDEXES_SQL = PROJECT_ROOT / "contract" / "raw_indexes.sql"
FLUSH_LINES = 16384
# Set on the raw schema the loader creates, so that it never replaces one it did not create.
DEMO_MARKER = "flowpilot demo data"


@dataclass
class LoadResult:
    rows: dict[str, int]
    seconds: float


def _copy_statement(table: str) -> str:
    return f"copy raw.{table} ({', '.join(COLUMNS[table])}) from stdin"


def _worker(args: tuple[Scale, int, int, dict[str, str], str | None]) -> dict[str, int]:
    scale, worker, workers, env, database = args
    counts = {table: 0 for table in TABLES}
    with ExitStack() as stack:
        copies = {}
        for table in TABLES:
            conn = stack.enter_context(connect(env, database))
            conn.autocommit = False
            cursor = stack.enter_context(conn.cursor())
            copies[table] = stack.enter_context(cursor.copy(_copy_statement(table)))
        buffers: dict[str, list[str]] = {table: [] for table in TABLES}
        if worker == 0:
            buffers["tree_categories"].extend(global_categories(scale))
            counts["tree_categories"] = len(buffers["tree_categories"])
        for rows in generate_accounts(scale, range(worker, scale.accounts, workers)):
            for table, lines in rows.items():
                if not lines:
                    continue
                counts[table] += len(lines)
                buffers[table].extend(lines)
                if len(buffers[table]) >= FLUSH_LINES:
                    copies[table].write("".join(buffers[table]))
                    buffers[table].clear()
        for table in TABLES:
            if buffers[table]:
                copies[table].write("".join(buffers[table]))
    # Leaving the ExitStack ends each COPY and commits each connection.
    return counts


def create_raw_schema(env: Mapping[str, str], database: str | None = None) -> None:
    """Drop and recreate schema raw from the project's copy of the raw contract."""
    with connect(env, database) as conn:
        conn.execute("drop schema if exists raw cascade")
        conn.execute(RAW_SCHEMA_SQL.read_text())
        conn.execute(f"comment on schema raw is '{DEMO_MARKER}'")


def create_raw_indexes(env: Mapping[str, str], database: str | None = None) -> None:
    with connect(env, database) as conn:
        conn.execute(RAW_INDEXES_SQL.read_text())
        # VACUUM sets the visibility map, so that index-only scans need no heap fetches.
        conn.execute("vacuum analyze raw.accounts, raw.users, raw.tree_categories, raw.trees, "
                     "raw.ai_sessions, raw.ai_session_steps, raw.session_handoffs, "
                     "raw.flow_proposals, raw.psa_post_logs, raw.psa_activity_logs")


def load(
    scale: Scale, env: Mapping[str, str], database: str | None = None, workers: int = 2
) -> LoadResult:
    """Recreate schema raw and fill it with generated data."""
    started = time.perf_counter()
    create_raw_schema(env, database)
    jobs = [(scale, worker, workers, dict(env), database) for worker in range(workers)]
    if workers == 1:
        results = [_worker(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_worker, jobs)
    rows = {table: sum(result[table] for result in results) for table in TABLES}
    create_raw_indexes(env, database)
    return LoadResult(rows=rows, seconds=time.perf_counter() - started)
