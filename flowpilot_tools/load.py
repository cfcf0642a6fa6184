"""Load generated data into the raw schema with COPY.

``load`` recreates schema ``raw`` from the project's copy of the raw contract
(``contract/raw_schema.sql``), streams the generator's rows with COPY from two
worker processes (one per core), then creates the indexes the build relies on
(``contract/raw_indexes.sql``, what the application's loader should create too)
and analyzes the tables.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.generate import COLUMNS, TABLES, Scale, generate_accounts, global_categories
from flowpilot_tools.raw_contract import RAW_SCHEMA_SQL
from flowpilot_tools.warehouse import connect

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


def stream_generated(scale: Scale, worker: int, workers: int,
                     write: Mapping[str, Callable[[str], object]]) -> dict[str, int]:
    """Send this worker's accounts (every WORKERS-th from WORKER) as COPY text lines to
    WRITE[table], in blocks of FLUSH_LINES lines; the lines per table."""
    counts = {table: 0 for table in TABLES}
    buffers: dict[str, list[str]] = {table: [] for table in TABLES}
    if worker == 0 and not scale.batch:
        buffers["tree_categories"].extend(global_categories(scale))
        counts["tree_categories"] = len(buffers["tree_categories"])
    for rows in generate_accounts(scale, range(worker, scale.accounts, workers)):
        for table, lines in rows.items():
            if not lines:
                continue
            counts[table] += len(lines)
            buffers[table].extend(lines)
            if len(buffers[table]) >= FLUSH_LINES:
                write[table]("".join(buffers[table]))
                buffers[table].clear()
    for table in TABLES:
        if buffers[table]:
            write[table]("".join(buffers[table]))
    return counts


def _worker(args: tuple[Scale, int, int, dict[str, str], str | None]) -> dict[str, int]:
    scale, worker, workers, env, database = args
    with ExitStack() as stack:
        copies = {}
        for table in TABLES:
            conn = stack.enter_context(connect(env, database))
            conn.autocommit = False
            cursor = stack.enter_context(conn.cursor())
            copies[table] = stack.enter_context(cursor.copy(_copy_statement(table)))
        counts = stream_generated(scale, worker, workers,
                                  {table: copy.write for table, copy in copies.items()})
    # Leaving the ExitStack ended each COPY and committed each connection.
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


# Updates of rows landed earlier, as a later landing brings them: old sessions resolved, pending
# handoffs claimed (and acted upon: a new step after the claim), identical replays of old steps.
# %(day_start)s is the first instant of the new day, %(landed)s the landing instant; rows are
# chosen by a hash of their id, so the same batch always updates the same rows.
REPLAYS_SQL = """
insert into raw.ai_sessions
select id, account_id, user_id, 'resolved', problem_description, problem_domain,
       confidence_tier, matched_flow_id, psa_ticket_id, step_count, session_rating, created_at,
       created_at + interval '47 minutes', created_at + interval '47 minutes',
       %(landed)s + interval '5 minutes'
from raw.ai_sessions
where lower(trim(status)) = 'active' and resolved_at is null and created_at < %(day_start)s
  and abs(hashtext(id::text || %(batch)s)) %% 4 = 0;

create temporary table claimed_now on commit drop as
select id, session_id, account_id, requested_by_user_id, reason, created_at
from raw.session_handoffs
where claimed_at is null and lower(trim(status)) = 'pending' and created_at < %(day_start)s
  and abs(hashtext(id::text || %(batch)s)) %% 3 = 0;

insert into raw.session_handoffs
select id, session_id, account_id, requested_by_user_id, requested_by_user_id, reason,
       'claimed', created_at, %(day_start)s + interval '20 hours', %(landed)s + interval '5 minutes'
from claimed_now;

insert into raw.ai_session_steps
select md5(id::text || 'senior acts' || %(batch)s)::uuid, session_id, 99, 'action',
       'Senior took over', %(day_start)s + interval '20 hours 90 seconds',
       %(landed)s + interval '5 minutes'
from claimed_now;

insert into raw.ai_session_steps
select id, session_id, step_number, step_type, content, created_at,
       %(landed)s + interval '6 minutes'
from raw.ai_session_steps
where created_at < %(day_start)s and abs(hashtext(id::text || %(batch)s)) %% 2000 = 7;
"""


def append(scale: Scale, env: Mapping[str, str], database: str | None = None,
           workers: int = 2) -> LoadResult:
    """Land a later batch (scale.batch > 0) on top of schema raw: new rows and updates.

    Landing is monotonic, as replication's clock is: unless scale.landed_at says otherwise,
    the batch lands a minute after the newest _loaded_at already in raw.
    """
    if not scale.batch:
        raise ValueError("append needs a Scale with batch > 0")
    started = time.perf_counter()
    if scale.landed_at is None:
        with connect(env, database) as conn:
            newest = conn.execute(
                " union all ".join(f"select max(_loaded_at) from raw.{table}" for table in TABLES)
                .join(("select max(m) from (", ") as maxima (m)"))
            ).fetchone()[0]
        scale = dataclasses.replace(scale, landed_at=newest + timedelta(minutes=1))
    jobs = [(scale, worker, workers, dict(env), database) for worker in range(workers)]
    if workers == 1:
        results = [_worker(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_worker, jobs)
    rows = {table: sum(result[table] for result in results) for table in TABLES}
    day_start = scale.as_of - timedelta(days=scale.days)
    with connect(env, database) as conn:
        params = {"day_start": day_start, "landed": scale.landed_at, "batch": str(scale.batch)}
        with conn.transaction():
            for statement in REPLAYS_SQL.split(";\n\n"):
                conn.execute(statement, params)
        conn.execute("analyze raw.ai_sessions, raw.ai_session_steps, raw.session_handoffs, "
                     "raw.psa_post_logs, raw.psa_activity_logs")
    return LoadResult(rows=rows, seconds=time.perf_counter() - started)
