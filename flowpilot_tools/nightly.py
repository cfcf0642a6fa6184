"""The nightly job: ``flowpilot nightly`` (docs/operations.md).

One run, unattended, against the warehouse of the libpq variables (the embedded server
without ``PGHOST``):

1. takes a lock on the warehouse so that two runs never overlap;
2. ``dbt source freshness`` (warn and error after the hours of the vars freshness_warn_hours
   and freshness_error_hours of dbt_project.yml, 26 and 50); a stale
   source stops the run before the build: the marts keep describing the last good night;
3. ``dbt build`` of everything but the history (selector nightly: without_history less the
   tests tagged full_build_only, which a full build and CI run) with ``as_of`` =
   the start of the run (ISO-8601, ``+00:00``), without the unit tests (UNIT_TESTS_LEFT_OUT);
   every mart is swapped in only after its own tests and the volume guard passed
   (macros/audit.sql);
4. when the build failed: if the server was reset meanwhile (a backend killed, a crash, a
   full WAL disk: the postmaster's start time changed), the build again, whole; otherwise
   ``dbt retry`` once (only the failed and skipped nodes), with the same vars;
5. only when the build succeeded whole: the history step appends this night's period marts
   to the history tables (selector history, var publish_history, no unit tests); a night
   that failed or was refused appends nothing, and a rerun of the same night replaces its
   rows;
6. keeps dbt's artifacts in ``runs/<run id>/target`` and appends a start and an end record
   to the JSON-lines run log ``runs/nightly.jsonl`` (status, per-model rows and seconds,
   failing nodes and their messages, server resets and what was rebuilt);
7. exits 0 when everything was built (warnings allowed), 1 naming what failed otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from flowpilot_tools import PROJECT_ROOT, warehouse
from flowpilot_tools.project import FRESHNESS_ERROR_HOURS, FRESHNESS_WARN_HOURS, parse_as_of
from flowpilot_tools.dbt import BIN, tool_env

DEFAULT_RUNS_DIR = PROJECT_ROOT / "runs"
RUN_LOG_NAME = "nightly.jsonl"
_LOCK_TIMEOUT = re.compile(r"^[0-9]{1,9}(ms|s|min|h)?$")
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$")
_ERROR_START = re.compile(
    r"(Encountered an error|Compilation Error|Database Error|Runtime Error|Parsing Error"
    r"|Dependency Error|Env var required|Could not|error:)",
    re.IGNORECASE,
)
_LOG_PREFIX = re.compile(r"^(\x1b\[[0-9;]*m)*[0-9:.]{8,15}\s+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAILED_STATUSES = {"error", "fail", "runtime error"}
# The night's data is checked by the data tests. The unit tests check the code on fixed
# inputs: the night runs the commit CI tested (scripts/test.sh runs every unit test), so they
# would only repeat that, at a fixed cost of some ten seconds a night (DECISIONLOG 21).
UNIT_TESTS_LEFT_OUT = ("--exclude-resource-type", "unit_test")


@dataclass
class NightlyOptions:
    as_of: str | None = None
    runs_dir: Path = DEFAULT_RUNS_DIR
    log_path: Path | None = None
    warn_after_hours: int = FRESHNESS_WARN_HOURS
    error_after_hours: int = FRESHNESS_ERROR_HOURS
    lock_timeout: str = "60s"
    keep_runs: int = 30
    retry: bool = True
    # seconds to wait for a server in crash recovery before the run gives up
    recovery_wait_seconds: float = 180.0


@dataclass
class Step:
    name: str
    exit_code: int
    seconds: float
    output: str = field(repr=False, default="")

    def record(self) -> dict[str, Any]:
        return {"step": self.name, "exit_code": self.exit_code, "seconds": round(self.seconds, 2)}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.timezone.utc).isoformat()


# -- dbt steps -------------------------------------------------------------------------------
def run_dbt_step(
    name: str, args: Sequence[str], env: Mapping[str, str], target: Path, pgoptions: str
) -> Step:
    """Run one dbt command, echoing its output, with this run's target and log path."""
    command = [str(BIN / "dbt"), *args, "--target-path", str(target)]
    extra = {"DBT_LOG_PATH": str(target / "logs"), "DBT_USE_COLORS": "false"}
    run_env = tool_env(env, **extra)
    if pgoptions:
        run_env["PGOPTIONS"] = f"{run_env.get('PGOPTIONS', '')} {pgoptions}".strip()
    print(f"\n== nightly: dbt {' '.join(args[:1])}", flush=True)
    started = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=run_env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
        exit_code = process.wait()
    sys.stdout.flush()
    return Step(name, exit_code, time.monotonic() - started, "".join(lines))


def error_summary(output: str, limit: int = 1500) -> str:
    """The error dbt printed (e.g. a hook's compilation error), without timestamps."""
    lines = [_LOG_PREFIX.sub("", _ANSI.sub("", line)).rstrip() for line in output.splitlines()]
    for index, line in enumerate(lines):
        if _ERROR_START.search(line) and not line.lstrip().startswith(("Done.", "Finished")):
            block = [text.strip() for text in lines[index:index + 8] if text.strip()]
            return " ".join(block)[:limit]
    tail = [line.strip() for line in lines if line.strip()][-3:]
    return " ".join(tail)[:limit] or "no output"


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def freshness_records(sources: dict[str, Any] | None) -> list[dict[str, Any]]:
    records = []
    for result in (sources or {}).get("results", []):
        age = result.get("max_loaded_at_time_ago_in_s")
        records.append({
            "source": result["unique_id"].split(".", 2)[-1],
            "status": result.get("status"),
            "max_loaded_at": result.get("max_loaded_at"),
            "hours_since_load": None if age is None else round(age / 3600, 2),
            "message": result.get("error") or None,
        })
    return sorted(records, key=lambda r: r["source"])


def merge_results(*attempts: tuple[str, dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """The last result of each node over the (step name, run results) attempts, in order: a
    retry or rebuild overrides the build."""
    merged: dict[str, dict[str, Any]] = {}
    for attempt, results in attempts:
        for result in (results or {}).get("results", []):
            merged[result["unique_id"]] = {**result, "attempt": attempt}
    return merged


def node_name(unique_id: str) -> str:
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) > 3:
        return parts[2]
    return parts[-1]


def summarize(merged: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    models, failures, skipped, warnings = [], [], [], []
    tests: dict[str, int] = {}
    for unique_id, result in merged.items():
        kind = unique_id.split(".")[0]
        status = result.get("status")
        if kind in ("model", "seed", "snapshot"):
            response = result.get("adapter_response") or {}
            models.append({
                "node": node_name(unique_id),
                "status": status,
                "rows": response.get("rows_affected"),
                "seconds": round(result.get("execution_time") or 0.0, 3),
                "attempt": result["attempt"],
            })
        elif kind in ("test", "unit_test"):
            tests[status] = tests.get(status, 0) + 1
        if status in FAILED_STATUSES:
            message = " ".join((result.get("message") or "").split())[:1500]
            if kind == "test" and result.get("relation_name"):
                # a test that stores its failures: where the on-call engineer reads them
                message += f"; failing rows: select * from {result['relation_name']}"
            failures.append({
                "node": node_name(unique_id),
                "unique_id": unique_id,
                "status": status,
                "message": message,
            })
        elif status == "skipped":
            skipped.append(node_name(unique_id))
        elif status == "warn":
            warnings.append(node_name(unique_id))
    return {
        "models": sorted(models, key=lambda m: m["node"]),
        "tests": dict(sorted(tests.items())),
        "failures": sorted(failures, key=lambda f: f["unique_id"]),
        "skipped": sorted(skipped),
        "warnings": sorted(warnings),
    }


# -- run log and artifacts -------------------------------------------------------------------
def append_log(path: Path, record: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record, sort_keys=False, default=str) + "\n")


def new_run_dir(runs_dir: Path, started: dt.datetime) -> tuple[str, Path]:
    base = started.strftime("%Y%m%dT%H%M%SZ")
    run_id, n = base, 1
    while (runs_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    path = runs_dir / run_id
    (path / "target").mkdir(parents=True)
    return run_id, path


def prune_runs(runs_dir: Path, keep: int) -> list[str]:
    """Delete the oldest run folders beyond the newest KEEP (only folders named like runs)."""
    if keep <= 0:
        return []
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir() and _RUN_ID.match(p.name))
    removed = []
    for path in runs[:-keep]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def copy_if_exists(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copyfile(source, target)


# -- the server ------------------------------------------------------------------------------
def wait_for_server(env: Mapping[str, str], seconds: float) -> bool:
    """True once the server accepts connections (after crash recovery), within SECONDS."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with warehouse.connect(env) as conn:
                conn.execute("select 1")
                return True
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(1.0)


class ResetSentinel:
    """A one-row UNLOGGED table, <prefix>_ops.reset_sentinel. PostgreSQL empties every
    unlogged table in crash recovery - after a backend killed by a signal (the OOM killer), a
    PANIC (a full WAL disk), a crash or an immediate shutdown - and keeps them over a clean
    restart. The run writes the row when it starts; finding the table empty later means the
    server was reset in between. (pg_postmaster_start_time() does not move in crash
    recovery: the postmaster survives it.)"""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        prefix = os.environ.get("FLOWPILOT_SCHEMA", "flowpilot")
        self.table = f"{prefix}_ops.reset_sentinel"

    def arm(self, run_id: str) -> bool | None:
        """Write this run's row; whether the server was reset since the last run armed it
        (None when no run ever did)."""
        with warehouse.connect(self.env) as conn:
            existed = conn.execute("select to_regclass(%s) is not null",
                                   (self.table,)).fetchone()[0]
            conn.execute(f"create schema if not exists {self.table.split('.')[0]}")
            conn.execute(f"create unlogged table if not exists {self.table} "
                         "(run_id text not null, armed_at timestamptz not null)")
            emptied = conn.execute(f"select not exists (select from {self.table})").fetchone()[0]
            conn.execute(f"delete from {self.table}")
            conn.execute(f"insert into {self.table} values (%s, now())", (run_id,))
        return bool(emptied) if existed else None

    def tripped(self) -> bool:
        with warehouse.connect(self.env) as conn:
            return conn.execute(f"select not exists (select from {self.table})").fetchone()[0]


class RunLock:
    """The advisory lock that keeps two runs apart, held by one session. A server reset ends
    that session and so releases the lock: ``ensure`` takes it again before the run goes on."""

    def __init__(self, env: Mapping[str, str]):
        self.env, self.conn = env, None

    def ensure(self) -> bool:
        if self.conn is not None and not self.conn.closed:
            try:
                self.conn.execute("select 1")
                return True
            except psycopg.Error:
                pass
        self.close()
        self.conn = psycopg.connect(warehouse.conninfo(self.env), autocommit=True)
        return self.conn.execute(
            "select pg_try_advisory_lock(hashtext(%s))", (lock_key(self.env),)
        ).fetchone()[0]

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg.Error:
                pass
            self.conn = None


# -- the job ---------------------------------------------------------------------------------
def lock_key(env: Mapping[str, str]) -> str:
    return f"flowpilot nightly {os.environ.get('FLOWPILOT_SCHEMA', 'flowpilot')}"


def run(env: Mapping[str, str], options: NightlyOptions) -> int:
    started = utc_now()
    as_of = options.as_of or iso(started.replace(microsecond=0))
    runs_dir = options.runs_dir.resolve()
    log_path = (options.log_path or runs_dir / RUN_LOG_NAME).resolve()
    run_id, run_dir = new_run_dir(runs_dir, started)
    target = run_dir / "target"
    dbt_vars = json.dumps({
        "as_of": as_of,
        "freshness_warn_hours": options.warn_after_hours,
        "freshness_error_hours": options.error_after_hours,
    })
    pgoptions = f"-c lock_timeout={options.lock_timeout}" if options.lock_timeout else ""
    base = {
        "run_id": run_id,
        "as_of": as_of,
        "database": env.get("PGDATABASE"),
        "host": env.get("PGHOST"),
        "runner": socket.gethostname(),
        "artifacts": str(run_dir),
    }
    append_log(log_path, {"event": "start", **base, "started_at": iso(started)})
    print(f"nightly {run_id}: as_of {as_of}, database {env.get('PGDATABASE')}, "
          f"artifacts in {run_dir}", flush=True)

    steps: list[Step] = []
    freshness: list[dict[str, Any]] = []
    summary: dict[str, Any] = summarize({})
    failures: list[dict[str, Any]] = []
    resets: list[dict[str, Any]] = []
    status = "failed"
    reset_since_last_run = None
    lock = RunLock(env)
    try:
        if not lock.ensure():
            failures.append({"node": "lock", "status": "error", "message":
                             "another nightly run holds the lock on this database"})
        else:
            sentinel = ResetSentinel(env)
            reset_since_last_run = sentinel.arm(run_id)
            night = NightRun(env, target, dbt_vars, pgoptions, options, steps, lock, resets,
                             sentinel, run_id)
            status, freshness, summary, failures = night.execute()
    except Exception as error:  # the run log must say why a run ended, whatever happened
        failures.append({"node": "nightly", "status": "error",
                         "message": f"{type(error).__name__}: {error}"})
        status = "failed"
    finally:
        lock.close()

    ended = utc_now()
    exit_code = 0 if status in ("success", "warn") else 1
    record = {
        "event": "end",
        **base,
        "started_at": iso(started),
        "ended_at": iso(ended),
        "seconds": round((ended - started).total_seconds(), 2),
        "status": status,
        "exit_code": exit_code,
        "steps": [step.record() for step in steps],
        "server_reset_since_last_run": reset_since_last_run,
        "server_resets": resets,
        "freshness": freshness,
        **summary,
        "failures": failures,
    }
    (run_dir / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    append_log(log_path, record)
    removed = prune_runs(runs_dir, options.keep_runs)
    print(_headline(record, removed), flush=True)
    return exit_code


class NightRun:
    """The steps of one run after the lock: freshness, build, retry or rebuild, history."""

    def __init__(self, env: Mapping[str, str], target: Path, dbt_vars: str, pgoptions: str,
                 options: NightlyOptions, steps: list[Step], lock: RunLock,
                 resets: list[dict[str, Any]], sentinel: ResetSentinel, run_id: str):
        self.env, self.target, self.dbt_vars, self.pgoptions = env, target, dbt_vars, pgoptions
        self.options, self.steps, self.lock, self.resets = options, steps, lock, resets
        self.sentinel, self.run_id = sentinel, run_id

    def dbt(self, name: str, args: Sequence[str]) -> tuple[Step, dict[str, Any] | None]:
        """One dbt step; its run results (kept as run_results.<name>.json) or None."""
        results_path = self.target / "run_results.json"
        before = results_path.stat().st_mtime_ns if results_path.exists() else None
        step = run_dbt_step(name, args, self.env, self.target, self.pgoptions)
        self.steps.append(step)
        written = results_path.exists() and results_path.stat().st_mtime_ns != before
        # (kept in place, not moved: dbt retry reads the last run_results.json)
        results = read_json(results_path) if written else None
        copy_if_exists(results_path, self.target / f"run_results.{name}.json")
        return step, results

    def reset_after(self, step: Step) -> bool:
        """True when the server was reset during STEP (the sentinel was emptied): waits for
        the crash recovery to end, records the reset, arms the sentinel and takes the run
        lock again (the reset ended the session that held it)."""
        wait = self.options.recovery_wait_seconds
        if not wait_for_server(self.env, wait):
            raise RuntimeError(
                f"the server did not accept connections for {wait:.0f} s after the "
                f"{step.name} step failed (down, or still in crash recovery): nothing more was "
                "built; each mart holds the last good night or a whole new one")
        if not self.sentinel.tripped():
            return False
        self.resets.append({"during": step.name, "detected_at": iso(utc_now())})
        if not self.lock.ensure():
            raise RuntimeError("after the server reset another nightly run took the lock")
        self.sentinel.arm(self.run_id)
        return True

    def execute(self) -> tuple[str, list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
        # 1. freshness: a stale source stops the run before the build
        step, _ = self.dbt("freshness", ["source", "freshness", "--vars", self.dbt_vars])
        sources = read_json(self.target / "sources.json")
        copy_if_exists(self.target / "sources.json", self.target / "sources.freshness.json")
        freshness = freshness_records(sources)
        stale = [f for f in freshness if f["status"] in ("error", "runtime error")]
        if stale or (step.exit_code != 0 and sources is None):
            failures = [{
                "node": f"source {f['source']}",
                "status": "stale" if f["status"] == "error" else f["status"],
                "message": f["message"] or (
                    f"last row loaded {f['hours_since_load']} hours ago ({f['max_loaded_at']}); "
                    f"error after {self.options.error_after_hours} hours"
                ),
            } for f in stale] or [{"node": "freshness", "status": "error",
                                   "message": error_summary(step.output)}]
            return "failed", freshness, summarize({}), failures

        # 2. build; 3. after a server reset the build again, whole, else one dbt retry
        build_args = ["build", "--selector", "nightly", *UNIT_TESTS_LEFT_OUT,
                      "--vars", self.dbt_vars]
        step, results = self.dbt("build", build_args)
        attempts = [("build", results)]
        if step.exit_code != 0:
            reset = self.reset_after(step)
            if reset and self.options.retry:
                # dbt retry would rerun only the failed nodes; after a reset everything is
                # rebuilt, so nothing of this night rests on what the crash interrupted
                self.resets[-1]["action"] = "the build again, whole"
                step, results = self.dbt("rebuild", build_args)
                attempts.append(("rebuild", results))
            elif reset:
                self.resets[-1]["action"] = "none (--no-retry): the run fails"
            elif self.options.retry and results is not None:
                step, results = self.dbt("retry", ["retry"])
                attempts.append(("retry", results))

        # 4. history, only after a build that succeeded whole; once more after a failure
        # (each history table replaces the night's rows in one transaction: never twice)
        if step.exit_code == 0:
            history_vars = json.dumps({**json.loads(self.dbt_vars), "publish_history": True})
            history_args = ["build", "--selector", "history", *UNIT_TESTS_LEFT_OUT,
                            "--vars", history_vars]
            step, results = self.dbt("history", history_args)
            attempts.append(("history", results))
            if step.exit_code != 0:
                reset = self.reset_after(step)
                if reset:
                    self.resets[-1]["action"] = (
                        "the history step again" if self.options.retry else "none (--no-retry)")
                if self.options.retry:
                    step, results = self.dbt("history_retry", history_args)
                    attempts.append(("history_retry", results))

        summary = summarize(merge_results(*attempts))
        failures = list(summary.pop("failures"))
        last = self.steps[-1]
        if last.exit_code != 0 and not failures:
            # no node failed: the invocation itself did (a hook, the raw contract, the project)
            failures.append({"node": f"dbt {last.name}", "status": "error",
                             "message": error_summary(last.output)})
        if failures:
            return "failed", freshness, summary, failures
        warned = any(f["status"] == "warn" for f in freshness)
        return ("warn" if warned else "success"), freshness, summary, []


def _headline(record: Mapping[str, Any], removed: Sequence[str]) -> str:
    models = record.get("models", [])
    tests = record.get("tests", {})
    text = (
        f"\nnightly {record['run_id']}: {record['status'].upper()} in {record['seconds']} s "
        f"(as_of {record['as_of']}): {sum(m['status'] == 'success' for m in models)} of "
        f"{len(models)} models built, tests {json.dumps(tests)}"
    )
    for reset in record.get("server_resets", []):
        text += (f"\n  SERVER RESET during the {reset['during']} step (crash recovery, seen "
                 f"{reset['detected_at']}): {reset.get('action', 'the run fails')}")
    if record.get("server_reset_since_last_run"):
        text += "\n  the server was reset (crash recovery) since the last run"
    stale = [f["source"] for f in record.get("freshness", []) if f["status"] == "warn"]
    if stale:
        text += f"\n  freshness warning: {', '.join(stale)}"
    for failure in record.get("failures", []):
        text += f"\n  FAILED {failure['node']} ({failure['status']}): {failure['message']}"
    if record.get("skipped"):
        text += f"\n  skipped: {', '.join(record['skipped'])}"
    text += f"\n  run log: {record['artifacts']}/run.json"
    if removed:
        text += f"\n  pruned {len(removed)} old run folder(s)"
    return text


# -- command line ----------------------------------------------------------------------------
def _as_of_arg(text: str) -> str:
    try:
        return parse_as_of(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of {text!r}: expected an ISO-8601 timestamp with a UTC offset, "
            "e.g. 2026-04-27T02:15:00+00:00"
        ) from None


def _hours_arg(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 8760:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of hours from 1 to 8760")
    return int(text)


def _lock_timeout_arg(text: str) -> str:
    if not _LOCK_TIMEOUT.match(text):
        raise argparse.ArgumentTypeError(f"{text!r}: e.g. 60s, 500ms, 5min, 0 (no limit)")
    return text


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "nightly",
        help="the nightly job: freshness, build at the run's start, one retry, history, run log",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--as-of", type=_as_of_arg, default=None,
                        help="the instant the marts describe (default: the start of the run)")
    parser.add_argument("--runs-dir", type=Path, default=DEFAULT_RUNS_DIR,
                        help="where each run's artifacts go (default: runs/)")
    parser.add_argument("--log", type=Path, default=None,
                        help="the JSON-lines run log (default: <runs-dir>/nightly.jsonl)")
    parser.add_argument("--warn-after-hours", type=_hours_arg, default=FRESHNESS_WARN_HOURS,
                        help="source freshness: warn after N hours without new rows "
                             f"({FRESHNESS_WARN_HOURS}, the var freshness_warn_hours)")
    parser.add_argument("--error-after-hours", type=_hours_arg, default=FRESHNESS_ERROR_HOURS,
                        help="source freshness: fail the run after N hours "
                             f"({FRESHNESS_ERROR_HOURS}, the var freshness_error_hours)")
    parser.add_argument("--lock-timeout", type=_lock_timeout_arg, default="60s",
                        help="longest wait of a statement for a lock, e.g. for BI readers "
                             "before a swap (PostgreSQL lock_timeout; 0 = no limit; 60s)")
    parser.add_argument("--keep-runs", type=int, default=30,
                        help="run folders to keep in --runs-dir (0 = keep all; 30)")
    parser.add_argument("--no-retry", dest="retry", action="store_false",
                        help="do not run dbt retry after a failed build")
    parser.set_defaults(func=cmd_nightly)


def cmd_nightly(args: argparse.Namespace) -> int:
    if args.warn_after_hours >= args.error_after_hours:
        print("flowpilot nightly: --warn-after-hours must be less than --error-after-hours",
              file=sys.stderr)
        return 2
    options = NightlyOptions(
        as_of=args.as_of,
        runs_dir=args.runs_dir,
        log_path=args.log,
        warn_after_hours=args.warn_after_hours,
        error_after_hours=args.error_after_hours,
        lock_timeout=args.lock_timeout,
        keep_runs=args.keep_runs,
        retry=args.retry,
    )
    return run(warehouse.connection_env(), options)
