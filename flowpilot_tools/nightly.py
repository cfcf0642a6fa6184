"""The nightly job: ``flowpilot nightly`` (docs/operations.md).

One run, unattended, against the warehouse of the libpq variables (the embedded server
without ``PGHOST``):

1. takes a lock on the warehouse so that two runs never overlap;
2. ``dbt source freshness`` (warn after 26 hours, error after 50 by default); a stale
   source stops the run before the build: the marts keep describing the last good night;
3. ``dbt build`` with ``as_of`` = the start of the run (ISO-8601, ``+00:00``); the build
   also appends the period marts to the history tables (models/history);
4. when the build failed, ``dbt retry`` once: only the failed and skipped nodes, with the
   same vars;
5. keeps dbt's artifacts in ``runs/<run id>/target`` and appends a start and an end record
   to the JSON-lines run log ``runs/nightly.jsonl`` (status, per-model rows and seconds,
   failing nodes and their messages);
6. exits 0 when everything was built (warnings allowed), 1 naming what failed otherwise.
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

from flowpilot_tools import PROJECT_ROOT, warehouse
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


@dataclass
class NightlyOptions:
    as_of: str | None = None
    runs_dir: Path = DEFAULT_RUNS_DIR
    log_path: Path | None = None
    warn_after_hours: int = 26
    error_after_hours: int = 50
    lock_timeout: str = "60s"
    keep_runs: int = 30
    retry: bool = True


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


def parse_as_of(text: str) -> str:
    """An ISO-8601 instant with offset, returned in UTC with +00:00; ValueError otherwise."""
    instant = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"as_of {text!r} has no UTC offset")
    return iso(instant)


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


def merge_results(*run_results: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The last result of each node over the attempts (a retry overrides the build)."""
    merged: dict[str, dict[str, Any]] = {}
    for attempt, results in zip(("build", "retry"), run_results):
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
    status = "failed"
    try:
        with warehouse.connect(env) as lock_conn:
            locked = lock_conn.execute(
                "select pg_try_advisory_lock(hashtext(%s))", (lock_key(env),)
            ).fetchone()[0]
            if not locked:
                failures.append({"node": "lock", "status": "error", "message":
                                 "another nightly run holds the lock on this database"})
            else:
                status, freshness, summary, failures = _run_steps(
                    env, target, dbt_vars, pgoptions, options, steps
                )
    except Exception as error:  # the run log must say why a run ended, whatever happened
        failures.append({"node": "nightly", "status": "error",
                         "message": f"{type(error).__name__}: {error}"})
        status = "failed"

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
        "freshness": freshness,
        **summary,
        "failures": failures,
    }
    (run_dir / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    append_log(log_path, record)
    removed = prune_runs(runs_dir, options.keep_runs)
    print(_headline(record, removed), flush=True)
    return exit_code


def _run_steps(
    env: Mapping[str, str], target: Path, dbt_vars: str, pgoptions: str,
    options: NightlyOptions, steps: list[Step],
) -> tuple[str, list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    # 1. freshness: a stale source stops the run before the build
    step = run_dbt_step("freshness", ["source", "freshness", "--vars", dbt_vars], env, target,
                        pgoptions)
    steps.append(step)
    sources = read_json(target / "sources.json")
    copy_if_exists(target / "sources.json", target / "sources.freshness.json")
    freshness = freshness_records(sources)
    stale = [f for f in freshness if f["status"] in ("error", "runtime error")]
    if stale or (step.exit_code != 0 and sources is None):
        failures = [{
            "node": f"source {f['source']}",
            "status": "stale" if f["status"] == "error" else f["status"],
            "message": f["message"] or (
                f"last row loaded {f['hours_since_load']} hours ago ({f['max_loaded_at']}); "
                f"error after {options.error_after_hours} hours"
            ),
        } for f in stale] or [{"node": "freshness", "status": "error",
                               "message": error_summary(step.output)}]
        return "failed", freshness, summarize({}), failures

    # 2. build, 3. one retry of the failed nodes
    build = run_dbt_step("build", ["build", "--selector", "nightly", "--vars", dbt_vars], env,
                         target, pgoptions)
    steps.append(build)
    build_results = read_json(target / "run_results.json")
    copy_if_exists(target / "run_results.json", target / "run_results.build.json")
    retry_results = None
    if build.exit_code != 0 and build_results is not None and options.retry:
        retry = run_dbt_step("retry", ["retry"], env, target, pgoptions)
        steps.append(retry)
        if (target / "run_results.json").exists():
            retry_results = read_json(target / "run_results.json")
            copy_if_exists(target / "run_results.json", target / "run_results.retry.json")
    summary = summarize(merge_results(build_results, retry_results))
    failures = list(summary.pop("failures"))
    last = steps[-1]
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
    parser.add_argument("--warn-after-hours", type=_hours_arg, default=26,
                        help="source freshness: warn after N hours without new rows (26)")
    parser.add_argument("--error-after-hours", type=_hours_arg, default=50,
                        help="source freshness: fail the run after N hours (50)")
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
