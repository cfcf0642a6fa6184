"""The benchmark: builds at the reference scale against the live endpoints' strategy.

One run, on fresh databases of the warehouse server, measures
  (a) the floor: count(*) over each raw table;
  (b) a full build (dbt build --full-refresh) and its model-only time;
  (c) the nightly incremental build after one more day of data;
  (d) the old endpoints' strategy: their queries (ported from the application's code, with
      the indexes the application has) for every account x period;
  (e) BI reads: random (account, period) reads of every mart, p50 and p95;
  (f) full builds at 1/4, 1/2 and 1x the scale: the slope of log(time) over log(scale);
  (g) peak memory of dbt and of PostgreSQL during the full build;
and writes docs/benchmarks.md (with docs/benchmark_notes.md, the hand-written analysis),
docs/benchmark_scaling.png and the machine it ran on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import platform
import random
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import psutil

from flowpilot_tools import PROJECT_ROOT, warehouse
from flowpilot_tools.dbt import BIN
from flowpilot_tools.generate import TABLES, Scale
from flowpilot_tools.load import append, load
from flowpilot_tools.nightly import UNIT_TESTS_LEFT_OUT
from flowpilot_tools.project import PERIODS

REFERENCE = Scale(accounts=500, days=90, sessions_per_day=35.0, seed=42)
DOCS = PROJECT_ROOT / "docs"
MARTS_SCHEMA = "flowpilot_marts"

# The old endpoints' queries (flowpilot_tools/endpoints/<endpoint>.sql, ported from the
# application's SQLAlchemy code) and the indexes the application's database has for them.
ENDPOINTS_DIR = Path(__file__).parent / "endpoints"
ENDPOINT_NAMES = ("dashboard", "coverage", "flow_quality", "psa_metrics", "escalations")


def read_statements(path: Path) -> list[str]:
    """The statements of a .sql file, split at a ';' that ends a line; comment lines dropped."""
    text = "\n".join(line for line in path.read_text().splitlines()
                     if not line.lstrip().startswith("--"))
    return [statement.strip().rstrip(";").rstrip() for statement in text.split(";\n")
            if statement.strip(" \n;")]


ENDPOINTS: dict[str, list[str]] = {
    name: read_statements(ENDPOINTS_DIR / f"{name}.sql") for name in ENDPOINT_NAMES
}
APPLICATION_INDEXES = (ENDPOINTS_DIR / "application_indexes.sql").read_text()

# BI reads: every mart by its index, as a BI tool reads it.
MARTS = (
    "fct_session_metrics", "fct_mttr_trend", "fct_domain_coverage", "fct_confidence_breakdown",
    "fct_knowledge_coverage", "fct_flow_quality", "fct_psa_funnel", "fct_psa_daily",
    "fct_escalation_metrics",
)
MART_FOR_ENDPOINT = {
    "dashboard": "fct_session_metrics", "coverage": "fct_domain_coverage",
    "flow_quality": "fct_flow_quality", "psa_metrics": "fct_psa_funnel",
    "escalations": "fct_escalation_metrics",
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


class MemoryWatch:
    """Samples the peak memory of a process tree (dbt) and of the PostgreSQL server."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.dbt_peak = 0
        self.postgres_peak = 0
        self._stop = threading.Event()
        self._root: psutil.Process | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self._root, *self._root.children(recursive=True)]
                self.dbt_peak = max(self.dbt_peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            total = 0
            for process in psutil.process_iter(["name"]):
                if process.info["name"] == "postgres":
                    try:
                        total += process.memory_full_info().pss
                    except psutil.Error:
                        pass
            self.postgres_peak = max(self.postgres_peak, total)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@dataclasses.dataclass
class Build:
    wall_seconds: float
    node_seconds: dict[str, float]
    dbt_peak_bytes: int = 0
    postgres_peak_bytes: int = 0
    wal_bytes: int = 0


MODELS_ONLY = ("--exclude-resource-type", "test", "unit_test")
# What the nightly job builds (flowpilot_tools/nightly.py): selector nightly, which leaves out
# the tests tagged full_build_only (DECISIONLOG 21); its tests step also leaves out the unit
# tests (UNIT_TESTS_LEFT_OUT), its models step every test (MODELS_ONLY).
NIGHTLY = ("--selector", "nightly")


def _timed_dbt(env: Mapping[str, str], target: Path, as_of: str, *args: str,
               watch_memory: bool = False) -> Build:
    """Run `dbt ARGS` with as_of; wall time, per-node times, peak memory."""
    from flowpilot_tools.dbt import tool_env

    command = [str(BIN / "dbt"), *args, "--vars", json.dumps({"as_of": as_of}),
               "--target-path", str(target)]
    wal_start = _wal_position(env)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT,
                               env=tool_env(env, DBT_LOG_PATH=str(target)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watch = MemoryWatch()
    if watch_memory:
        watch.watch(process.pid)
    output, _ = process.communicate()
    watch.stop()
    wall = time.perf_counter() - started
    results = json.loads((target / "run_results.json").read_text())
    failures = [r for r in results["results"] if r["status"] in ("error", "fail")]
    if process.returncode != 0 or failures:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{output[-4000:]}")
    nodes = {r["unique_id"].split(".", 2)[-1]: r["execution_time"] for r in results["results"]}
    return Build(wall, nodes, watch.dbt_peak, watch.postgres_peak,
                 _wal_position(env) - wal_start)


def _wal_position(env: Mapping[str, str]) -> int:
    """Bytes of WAL the server has written so far (server-wide: run nothing else meanwhile)."""
    with warehouse.connect(env) as conn:
        return int(conn.execute("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
                   .fetchone()[0])


def _floor(env: Mapping[str, str]) -> dict[str, float]:
    seconds = {}
    with warehouse.connect(env) as conn:
        for table in TABLES:
            started = time.perf_counter()
            conn.execute(f"select count(*) from raw.{table}").fetchone()
            seconds[table] = time.perf_counter() - started
    return seconds


def _account_periods(env: Mapping[str, str], as_of: dt.datetime) -> list[tuple]:
    with warehouse.connect(env) as conn:
        accounts = [row[0] for row in conn.execute(
            f"select account_id from {MARTS_SCHEMA}.dim_accounts order by account_id")]
    return [(account, period, as_of - dt.timedelta(days=days))
            for account in accounts for period, days in PERIODS.items()]


def _endpoints(env: Mapping[str, str], as_of: dt.datetime, limit: int | None = None) -> dict:
    pairs = _account_periods(env, as_of)
    if limit:
        pairs = random.Random(1).sample(pairs, min(limit, len(pairs)))
    timings: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    with warehouse.connect(env) as conn, conn.cursor(binary=True) as cursor:
        conn.execute(APPLICATION_INDEXES)
        for account, _, start in pairs:
            params = {"account": account, "start": start}
            for name, queries in ENDPOINTS.items():
                started = time.perf_counter()
                for query in queries:
                    cursor.execute(query, params, prepare=True)
                    cursor.fetchall()
                timings[name].append(time.perf_counter() - started)
    return {"requests": len(pairs), "timings": timings}


def _bi_reads(env: Mapping[str, str], as_of: dt.datetime, reads: int = 1000) -> dict:
    pairs = _account_periods(env, as_of)
    rng = random.Random(2)
    timings: dict[str, list[float]] = {}
    # Binary protocol and prepared statements, as BI drivers (and the application's asyncpg)
    # use them; the endpoint strategy is measured the same way.
    with warehouse.connect(env) as conn, conn.cursor(binary=True) as cursor:
        for mart in MARTS:
            query = f"select * from {MARTS_SCHEMA}.{mart} where account_id = %s and period = %s"
            samples = []
            for _ in range(reads):
                account, period, _ = rng.choice(pairs)
                started = time.perf_counter()
                cursor.execute(query, (account, period), prepare=True)
                cursor.fetchall()
                samples.append(time.perf_counter() - started)
            timings[mart] = samples
    return timings


def _fresh(env: Mapping[str, str], name: str) -> dict[str, str]:
    warehouse.drop_database(name, env)
    warehouse.ensure_database(name, env)
    return dict(env, PGDATABASE=name)


def _machine(env: Mapping[str, str]) -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version_text = subprocess.run([str(BIN / "dbt"), "--version"], capture_output=True,
                                  text=True).stdout
    dbt_version = [line.split(":", 1)[1].strip() for line in version_text.splitlines()
                   if "installed" in line][:1]
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgres": warehouse.server_version(env),
        "dbt": f"dbt-core {' '.join(dbt_version)}, dbt-postgres, 2 threads",
        "server": "external (PGHOST)" if warehouse.is_external() else "embedded (pgserver)",
    }


def _nightly(env: Mapping[str, str], target: Path, scale: Scale,
             next_as_of: dt.datetime) -> dict:
    """One more day landed, then the nightly's build (models) and its tests, as the job runs
    them (selector nightly)."""
    day = dataclasses.replace(scale, days=1, as_of=next_as_of, hours_after_as_of=0.0, batch=1)
    landed = append(day, env)
    models = _timed_dbt(env, target / "nightly", next_as_of.isoformat(), "build", *NIGHTLY,
                        *MODELS_ONLY)
    tests = _timed_dbt(env, target / "nightly_tests", next_as_of.isoformat(), "test", *NIGHTLY,
                       *UNIT_TESTS_LEFT_OUT)
    return {"append": {"rows": landed.rows, "seconds": landed.seconds},
            "nightly_models": dataclasses.asdict(models),
            "nightly_tests": dataclasses.asdict(tests)}


def run(fraction: float = 1.0, endpoint_limit: int | None = None,
        log: Callable[[str], None] = print, double_nightly: bool = True) -> dict:
    """The benchmark; DOUBLE_NIGHTLY: also the nightly at twice the accounts (the history
    doubles: its cost should follow the new day)."""
    base_env = warehouse.connection_env()
    scale = dataclasses.replace(REFERENCE, accounts=max(4, round(REFERENCE.accounts * fraction)))
    as_of = scale.as_of
    next_as_of = as_of + dt.timedelta(days=1)
    target_root = PROJECT_ROOT / "target_bench"
    report: dict = {"scale": dataclasses.asdict(scale) | {"as_of": as_of.isoformat()},
                    "fraction": fraction, "started": dt.datetime.now(dt.timezone.utc).isoformat()}
    report["machine"] = _machine(base_env)

    builds: dict[float, Build] = {}
    for share in (0.25, 0.5, 1.0):
        share_scale = dataclasses.replace(scale, accounts=max(2, round(scale.accounts * share)))
        env = _fresh(base_env, f"flowpilot_bench_{int(share * 100)}")
        log(f"[bench] {share:g}x: generating {share_scale.accounts} accounts")
        loaded = load(share_scale, env)
        log(f"[bench] {share:g}x: loaded {sum(loaded.rows.values()):,} rows in {loaded.seconds:.0f} s")
        target = target_root / f"full_{int(share * 100)}"
        build = _timed_dbt(env, target, as_of.isoformat(), "build", "--full-refresh",
                           *MODELS_ONLY, watch_memory=share == 1.0)
        builds[share] = build
        log(f"[bench] {share:g}x: full build, models only: {build.wall_seconds:.1f} s")
        if share == 1.0:
            report["load"] = {"rows": loaded.rows, "seconds": loaded.seconds}
            report["floor"] = _floor(env)
            report["full_models"] = dataclasses.asdict(build)
            tests = _timed_dbt(env, target_root / "full_tests", as_of.isoformat(), "test")
            report["full_tests"] = dataclasses.asdict(tests)
            log(f"[bench] full build, tests: {tests.wall_seconds:.1f} s")
            log("[bench] nightly: appending one day")
            report.update(_nightly(env, target_root, share_scale, next_as_of))
            log(f"[bench] nightly: models {report['nightly_models']['wall_seconds']:.1f} s, "
                f"tests {report['nightly_tests']['wall_seconds']:.1f} s")
            log("[bench] BI reads")
            report["bi_reads"] = _bi_reads(env, next_as_of)
            log("[bench] endpoint strategy")
            report["endpoints"] = _endpoints(env, next_as_of, endpoint_limit)
        else:
            warehouse.drop_database(env["PGDATABASE"], base_env)
    report["scaling"] = {str(share): build.wall_seconds for share, build in builds.items()}
    if double_nightly:
        double = dataclasses.replace(scale, accounts=scale.accounts * 2)
        env = _fresh(base_env, "flowpilot_bench_200")
        log(f"[bench] 2x: generating {double.accounts} accounts")
        load(double, env)
        full = _timed_dbt(env, target_root / "full_200", as_of.isoformat(), "build",
                          "--full-refresh", *MODELS_ONLY)
        report["double"] = {"accounts": double.accounts, "full_models": dataclasses.asdict(full),
                            **_nightly(env, target_root / "double", double, next_as_of)}
        log(f"[bench] 2x: full {full.wall_seconds:.1f} s, nightly models "
            f"{report['double']['nightly_models']['wall_seconds']:.1f} s")
        warehouse.drop_database(env["PGDATABASE"], base_env)
    report["finished"] = dt.datetime.now(dt.timezone.utc).isoformat()
    return report


def slope(points: Mapping[str, float]) -> float:
    """Least-squares slope of log(seconds) over log(scale share)."""
    xs = [math.log(float(share)) for share in points]
    ys = [math.log(seconds) for seconds in points.values()]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum(
        (x - mean_x) ** 2 for x in xs)


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sessions = report["load"]["rows"]["ai_sessions"]
    shares = [float(share) for share in report["scaling"]]
    seconds = list(report["scaling"].values())
    figure, axis = pyplot.subplots(figsize=(6, 4), dpi=100)
    axis.plot([share * sessions / 1e6 for share in shares], seconds, marker="o",
              label="full build, models only")
    top = shares[-1] * sessions / 1e6
    axis.plot([0, top], [0, seconds[-1]], linestyle=":", color="grey", label="linear")
    axis.set_xlabel("raw session rows (millions)")
    axis.set_ylabel("seconds")
    axis.set_title(f"Build time against scale (slope {slope(report['scaling']):.2f} in log-log)")
    axis.set_xlim(left=0)
    axis.set_ylim(bottom=0)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _double_rows(report: dict, nightly_job: float, verdict: Callable[[bool], str]) -> list[str]:
    """The target rows of the nightly at twice the accounts, when it was measured."""
    if "double" not in report:
        return []
    double = report["double"]
    job = double["nightly_models"]["wall_seconds"] + double["nightly_tests"]["wall_seconds"]
    growth = job / nightly_job - 1
    return [f"| nightly job at twice the accounts ({double['accounts']:,}) grows at most 20% | "
            f"{job:.1f} s = {100 * growth:+.0f}% (full build "
            f"{double['full_models']['wall_seconds']:.1f} s) | {verdict(growth <= 0.20)} |"]


def write_report(report: dict, docs: Path = DOCS) -> Path:
    """docs/benchmarks.md, docs/benchmark_scaling.png and docs/benchmark_results.json."""
    docs.mkdir(exist_ok=True)
    (docs / "benchmark_results.json").write_text(json.dumps(report, indent=1, default=str))
    _plot(report, docs / "benchmark_scaling.png")

    floor = sum(report["floor"].values())
    steps_scan = report["floor"]["ai_session_steps"]
    full = report["full_models"]["wall_seconds"]
    first_action = report["full_models"]["node_seconds"].get("int_handoffs_first_step_found", float("nan"))
    nightly = report["nightly_models"]["wall_seconds"]
    nightly_job = nightly + report["nightly_tests"]["wall_seconds"]
    scaling_slope = slope(report["scaling"])
    dbt_peak = report["full_models"]["dbt_peak_bytes"] / 2**20
    pg_peak = report["full_models"]["postgres_peak_bytes"] / 2**20
    reads = {mart: (percentile(t, 0.5) * 1000, percentile(t, 0.95) * 1000)
             for mart, t in report["bi_reads"].items()}
    worst_read = max(p95 for _, p95 in reads.values())
    endpoints = {name: (percentile(t, 0.5) * 1000, percentile(t, 0.95) * 1000)
                 for name, t in report["endpoints"]["timings"].items()}
    speedups = {name: endpoints[name][0] / reads[MART_FOR_ENDPOINT[name]][0] for name in endpoints}

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    rows = report["load"]["rows"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `.venv/bin/flowpilot bench` on {report['finished'][:16].replace('T', ' ')} UTC "
        f"(scale fraction {report['fraction']:g}: {report['scale']['accounts']} accounts, "
        f"{report['scale']['days']} days, {report['scale']['sessions_per_day']:g} sessions per "
        "account per day). Numbers below are from that run; docs/benchmark_results.json has "
        "every measurement.",
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in report["machine"].items()],
        "",
        "## Data",
        "",
        "| table | rows | count(*) s |",
        "|---|---:|---:|",
        *[f"| raw.{table} | {rows[table]:,} | {report['floor'][table]:.3f} |" for table in rows],
        f"| **all (the floor, a)** | {sum(rows.values()):,} | {floor:.2f} |",
        "",
        f"Generated and loaded with COPY (2 processes) in {report['load']['seconds']:.0f} s, "
        "indexes and VACUUM ANALYZE included.",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| (b) full build, models only, under 45 s (stretch 30 s) | {full:.1f} s | "
        f"{verdict(full < 45)}{' (stretch met)' if full < 30 else ''} |",
        f"| (b) full build under 40x the floor (a) | {full / floor:.1f}x ({floor:.2f} s) | "
        f"{verdict(full < 40 * floor)} |",
        f"| first action for all claimed handoffs under 3x one steps scan | "
        f"{first_action:.2f} s = {first_action / steps_scan:.1f}x ({steps_scan:.2f} s) | "
        f"{verdict(first_action < 3 * steps_scan)} |",
        f"| (c) nightly build with one new day, models only, at most 25% of the full build "
        f"(stretch 15%) | {nightly:.1f} s = {100 * nightly / full:.0f}% | "
        f"{verdict(nightly <= 0.25 * full)}{' (stretch met)' if nightly <= 0.15 * full else ''} |",
        f"| whole nightly job including its tests at most 30 s | {nightly_job:.1f} s "
        f"(models {nightly:.1f} s + tests {report['nightly_tests']['wall_seconds']:.1f} s) | "
        f"{verdict(nightly_job <= 30)} |",
        *_double_rows(report, nightly_job, verdict),
        f"| (e) BI read of one account x period, p95 under 2 ms | worst mart p95 "
        f"{worst_read:.2f} ms | {verdict(worst_read < 2)} |",
        f"| (e) vs (d) BI read at least 20x faster than the endpoint strategy | "
        f"{min(speedups.values()):.0f}x at least (p50 against p50) | "
        f"{verdict(min(speedups.values()) >= 20)} |",
        f"| (f) build time linear in data: slope of log(time) over log(scale) at most 1.1 | "
        f"{scaling_slope:.2f} | {verdict(scaling_slope <= 1.1)} |",
        f"| (g) peak memory of dbt under 1 GB | {dbt_peak:.0f} MiB (PostgreSQL {pg_peak:.0f} MiB "
        "PSS, shared buffers included) | " + verdict(dbt_peak < 1024) + " |",
        "",
        "## Full build (b), the nightly build (c) and the slowest models",
        "",
        f"- full build: models {full:.1f} s, then tests {report['full_tests']['wall_seconds']:.1f} s",
        f"- nightly after one more day ({sum(report['append']['rows'].values()):,} new rows "
        f"landed in {report['append']['seconds']:.0f} s): models {nightly:.1f} s, tests "
        f"{report['nightly_tests']['wall_seconds']:.1f} s",
        f"- WAL written (every table logged, DECISIONLOG 14): full build "
        f"{report['full_models'].get('wal_bytes', 0) / 2**20:,.0f} MiB, nightly "
        f"{report['nightly_models'].get('wal_bytes', 0) / 2**20:,.0f} MiB",
        "",
        "| model | full build s | nightly s |",
        "|---|---:|---:|",
    ]
    slowest = sorted(report["full_models"]["node_seconds"].items(), key=lambda kv: -kv[1])[:12]
    for node, seconds in slowest:
        night = report["nightly_models"]["node_seconds"].get(node, float("nan"))
        lines.append(f"| {node} | {seconds:.2f} | {night:.2f} |")
    lines += [
        "",
        "## Scaling (f)",
        "",
        "| scale | full build, models only s |",
        "|---:|---:|",
        *[f"| {share} | {seconds:.1f} |" for share, seconds in report["scaling"].items()],
        "",
        "![build time against scale](benchmark_scaling.png)",
        "",
        "## BI reads (e) against the endpoint strategy (d)",
        "",
        f"Endpoint strategy: the endpoints' own queries on the raw tables with the application's "
        f"indexes, for {report['endpoints']['requests']:,} (account, period) requests; BI reads: "
        "1,000 random (account, period) reads of each mart through psycopg.",
        "",
        "| endpoint | request p50 ms | p95 ms | mart | read p50 ms | p95 ms | speed-up (p50) |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for name, (p50, p95) in endpoints.items():
        mart = MART_FOR_ENDPOINT[name]
        lines.append(f"| {name} | {p50:.2f} | {p95:.2f} | {mart} | {reads[mart][0]:.3f} | "
                     f"{reads[mart][1]:.3f} | {speedups[name]:.0f}x |")
    lines += ["", "| mart | read p50 ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| {mart} | {p50:.3f} | {p95:.3f} |" for mart, (p50, p95) in reads.items()]
    from flowpilot_tools import benchmark_engines

    engines = benchmark_engines.section(docs / "benchmark_engines.json")
    if engines:
        lines += ["", *engines]
    notes = docs / "benchmark_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    path = docs / "benchmarks.md"
    path.write_text("\n".join(lines) + "\n")
    return path
