"""Running dbt and sqlfluff from this package, against the warehouse's libpq variables."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.warehouse import psql_env

BIN = Path(sys.executable).parent
DEMO_AS_OF = "2026-04-27T15:25:46+00:00"


def tool_env(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    """Environment for dbt and sqlfluff: the libpq variables and this project's profile."""
    merged = psql_env(env)
    merged["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
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
    **extra: str,
) -> subprocess.CompletedProcess:
    """Run ``dbt ARGS`` from the project root; a separate target path keeps runs apart."""
    command = [str(BIN / "dbt"), *args]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
        extra.setdefault("DBT_LOG_PATH", str(target_path / "logs"))
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=tool_env(env, **extra),
        check=False,
        text=True,
        capture_output=capture,
    )


def run_sqlfluff(
    env: Mapping[str, str], paths: Sequence[str] = ("models", "analyses", "tests")
) -> int:
    present = [path for path in paths if (PROJECT_ROOT / path).exists()]
    command = [str(BIN / "sqlfluff"), "lint", *present, "--processes", "2"]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=tool_env(env), check=False).returncode


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
