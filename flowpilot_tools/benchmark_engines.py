"""The same measurements on each engine (issue 14): `flowpilot bench --target postgres|duckdb|spark`.

For one target: the generated data at 1/4, 1/2 and the whole of a scale, each in a new
database (a new DuckDB file), loaded, seeded and built whole (`dbt build --full-refresh`, models
only, seeds included); at the whole scale then one more day landed and the nightly's build (selector nightly,
models only), and BI reads (one account and period of each per-period mart, 300 random reads
each). The results go to docs/benchmark_engines.json, one entry per target, and
docs/benchmarks.md shows them side by side (section "Engines side by side"), with the slope of
log(build time) over log(scale). Build times are given twice: the wall time of the dbt command
(start-up and parse included, about the same on every engine) and the elapsed time dbt reports
for its nodes. The PostgreSQL entry measures the same steps the same way, so
that the columns compare; the full PostgreSQL benchmark (`flowpilot bench`) measures more.
Spark (local mode) is measured at a fraction of the scale (`--scale`), with fewer BI reads
(SPARK_READS: each is a Spark SQL query of its own).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from typing import Any
from pathlib import Path

from flowpilot_tools import PROJECT_ROOT, duckdb_load, spark_load, warehouse
from flowpilot_tools.benchmark import (
    BIN, DOCS, MARTS, MARTS_SCHEMA, MODELS_ONLY, NIGHTLY, REFERENCE, percentile, slope,
)
from flowpilot_tools.dbt import tool_env
from flowpilot_tools.generate import Scale
from flowpilot_tools.load import append, load

TARGETS = ("postgres", "duckdb", "spark")
RESULTS = DOCS / "benchmark_engines.json"
SHARES = (0.25, 0.5, 1.0)
READS = 300
SPARK_READS = 20
# Spark in local mode is measured at this fraction of the reference scale by default.
SPARK_FRACTION = 0.1


class Store:
    """Where one engine's copy of the data lives, and how dbt and a reader reach it."""

    def __init__(self, target: str, name: str, base_env: Mapping[str, str], folder: Path):
        self.target = target
        self.name = name
        self.base_env = dict(base_env)
        self.folder = folder
        if target == "duckdb":
            self.path = folder / f"{name}.duckdb"
            self.path.unlink(missing_ok=True)
            self.env = dict(base_env, FLOWPILOT_TARGET="duckdb",
                            FLOWPILOT_DUCKDB_PATH=str(self.path))
        elif target == "spark":
            self.path = folder / f"{name}.spark"
            shutil.rmtree(self.path, ignore_errors=True)
            self.env = spark_load.java_env(dict(base_env, FLOWPILOT_TARGET="spark",
                                                FLOWPILOT_SPARK_DIR=str(self.path)))
        else:
            warehouse.drop_database(name, base_env)
            warehouse.ensure_database(name, base_env)
            self.env = dict(base_env, PGDATABASE=name)

    def load(self, scale: Scale) -> float:
        if self.target == "duckdb":
            return duckdb_load.load(scale, self.path).seconds
        if self.target == "spark":
            return spark_load.load(scale, self.env).seconds
        return load(scale, self.env).seconds

    def append(self, scale: Scale) -> float:
        if self.target == "duckdb":
            return duckdb_load.append(scale, self.path).seconds
        if self.target == "spark":
            return spark_load.append(scale, self.env).seconds
        return append(scale, self.env).seconds

    def reads(self, as_of: dt.datetime) -> list[float]:
        """READS random (account, period) reads of each per-period mart, seconds each."""
        if self.target == "spark":
            return spark_load.in_own_process(_spark_reads, self.env, SPARK_READS)
        if self.target == "duckdb":
            with duckdb_load.connect(self.path, read_only=True) as conn:
                accounts = [str(row[0]) for row in conn.execute(
                    f"select account_id from {MARTS_SCHEMA}.dim_accounts").fetchall()]

                def read(mart: str, account: str, period: str) -> None:
                    conn.execute(f"select * from {MARTS_SCHEMA}.{mart} "
                                 "where account_id = ? and period = ?", [account, period])
                    conn.fetchall()

                return timed_reads(accounts, read, READS)
        with warehouse.connect(self.env) as conn, conn.cursor(binary=True) as cursor:
            accounts = [row[0] for row in conn.execute(
                f"select account_id from {MARTS_SCHEMA}.dim_accounts")]

            def read(mart: str, account: str, period: str) -> None:
                cursor.execute(f"select * from {MARTS_SCHEMA}.{mart} "
                               "where account_id = %s and period = %s", (account, period),
                               prepare=True)
                cursor.fetchall()

            return timed_reads(accounts, read, READS)

    def drop(self) -> None:
        if self.target == "duckdb":
            self.path.unlink(missing_ok=True)
        elif self.target == "spark":
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            warehouse.drop_database(self.name, self.base_env)


def timed_reads(accounts: list, read: Callable[[str, Any, str], None],
                reads: int) -> list[float]:
    """READS random (account, period) reads of each per-period mart through READ(mart,
    account, period), the same draws on every engine; seconds each."""
    rng = random.Random(2)
    samples: list[float] = []
    for mart in MARTS:
        for _ in range(reads):
            account, period = rng.choice(accounts), rng.choice(("7d", "30d", "90d"))
            started = time.perf_counter()
            read(mart, account, period)
            samples.append(time.perf_counter() - started)
    return samples


def _spark_reads(env: Mapping[str, str], reads: int) -> list[float]:
    """timed_reads through one warm local Spark session (in a process of its own:
    spark_load.in_own_process)."""
    with spark_load.session(env) as spark:
        accounts = [row[0] for row in spark.sql(
            f"select account_id from {MARTS_SCHEMA}.dim_accounts").collect()]

        def read(mart: str, account: str, period: str) -> None:
            spark.sql(f"select * from {MARTS_SCHEMA}.{mart} where account_id = '{account}' "
                      f"and period = '{period}'").collect()

        return timed_reads(accounts, read, reads)


def _dbt(store: Store, target_path: Path, *args: str,
         as_of: str | None = None) -> tuple[float, float]:
    """`dbt ARGS` in a subprocess against STORE: its wall time (start-up and parse included)
    and the elapsed time dbt reports for running the nodes, in seconds."""
    command = [str(BIN / "dbt"), *args, "--target-path", str(target_path)]
    if as_of:
        command += ["--vars", json.dumps({"as_of": as_of, "volume_shrink_expected": True})]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env=tool_env(store.env, DBT_LOG_PATH=str(target_path)))
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} on {store.target} failed:\n"
                           f"{result.stdout[-4000:]}")
    return seconds, run_elapsed(target_path)


def run_elapsed(target_path: Path) -> float:
    """The elapsed time of the nodes as dbt reports it (run_results.json)."""
    return float(json.loads((target_path / "run_results.json").read_text())["elapsed_time"])


def run(target: str, fraction: float = 1.0, log: Callable[[str], None] = print) -> dict:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: one of {', '.join(TARGETS)}")
    base_env = warehouse.connection_env() if target == "postgres" else {}
    scale = dataclasses.replace(REFERENCE, accounts=max(4, round(REFERENCE.accounts * fraction)))
    as_of, next_as_of = scale.as_of, scale.as_of + dt.timedelta(days=1)
    folder = PROJECT_ROOT / "target_bench" / f"engine_{target}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    result: dict = {"target": target, "accounts": scale.accounts, "fraction": fraction,
                    "started": dt.datetime.now(dt.timezone.utc).isoformat(), "full": {},
                    "full_elapsed": {}}
    for share in SHARES:
        share_scale = dataclasses.replace(scale, accounts=max(2, round(scale.accounts * share)))
        store = Store(target, f"flowpilot_engine_{int(share * 100)}", base_env, folder)
        loaded = store.load(share_scale)
        full, elapsed = _dbt(store, folder / f"full_{int(share * 100)}", "build",
                             "--full-refresh", *MODELS_ONLY, as_of=as_of.isoformat())
        result["full"][str(share)] = full
        result["full_elapsed"][str(share)] = elapsed
        log(f"[bench {target}] {share:g}x ({share_scale.accounts} accounts): loaded in "
            f"{loaded:.0f} s, full build {full:.1f} s")
        if share == 1.0:
            result["load_seconds"] = loaded
            day = dataclasses.replace(share_scale, days=1, as_of=next_as_of,
                                      hours_after_as_of=0.0, batch=1)
            result["append_seconds"] = store.append(day)
            result["nightly"], result["nightly_elapsed"] = _dbt(
                store, folder / "nightly", "build", *NIGHTLY, *MODELS_ONLY,
                as_of=next_as_of.isoformat())
            reads = store.reads(next_as_of)
            result["read_p50_ms"] = percentile(reads, 0.5) * 1000
            result["read_p95_ms"] = percentile(reads, 0.95) * 1000
            log(f"[bench {target}] nightly {result['nightly']:.1f} s, BI read p95 "
                f"{result['read_p95_ms']:.2f} ms")
        store.drop()
    result["slope"] = slope(result["full_elapsed"])
    result["slope_wall"] = slope(result["full"])
    result["finished"] = dt.datetime.now(dt.timezone.utc).isoformat()
    return result


def save(result: dict, path: Path = RESULTS) -> None:
    results = json.loads(path.read_text()) if path.exists() else {}
    results[result["target"]] = result
    path.write_text(json.dumps(results, indent=1) + "\n")


def section(path: Path = RESULTS) -> list[str]:
    """The lines of docs/benchmarks.md's section "Engines side by side"."""
    if not path.exists():
        return []
    results = json.loads(path.read_text())
    targets = [target for target in TARGETS if target in results]
    if not targets:
        return []

    def row(label: str, cell: Callable[[dict], str]) -> str:
        return f"| {label} | " + " | ".join(cell(results[t]) for t in targets) + " |"

    lines = [
        "## Engines side by side (issue 14)",
        "",
        "Written by `flowpilot bench --target <engine>` (docs/benchmark_engines.json): the same "
        "generated data on each engine, `dbt build --full-refresh` models only, the nightly "
        "(selector nightly, models only) after one more day, and 300 random (account, period) "
        "reads of each per-period mart (Spark: 20, each a Spark SQL query). PostgreSQL runs 2 "
        "dbt threads, DuckDB and Spark one (they parallelize each query themselves; Spark in "
        "local mode on both cores). Spark is measured at a fraction of the scale: see its "
        "accounts.",
        "",
        "| | " + " | ".join(targets) + " |",
        "|---|" + "---:|" * len(targets),
        row("accounts (whole scale)", lambda r: f"{r['accounts']:,}"),
        row("measured on", lambda r: r["finished"][:16].replace("T", " ")),
        row("load (generate and write raw)", lambda r: f"{r['load_seconds']:.1f} s"),
        *[row(f"full build at {share}x of the engine's scale: wall (nodes)",
              lambda r, s=share: f"{r['full'][s]:.1f} s ({r['full_elapsed'][s]:.1f} s)")
          for share in results[targets[0]]["full"]],
        row("nightly build after one day: wall (nodes)",
            lambda r: f"{r['nightly']:.1f} s ({r['nightly_elapsed']:.1f} s)"),
        row("BI read p50 / p95", lambda r: f"{r['read_p50_ms']:.2f} / {r['read_p95_ms']:.2f} ms"),
        row("slope of log(full build) over log(scale): nodes (wall)",
            lambda r: f"{r['slope']:.2f} ({r['slope_wall']:.2f})"),
    ]
    if "postgres" in results and "duckdb" in results:
        wall = results["postgres"]["full"]["1.0"] / results["duckdb"]["full"]["1.0"]
        nodes = (results["postgres"]["full_elapsed"]["1.0"]
                 / results["duckdb"]["full_elapsed"]["1.0"])
        verdict = "met" if min(wall, nodes) >= 3 else "**missed**"
        lines += ["", f"DuckDB's full build against PostgreSQL's at the whole scale: "
                      f"{wall:.1f}x faster in wall time, {nodes:.1f}x in the nodes' elapsed "
                      f"time (target: at least 3x): {verdict}. Wall time includes dbt's "
                      "start-up and parse, the same on both engines."]
    if "spark" in results:
        spark = results["spark"]
        verdict = "met" if spark["slope"] <= 1.1 else "**missed**"
        lines += ["", f"Spark's slope at {spark['accounts']:,} accounts: {spark['slope']:.2f} "
                      f"in the nodes' elapsed time, {spark['slope_wall']:.2f} in wall time "
                      f"(target: at most 1.1): {verdict}. At these scales a fixed per-node "
                      "cost dominates Spark's build (notes below: \"Engines: Spark in local "
                      "mode\")."]
    return lines


def update_benchmarks_page(page: Path = DOCS / "benchmarks.md", path: Path = RESULTS) -> None:
    """Replace (or add, before the hand-written notes) the section "Engines side by side" of
    docs/benchmarks.md; the rest of the page, the last `flowpilot bench`, stays as written."""
    text = page.read_text() if page.exists() else ""
    new = "\n".join(section(path)) + "\n"
    heading = "## Engines side by side"
    if heading in text:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        end = len(text) if following < 0 else following + 1
        text = text[:start] + new + ("\n" if following >= 0 else "") + text[end:]
    else:
        notes = (DOCS / "benchmark_notes.md").read_text().strip() if (
            DOCS / "benchmark_notes.md").exists() else ""
        start = text.find(notes[:200]) if notes else -1
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + new
        else:
            text = text[:start] + new + "\n" + text[start:]
    page.write_text(text)
