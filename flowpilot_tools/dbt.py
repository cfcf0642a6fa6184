"""Running dbt and sqlfluff from this package, against the warehouse's libpq variables."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.warehouse import psql_env

BIN = Path(sys.executable).parent
DEMO_AS_OF = "2026-04-27T15:25:46+00:00"


def tool_env(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    """Environment for dbt and sqlfluff: the libpq variables and this project's profile."""
    merged = psql_env(env)
    merged["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
    # dbt runs in the repository root: profiles.yml's file defaults (.duckdb/, .spark/) read PWD
    merged["PWD"] = str(PROJECT_ROOT)
    merged.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    merged.update(extra)
    return merged


def vars_arg(as_of: str | None = None, **more: object) -> list[str]:
    values: dict[str, object] = dict(more)
    if as_of is not None:
        values["as_of"] = as_of
    return ["--vars", json.dumps(values)] if values else []


def run_dbt(
    args: Sequence[str],
    env: Mapping[str, str],
    target_path: Path | None = None,
    capture: bool = False,
    in_process: bool = False,
    **extra: str,
) -> subprocess.CompletedProcess:
    """Run ``dbt ARGS`` from the project root; a separate target path keeps runs apart.

    IN_PROCESS: through dbt's programmatic entry point (``dbtRunner``) in this Python process
    instead of a ``dbt`` subprocess: the same command, environment, output and exit code,
    without the few seconds a new interpreter takes to import dbt (the test suite makes some
    hundred dbt calls). One call at a time: dbt's flags, adapters and logger are global.
    """
    command = [*args]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
        extra.setdefault("DBT_LOG_PATH", str(target_path / "logs"))
    if in_process:
        return _invoke_in_process(command, tool_env(env, **extra), capture)
    return subprocess.run(
        [str(BIN / "dbt"), *command],
        cwd=PROJECT_ROOT,
        env=tool_env(env, **extra),
        check=False,
        text=True,
        capture_output=capture,
    )


_IN_PROCESS = threading.Lock()


@contextlib.contextmanager
def _process_state(environment: Mapping[str, str]) -> Iterator[None]:
    """This process's environment and working directory as a dbt subprocess would have them
    (dbt reads env_var() from os.environ, libpq reads PGOPTIONS and PGTZ), restored after."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(PROJECT_ROOT)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _invoke_in_process(
    args: list[str], environment: Mapping[str, str], capture: bool
) -> subprocess.CompletedProcess:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

    output = io.StringIO()
    with _IN_PROCESS, _process_state(environment):
        if capture:
            capture_stdout_logs(output)  # dbt's console log goes here instead of stdout
        try:
            result = dbtRunner().invoke(args)
        finally:
            if capture:
                stop_capture_stdout_logs()
    # the exit codes of the dbt command: 0 success, 1 a node failed, 2 dbt itself failed
    code = 0 if result.success else 1 if result.exception is None else 2
    text = output.getvalue()
    if result.exception is not None and str(result.exception) not in text:
        # dbt logs the errors of a command it ran; not those of a command line it refused
        message = f"{type(result.exception).__name__}: {result.exception}\n"
        if capture:
            text += "\n" + message
        elif type(result.exception).__module__.startswith("dbt.cli"):
            print(message, file=sys.stderr)
    return subprocess.CompletedProcess(
        ["dbt", *args], code, stdout=text if capture else None, stderr="" if capture else None
    )


def start_sqlfluff(
    env: Mapping[str, str], output: IO[str], processes: int = 1,
    paths: Sequence[str] = ("models", "analyses", "tests"),
) -> subprocess.Popen:
    """sqlfluff lint in the background, its report written to OUTPUT (wait() for its code)."""
    present = [path for path in paths if (PROJECT_ROOT / path).exists()]
    command = [str(BIN / "sqlfluff"), "lint", *present, "--processes", str(processes)]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=tool_env(env), stdout=output,
                            stderr=subprocess.STDOUT, text=True)


def run_mf(
    args: Sequence[str], env: Mapping[str, str], project_dir: Path = PROJECT_ROOT,
    capture: bool = False,
) -> subprocess.CompletedProcess:
    """Run MetricFlow's ``mf ARGS`` (dbt-metricflow) against the warehouse's libpq variables.

    mf reads ``<project_dir>/target/semantic_manifest.json`` (written by any dbt parse or
    build) and queries through the project's profile.
    """
    return subprocess.run(
        [str(BIN / "mf"), *args],
        cwd=project_dir,
        env=tool_env(env, DBT_PROJECT_DIR=str(project_dir)),
        check=False,
        text=True,
        capture_output=capture,
    )
