"""Load the generated raw data into Spark's warehouse (issue 14: the project on Spark).

The same rows as PostgreSQL and DuckDB get: the DuckDB loader (``flowpilot_tools.duckdb_load``)
lands them, appends and replays included, in a staging DuckDB file kept beside Spark's
warehouse (``<spark dir>/raw_staging.duckdb``); each raw table is then written from it as
parquet and published as a Spark table of database ``raw``, replacing the previous one. Spark
has no uuid, no timestamptz and no jsonb: uuids and json land as ``string`` (lowercase
canonical text, which sorts like PostgreSQL's uuid), instants as ``timestamp`` (UTC with the
session zone UTC), ``numeric(8, 2)`` as ``decimal(8,2)``.

The Spark session is built from profiles.yml's ``spark`` output (the same warehouse, metastore
and settings that dbt uses), so the tables are where dbt looks for them. The embedded Derby
metastore admits one process at a time: the loader's session is stopped before dbt runs.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
import yaml

from flowpilot_tools import PROJECT_ROOT, duckdb_load
from flowpilot_tools.generate import COLUMNS, TABLES, Scale
from flowpilot_tools.load import DEMO_MARKER, LoadResult

DIR_VARIABLE = "FLOWPILOT_SPARK_DIR"
# profiles.yml's spark target: env_var('FLOWPILOT_SPARK_DIR', PWD ~ '/.spark')
DEFAULT_DIR = PROJECT_ROOT / ".spark"
# Debian's openjdk-17-jre-headless (scripts/bootstrap_spark.sh installs it when missing)
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-" + {"x86_64": "amd64", "aarch64": "arm64"}.get(
    platform.machine(), platform.machine())
MARKER_PROPERTY = "flowpilot.loader"

# The raw contract's (PostgreSQL) type names -> the Spark type of the landed column.
SPARK_TYPES = {
    "uuid": "string",
    "text": "string",
    "jsonb": "string",
    "integer": "int",
    "boolean": "boolean",
    "numeric": "decimal(8,2)",
    "timestamp with time zone": "timestamp",
}


def spark_dir(env: Mapping[str, str] | None = None) -> Path:
    """The Spark state folder (warehouse, metastore): $FLOWPILOT_SPARK_DIR, else .spark at the
    repository root (the default of profiles.yml's spark target); created."""
    env = os.environ if env is None else env
    path = Path(env[DIR_VARIABLE]) if env.get(DIR_VARIABLE) else DEFAULT_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def staging_path(env: Mapping[str, str] | None = None) -> Path:
    return spark_dir(env) / "raw_staging.duckdb"


def session_settings(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """server_side_parameters of profiles.yml's spark output, rendered as dbt renders them
    (env_var with its default; PWD is the repository root, where dbt runs)."""
    env = dict(os.environ if env is None else env)
    env[DIR_VARIABLE] = str(spark_dir(env))
    env["PWD"] = str(PROJECT_ROOT)
    profile = yaml.safe_load((PROJECT_ROOT / "profiles.yml").read_text())
    output = profile["flowpilot_metrics"]["outputs"]["spark"]

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"profiles.yml needs the environment variable {name}")
        return default

    templates = jinja2.Environment()
    return {
        key: templates.from_string(str(value)).render(env_var=env_var)
        for key, value in output["server_side_parameters"].items()
    }


def java_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """ENV (default: this process's environment) with JAVA_HOME: the one set here, else
    Debian's Java 17 (scripts/bootstrap_spark.sh installs it when missing)."""
    merged = dict(os.environ if env is None else env)
    java_home = merged.get("JAVA_HOME") or os.environ.get("JAVA_HOME")
    if not java_home and Path(JAVA_HOME).exists():
        java_home = JAVA_HOME
    if java_home:
        merged["JAVA_HOME"] = java_home
    return merged


def has_java() -> bool:
    """True when Spark will find a Java: JAVA_HOME's, Debian's Java 17, or one on PATH."""
    java_home = java_env().get("JAVA_HOME")
    return bool(java_home and (Path(java_home) / "bin" / "java").exists()) or bool(
        shutil.which("java"))


@contextmanager
def session(env: Mapping[str, str] | None = None) -> Iterator[Any]:
    """A local SparkSession on the project's warehouse and metastore, stopped on exit."""
    from pyspark.sql import SparkSession  # imported here: only the spark target needs it

    os.environ.update({k: v for k, v in java_env(env).items() if k == "JAVA_HOME"})
    builder = SparkSession.builder.appName("flowpilot-load").enableHiveSupport()
    for key, value in session_settings(env).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        yield spark
    finally:
        spark.stop()


# -- the raw tables -----------------------------------------------------------------------------

def _select_for_parquet(table: str, types: Mapping[str, str]) -> str:
    """DuckDB select of raw.TABLE with the columns as Spark will hold them: uuid and json as
    text, the rest as they are (timestamptz is written as a UTC instant)."""
    columns = []
    for column in COLUMNS[table]:
        spark_type = SPARK_TYPES[types[column]]
        if spark_type == "string":
            columns.append(f"cast({column} as varchar) as {column}")
        else:
            columns.append(column)
    return f"select {', '.join(columns)} from raw.{table}"


def raw_schema_is_foreign(env: Mapping[str, str] | None = None) -> bool:
    """True when Spark's database raw holds a table the loader did not mark."""
    return in_own_process(_raw_schema_is_foreign, dict(env or os.environ))


def _raw_schema_is_foreign(env: Mapping[str, str]) -> bool:
    with session(env) as spark:
        if not spark.catalog.databaseExists("raw"):
            return False
        for table in spark.catalog.listTables("raw"):
            properties = dict(
                (row[0], row[1]) for row in
                spark.sql(f"show tblproperties raw.`{table.name}`").collect()
            )
            if properties.get(MARKER_PROPERTY) != DEMO_MARKER:
                return True
    return False


def in_own_process(function: Callable[..., Any], *args: Any) -> Any:
    """FUNCTION(*ARGS) in a new Python process. Spark's JVM outlives a stopped session and
    keeps the Derby metastore booted (locked) until its process ends: a dbt run after it in
    another process could not open the catalog."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def read_tables(databases: Iterable[str], env: Mapping[str, str] | None = None
                ) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table (not view) of DATABASES: {database.table: (columns, rows)}, in a process of
    its own. Instants come back as aware UTC datetimes (PySpark alone would give naive ones in
    the driver's local zone: they are read as UTC text and parsed)."""
    return in_own_process(_read_tables, list(databases), dict(env or os.environ))


def _read_tables(databases: list[str], env: dict[str, str]) -> dict[str, tuple[list, list]]:
    result = {}
    with session(env) as spark:
        for database in databases:
            for table in spark.catalog.listTables(database):
                if table.tableType == "VIEW":
                    continue
                name = f"{database}.{table.name}"
                fields = spark.table(name).schema.fields
                columns = [field.name for field in fields]
                instants = [field.dataType.typeName() == "timestamp" for field in fields]
                select = ", ".join(
                    f"date_format({column}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'\")"
                    if instant else column
                    for column, instant in zip(columns, instants)
                )
                rows = [
                    tuple(dt.datetime.fromisoformat(value) if instant and value is not None
                          else value for value, instant in zip(row, instants))
                    for row in spark.sql(f"select {select} from {name}").collect()
                ]
                result[name] = (columns, rows)
    return result


def publish(staging: Path, env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Replace Spark's database raw by the raw tables of the staging DuckDB file; row counts.
    Spark runs in a process of its own (in_own_process). Table by table: Spark has no
    transactions, so a load that fails midway leaves some tables replaced (load again)."""
    return in_own_process(_publish, staging, dict(env or os.environ))


def _publish(staging: Path, env: Mapping[str, str]) -> dict[str, int]:
    from flowpilot_tools import raw_contract

    contract = raw_contract.load()
    export = Path(tempfile.mkdtemp(prefix="raw_parquet_", dir=spark_dir(env)))
    try:
        with duckdb_load.connect(staging, read_only=True) as conn:
            for table in TABLES:
                select = _select_for_parquet(table, dict(contract[table]))
                conn.execute(f"copy ({select}) to '{export / table}.parquet' (format parquet)")
        rows = {}
        with session(env) as spark:
            spark.sql("create database if not exists raw")
            for table in TABLES:
                types = dict(contract[table])
                casts = ", ".join(
                    f"cast({column} as {SPARK_TYPES[types[column]]}) as {column}"
                    for column in COLUMNS[table]
                )
                spark.sql(f"drop table if exists raw.{table}")
                spark.sql(
                    f"create table raw.{table} using parquet "
                    f"tblproperties ('{MARKER_PROPERTY}' = '{DEMO_MARKER}') "
                    f"as select {casts} from parquet.`{export / table}.parquet`"
                )
                rows[table] = spark.table(f"raw.{table}").count()
        return rows
    finally:
        shutil.rmtree(export, ignore_errors=True)


def load(scale: Scale, env: Mapping[str, str] | None = None, workers: int = 2) -> LoadResult:
    """Generate SCALE into the staging DuckDB file (replaced) and publish it to Spark."""
    start = time.monotonic()
    staging = staging_path(env)
    staging.unlink(missing_ok=True)
    duckdb_load.load(scale, staging, workers=workers)
    rows = publish(staging, env)
    return LoadResult(rows=rows, seconds=time.monotonic() - start)


def append(scale: Scale, env: Mapping[str, str] | None = None, workers: int = 2) -> LoadResult:
    """Land the later batch SCALE as DuckDB's append does (replays included), then publish."""
    start = time.monotonic()
    staging = staging_path(env)
    if not staging.exists():
        raise FileNotFoundError(f"{staging}: load before appending")
    duckdb_load.append(scale, staging, workers=workers)
    rows = publish(staging, env)
    return LoadResult(rows=rows, seconds=time.monotonic() - start)
