"""Where the warehouse is: an external PostgreSQL given by libpq variables, or an embedded one.

With ``PGHOST`` in the environment every command uses that server as libpq
would (``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``).  Without it, the
embedded server of the ``pgserver`` package is started from ``.pgdata/`` at the
repository root (ignored by git) and listens on a Unix socket in that folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg
from psycopg import sql

from flowpilot_tools import PROJECT_ROOT

PGDATA = PROJECT_ROOT / ".pgdata"
DEFAULT_DATABASE = "flowpilot"

# Analytics settings of the embedded server (docs/physical_design.md explains them
# and recommends them for an external server).
EMBEDDED_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "1GB",
    "effective_cache_size": "8GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "wal_compression": "on",
    # no replicas: tables created and filled in one transaction (dbt's CTAS, a full refresh)
    # skip the WAL and are fsynced at commit instead; still crash-safe (DECISIONLOG 14)
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "jit": "off",
    "random_page_cost": "1.1",
    "max_parallel_workers_per_gather": "2",
    "timezone": "UTC",
}

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_external() -> bool:
    """True when the libpq variables name a server of the user's."""
    return bool(os.environ.get("PGHOST"))


def _socket_dir(pgdata: Path) -> Path | None:
    """The socket folder of a running embedded server, read from postmaster.pid."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    return Path(lines[4].strip())


def start_embedded(pgdata: Path = PGDATA) -> dict[str, str]:
    """Start (or find running) the embedded server; return its libpq variables."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver then uses /tmp, which is fine.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: external-server runs never need it

    server = pgserver.get_server(pgdata, cleanup_mode=None)
    changes = settings_changes(pgdata)
    if changes:
        # A new data directory, or one set up by an earlier version of this project: apply
        # today's settings (crash safety depends on some of them) and restart once.
        server.psql("\n".join(changes))
        _pg_ctl(pgdata, ["-w", "restart"])
    socket_dir = _socket_dir(pgdata)
    if socket_dir is None:
        raise RuntimeError(f"the embedded PostgreSQL in {pgdata} did not report ready")
    env = {"PGHOST": str(socket_dir), "PGPORT": "5432", "PGUSER": "postgres", "PGPASSWORD": ""}
    # PGDATABASE alone (no PGHOST) picks a database on the embedded server.
    env["PGDATABASE"] = os.environ.get("PGDATABASE") or DEFAULT_DATABASE
    ensure_database(env["PGDATABASE"], env)
    return env


def settings_changes(pgdata: Path) -> list[str]:
    """The ALTER SYSTEM statements that make the server's postgresql.auto.conf hold exactly
    EMBEDDED_SETTINGS: a setting missing or different is set, one no longer wanted (such as
    synchronous_commit = off of earlier versions) is reset. Empty when nothing differs."""
    auto_conf = pgdata / "postgresql.auto.conf"
    current: dict[str, str] = {}
    if auto_conf.exists():
        for line in auto_conf.read_text().splitlines():
            match = re.match(r"^\s*([a-z_]+)\s*=\s*'(.*)'\s*$", line)
            if match:
                current[match.group(1)] = match.group(2)
    changes = [f"alter system set {name} = '{value}';"
               for name, value in EMBEDDED_SETTINGS.items() if current.get(name) != value]
    changes += [f"alter system reset {name};" for name in current if name not in EMBEDDED_SETTINGS]
    return changes


def _pg_ctl(pgdata: Path, args: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset is fine here
        from pgserver import _commands

    user = "pgserver" if os.geteuid() == 0 else None
    _commands.pg_ctl(args, pgdata=pgdata, user=user, timeout=120)


def stop_embedded(pgdata: Path = PGDATA) -> bool:
    """Stop the embedded server; False when it was not running."""
    if _socket_dir(pgdata) is None:
        return False
    _pg_ctl(pgdata, ["-w", "-m", "fast", "stop"])
    return True


def connection_env() -> dict[str, str]:
    """The libpq variables of the warehouse, starting the embedded server if needed."""
    if is_external():
        keys = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
        env = {key: os.environ[key] for key in keys if key in os.environ}
        env.setdefault("PGDATABASE", os.environ.get("PGUSER", DEFAULT_DATABASE))
        return env
    return start_embedded()


def conninfo(env: Mapping[str, str], database: str | None = None) -> str:
    """A libpq connection string for the given variables."""
    parts = {
        "host": env.get("PGHOST"),
        "port": env.get("PGPORT"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD") or None,
        "dbname": database or env.get("PGDATABASE"),
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})


@contextlib.contextmanager
def connect(env: Mapping[str, str], database: str | None = None) -> Iterator[psycopg.Connection]:
    with psycopg.connect(conninfo(env, database), autocommit=True) as conn:
        yield conn


def _check_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain lower-case identifier: {name!r}")
    return name


def ensure_database(name: str, env: Mapping[str, str]) -> None:
    with connect(env, "postgres") as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(_check_identifier(name))))


def drop_database(name: str, env: Mapping[str, str]) -> None:
    with connect(env, "postgres") as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(_check_identifier(name))
            )
        )


def psql_env(env: Mapping[str, str]) -> dict[str, str]:
    """The current environment with the warehouse's libpq variables on top."""
    merged = dict(os.environ)
    merged.update(env)
    return merged


def server_version(env: Mapping[str, str]) -> str:
    with connect(env) as conn:
        return conn.execute("show server_version").fetchone()[0]


def run(cmd: list[str], env: Mapping[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=psql_env(env), cwd=PROJECT_ROOT, check=False, **kwargs)
