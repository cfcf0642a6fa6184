"""The ``flowpilot`` command: embedded warehouse, demo data, the README's two commands."""

from __future__ import annotations

import argparse
import importlib
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from flowpilot_tools import PROJECT_ROOT, nightly, project, report, warehouse
from flowpilot_tools.dbt import (
    BIN, DEMO_AS_OF, run_dbt, run_mf, start_sqlfluff, tool_env, vars_arg,
)
from flowpilot_tools.generate import Scale
from flowpilot_tools.load import DEMO_MARKER, LoadResult, load

# The demo: large enough to show every mart, small enough to build in seconds.
DEMO_SCALE = {"accounts": 40, "days": 90, "sessions_per_day": 12.0}
# The test command loads a smaller copy into its own database.
TEST_SCALE = {"accounts": 12, "days": 95, "sessions_per_day": 6.0}
TEST_DATABASE = "flowpilot_test"


def _parse_as_of(text: str) -> datetime:
    try:
        return datetime.fromisoformat(project.parse_as_of(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of {text!r}: expected an ISO-8601 timestamp with a UTC offset, "
            "e.g. 2026-04-27T15:25:46+00:00"
        ) from None


def _scale(args: argparse.Namespace) -> Scale:
    return Scale(
        accounts=args.accounts,
        days=args.days,
        sessions_per_day=args.sessions_per_day,
        seed=args.seed,
        as_of=args.as_of,
    )


def _guard_raw_schema(env: dict[str, str], database: str | None, force: bool) -> None:
    """Refuse to replace a raw schema that the demo loader did not create."""
    with warehouse.connect(env, database) as conn:
        row = conn.execute(
            "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = 'raw'"
        ).fetchone()
    if row is not None and row[0] != DEMO_MARKER and not force:
        sys.exit(
            "flowpilot: schema raw exists and was not created by the demo loader; "
            "refusing to replace it (pass --force to do so)"
        )


def load_demo(env: dict[str, str], scale: Scale, database: str | None = None,
              force: bool = False) -> None:
    _guard_raw_schema(env, database, force)
    _print_loaded(load(scale, env, database), scale)


def _print_loaded(result: LoadResult, scale: Scale, where: str = "") -> None:
    total = sum(result.rows.values())
    print(
        f"loaded {total:,} raw rows ({scale.accounts} accounts, {scale.days} days, "
        f"{scale.sessions_per_day:g} sessions per account per day, seed {scale.seed}){where} "
        f"in {result.seconds:.1f} s"
    )
    for table, rows in result.rows.items():
        print(f"  raw.{table:<20} {rows:>12,}")


def cmd_db(args: argparse.Namespace) -> int:
    if warehouse.is_external() and args.action in ("start", "stop"):
        print("PGHOST is set: the external server is used, no embedded server to manage.")
        return 0
    if args.action == "start":
        env = warehouse.start_embedded()
        print(f"embedded PostgreSQL {warehouse.server_version(env)} is running ({warehouse.PGDATA})")
        print("plain dbt commands from the repository root now reach it; other tools can use:")
        _print_env(env)
    elif args.action == "stop":
        print("stopped" if warehouse.stop_embedded() else "not running")
    elif args.action == "status":
        running = warehouse._socket_dir(warehouse.PGDATA) is not None
        print("running" if running else "not running")
        return 0 if running else 3
    elif args.action == "env":
        _print_env(warehouse.connection_env())
    return 0


def _print_env(env: dict[str, str]) -> None:
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")


def cmd_generate(args: argparse.Namespace) -> int:
    if args.target == "duckdb":
        return _generate_duckdb(args)
    if args.target == "spark":
        return _generate_spark(args)
    env = warehouse.connection_env()
    load_demo(env, _scale(args), force=args.force)
    print("raw was replaced: build with `dbt build --full-refresh --vars "
          "'{volume_shrink_expected: true}'` (incremental models start over; the marts may "
          "shrink)")
    return 0


def _generate_duckdb(args: argparse.Namespace, hint: bool = True) -> int:
    """The same rows into schema raw of the DuckDB file (flowpilot_tools/duckdb_load.py)."""
    import duckdb  # imported here: the PostgreSQL commands never need it

    from flowpilot_tools import duckdb_load

    path = duckdb_load.duckdb_path()
    scale = _scale(args)
    try:
        if duckdb_load.raw_schema_is_foreign(path) and not args.force:
            sys.exit(
                f"flowpilot: schema raw of {path} exists and was not created by the demo "
                "loader; refusing to replace it (pass --force to do so)"
            )
        result = duckdb_load.load(scale, path)
    except duckdb.IOException as error:  # e.g. another process (dbt) holds the file
        sys.exit(f"flowpilot: cannot write {path}: {error}")
    _print_loaded(result, scale, f" into {path}")
    if hint:
        print("raw was replaced: build with `FLOWPILOT_TARGET=duckdb dbt build --full-refresh "
              "--vars '{volume_shrink_expected: true}'` (incremental models start over; the "
              "marts may shrink)")
    return 0


def ensure_spark() -> None:
    """The spark target's packages and Java: installed by scripts/bootstrap_spark.sh when
    missing (the first `--target spark` takes a minute or two: pyspark is 456 MB)."""
    from flowpilot_tools import spark_load

    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
        if spark_load.has_java():
            return
    except ImportError:
        pass
    print("flowpilot: setting up the spark target (scripts/bootstrap_spark.sh)", flush=True)
    if subprocess.run([str(PROJECT_ROOT / "scripts" / "bootstrap_spark.sh")]).returncode:
        sys.exit("flowpilot: scripts/bootstrap_spark.sh failed (see above): the spark target "
                 "needs Java 17 and the packages of requirements-spark.txt")
    importlib.invalidate_caches()


def _generate_spark(args: argparse.Namespace, hint: bool = True) -> int:
    """The same rows into database raw of Spark's warehouse (flowpilot_tools/spark_load.py)."""
    ensure_spark()
    from flowpilot_tools import spark_load

    env = spark_load.java_env()
    scale = _scale(args)
    if spark_load.raw_schema_is_foreign(env) and not args.force:
        sys.exit(
            f"flowpilot: database raw of Spark's warehouse {spark_load.spark_dir(env)} exists "
            "and was not created by the demo loader; refusing to replace it (pass --force)"
        )
    result = spark_load.load(scale, env)
    _print_loaded(result, scale, f" into Spark's warehouse {spark_load.spark_dir(env)}")
    if hint:
        print("raw was replaced: build with `FLOWPILOT_TARGET=spark dbt build --full-refresh "
              "--vars '{volume_shrink_expected: true}'`")
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    env = warehouse.connection_env()
    return run_dbt(args.dbt_args, env).returncode


def cmd_demo(args: argparse.Namespace) -> int:
    if args.target == "duckdb":
        return _demo_duckdb(args)
    if args.target == "spark":
        return _demo_spark(args)
    env = warehouse.connection_env()
    print(f"warehouse: {'external' if warehouse.is_external() else 'embedded'} PostgreSQL "
          f"{warehouse.server_version(env)}, database {env['PGDATABASE']}")
    load_demo(env, _scale(args), force=args.force)
    return _build_demo(env, args.as_of.isoformat())


def _build_demo(env: dict[str, str], as_of: str, duckdb_path: Path | None = None,
                history: bool = True) -> int:
    # raw was replaced, not appended to: the incremental models start over, and the marts
    # may shrink (other generator options) without that being a fault
    result = run_dbt(["build", "--full-refresh",
                      *vars_arg(as_of, volume_shrink_expected=True)], env)
    if result.returncode == 0 and history:  # the night of as_of in the history, as the nightly files it
        result = run_dbt(["build", "--selector", "history",
                          *vars_arg(as_of, publish_history=True)], env)
    if result.returncode != 0:
        print("flowpilot demo: dbt build failed (see above)", file=sys.stderr)
        return result.returncode
    report.print_report(env, as_of, duckdb_path=duckdb_path)
    return 0


def _demo_duckdb(args: argparse.Namespace) -> int:
    """The demo on the DuckDB file: the same data, the duckdb target of profiles.yml."""
    from flowpilot_tools import duckdb_load

    if _generate_duckdb(args, hint=False):
        return 1
    path = duckdb_load.duckdb_path()
    print(f"warehouse: DuckDB {_duckdb_version()}, file {path}")
    env = {"FLOWPILOT_TARGET": "duckdb", "FLOWPILOT_DUCKDB_PATH": str(path)}
    return _build_demo(env, args.as_of.isoformat(), duckdb_path=path)


def _demo_spark(args: argparse.Namespace) -> int:
    """The demo on Spark (local mode): the same data, the spark target of profiles.yml; no
    history (not published on Spark: README, "Other engines")."""
    _generate_spark(args, hint=False)
    import pyspark

    from flowpilot_tools import spark_load

    folder = spark_load.spark_dir()
    print(f"warehouse: Spark {pyspark.__version__} (local mode), {folder}")
    env = spark_load.java_env({"FLOWPILOT_TARGET": "spark", "FLOWPILOT_SPARK_DIR": str(folder)})
    return _build_demo(env, args.as_of.isoformat(), history=False)


def _duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


SPARK_TESTS = "flowpilot_tools/tests/test_spark_parity.py"


def cmd_test(args: argparse.Namespace) -> int:
    env = warehouse.connection_env()
    if args.spark:  # scripts/test_spark.sh: the Spark parity module alone
        ensure_spark()
        pytest_args = [str(BIN / "pytest"), SPARK_TESTS, "-p", "no:cacheprovider",
                       *args.pytest_args]
        spark_env = tool_env(env, FLOWPILOT_SPARK_TESTS="1")
        return subprocess.run(pytest_args, cwd=PROJECT_ROOT, env=spark_env).returncode
    database = TEST_DATABASE if not warehouse.is_external() else env["PGDATABASE"]
    if not warehouse.is_external():
        warehouse.drop_database(database, env)
        warehouse.ensure_database(database, env)
    test_env = dict(env, PGDATABASE=database)
    scale = Scale(**TEST_SCALE, as_of=datetime.fromisoformat(DEMO_AS_OF))
    load_demo(test_env, scale, force=args.force)

    # sqlfluff reads only the project's files: it lints beside the builds and pytest (in one
    # process: the database is their bottleneck, the second core is idle most of the time);
    # its report is printed when it ends. dbt runs in this process (no start-up per command).
    lint_report = tempfile.TemporaryFile(mode="w+")
    lint = start_sqlfluff(test_env, lint_report, processes=1)
    steps: list[tuple[str, int]] = []
    print("\n== dbt build (data and unit tests)", flush=True)
    build = ["build", "--full-refresh", *vars_arg(DEMO_AS_OF)]  # raw was replaced
    steps.append(("dbt build", run_dbt(build, test_env, in_process=True).returncode))
    print("\n== mf validate-configs (the semantic layer, against the built tables)", flush=True)
    steps.append(("mf validate", run_mf(["validate-configs"], test_env).returncode))
    print("\n== dbt build of the history (as the nightly's last step)", flush=True)
    history = ["build", "--selector", "history", *vars_arg(DEMO_AS_OF, publish_history=True)]
    steps.append(("dbt history", run_dbt(history, test_env, in_process=True).returncode))
    print("\n== pytest", flush=True)
    pytest_env = tool_env(test_env)
    # two workers (pytest-xdist), a test module at a time each: one module's database work
    # overlaps the other's Python (dbt parses and compiles in the pytest process)
    pytest_args = [str(BIN / "pytest"), "-n", "2", "--dist", "loadfile", *args.pytest_args]
    steps.append(("pytest", subprocess.run(pytest_args, cwd=PROJECT_ROOT, env=pytest_env).returncode))
    print("\n== sqlfluff lint (ran beside the steps above)", flush=True)
    steps.insert(0, ("sqlfluff lint", lint.wait()))
    lint_report.seek(0)
    print(lint_report.read(), flush=True)
    lint_report.close()

    failed = [name for name, code in steps if code != 0]
    print("\n== summary")
    for name, code in steps:
        print(f"  {name:<14} {'ok' if code == 0 else f'FAILED (exit {code})'}")
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from flowpilot_tools import benchmark

    if args.target is not None:
        if args.target == "spark":
            ensure_spark()
        from flowpilot_tools import benchmark_engines

        # Spark in local mode: a tenth of the reference scale unless told otherwise
        default = benchmark_engines.SPARK_FRACTION if args.target == "spark" else 1.0
        result = benchmark_engines.run(args.target, fraction=args.scale or default)
        benchmark_engines.save(result)
        benchmark_engines.update_benchmarks_page()
        print(f"wrote {benchmark_engines.RESULTS} and its section of docs/benchmarks.md")
        return 0

    report = benchmark.run(fraction=args.scale or 1.0, endpoint_limit=args.endpoint_requests)
    path = benchmark.write_report(report)
    print(f"wrote {path}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from flowpilot_tools import dashboard

    env = warehouse.connection_env()
    result = dashboard.write_site(env, args.out, account=args.account, progress=args.progress)
    reader = dashboard.BI_READER if args.account is None else (
        f"{dashboard.TENANT_READER} (flowpilot.account_id = {args.account})")
    print(
        f"dashboard: {result.pages - 1} account page(s) and the index written as {reader} "
        f"in {result.seconds:.1f} s (marts read in {result.read_seconds:.1f} s); "
        f"largest page {result.largest_page_bytes / 1024:.0f} KiB"
    )
    print(f"open {result.out_dir / 'index.html'}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from flowpilot_tools import docs

    target = PROJECT_ROOT / "target"
    if args.generate:
        code = docs.generate(warehouse.connection_env(), target, as_of=args.as_of)
        if code != 0:
            print("flowpilot docs: dbt docs generate failed (see above)", file=sys.stderr)
            return code
    elif not (target / "index.html").exists():
        print("flowpilot docs: no target/index.html; run without --no-generate", file=sys.stderr)
        return 1
    else:
        docs.offline_site(target)
    httpd = docs.server(target, args.port)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    print(f"dbt docs (offline, no CDN) at {url}  - also {target / 'static_index.html'} "
          "opens from disk; Ctrl-C stops the server", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flowpilot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="manage the embedded PostgreSQL")
    db.add_argument("action", choices=("start", "stop", "status", "env"))
    db.set_defaults(func=cmd_db)

    def scale_options(p: argparse.ArgumentParser, defaults: dict) -> None:
        p.add_argument("--accounts", type=int, default=defaults["accounts"])
        p.add_argument("--days", type=int, default=defaults["days"])
        p.add_argument("--sessions-per-day", type=float, default=defaults["sessions_per_day"],
                       help="mean sessions per account per day")
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--as-of", type=_parse_as_of, default=_parse_as_of(DEMO_AS_OF),
                       help="the instant the data ends at (a few hours of rows follow it)")
        p.add_argument("--force", action="store_true",
                       help="replace a schema raw that the demo loader did not create")

    def target_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--target", choices=("postgres", "duckdb", "spark"), default="postgres",
                       help="the warehouse: PostgreSQL (default), the DuckDB file "
                            "$FLOWPILOT_DUCKDB_PATH (default .duckdb/flowpilot.duckdb) or "
                            "Spark in local mode, warehouse $FLOWPILOT_SPARK_DIR (default "
                            ".spark; installed on first use)")

    gen = sub.add_parser("generate", help="generate synthetic raw data and load it with COPY")
    scale_options(gen, DEMO_SCALE)
    target_option(gen)
    gen.set_defaults(func=cmd_generate)

    demo = sub.add_parser("demo", help="README command (a): load the demo data, build, report")
    scale_options(demo, DEMO_SCALE)
    target_option(demo)
    demo.set_defaults(func=cmd_demo)

    test = sub.add_parser(
        "test", help="README command (b): lint, dbt build, mf validate-configs, pytest")
    test.add_argument("--force", action="store_true")
    test.add_argument("--spark", action="store_true",
                      help="only the Spark parity test (scripts/test_spark.sh; sets up Spark)")
    test.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    test.set_defaults(func=cmd_test)

    bench = sub.add_parser("bench", help="the benchmark: writes docs/benchmarks.md")
    bench.add_argument("--scale", type=float, default=None,
                       help="fraction of the reference scale (500 accounts x 90 days x 35/day); "
                            "default 1, with --target spark 0.1")
    bench.add_argument("--endpoint-requests", type=int, default=None,
                       help="sample this many (account, period) requests for the endpoint strategy")
    bench.add_argument("--target", choices=("postgres", "duckdb", "spark"), default=None,
                       help="the engines' side-by-side measurements for one engine "
                            "(docs/benchmark_engines.json); without it the full PostgreSQL "
                            "benchmark")
    bench.set_defaults(func=cmd_bench)

    dash = sub.add_parser("dashboard", help="write the static analytics dashboard over the marts")
    dash.add_argument("--out", type=Path, default=PROJECT_ROOT / "dashboard",
                      help="output folder (replaced as a whole; default: dashboard/)")
    dash.add_argument("--account", default=None,
                      help="export one tenant only, read as flowpilot_tenant_reader")
    dash.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                      help="progress bar (default: when stderr is a terminal)")
    dash.set_defaults(func=cmd_dashboard)

    docs = sub.add_parser("docs", help="generate dbt's docs site and serve it on 127.0.0.1")
    docs.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0: any free one)")
    docs.add_argument("--as-of", default=DEMO_AS_OF, help="as_of of the compiled SQL shown")
    docs.add_argument("--generate", action=argparse.BooleanOptionalAction, default=True,
                      help="run dbt docs generate first (default) or serve target/ as it is")
    docs.set_defaults(func=cmd_docs)

    dbt = sub.add_parser("dbt", help="run dbt against the warehouse (starts the embedded one)")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt.set_defaults(func=cmd_dbt)

    nightly.add_parser(sub)  # the nightly job (flowpilot_tools/nightly.py, docs/operations.md)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
