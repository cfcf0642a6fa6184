"""Faults during the nightly job, on a PostgreSQL server of this module's own (it is crashed).

What BI reads must be the last good night or a complete new one. Each test injects one
fault of the matrix in docs/operations.md and asserts:
  - every mart equals, row for row, either its previous version or a clean build of the new
    night (never an empty or half-fed one);
  - the run's exit code and run log say what happened (server resets included);
  - the next healthy run equals a clean build;
  - the history holds each night at most once and never a wrong one.

The clean builds are made once, in a reference database loaded with the same generated data:
night A and night B, a day apart. The tests run in order, alternating the night they build
(each starts from the marts the previous one left).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from flowpilot_tools import nightly, warehouse
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import (
    DIGEST_SQL, FACTS, HISTORY, MARTS, PER_PERIOD_MARTS, Scenario, age_raw, dbt_in_process,
    table_digests,
)

# The job's dbt steps run in this process (its logic unchanged): no start-up per step.
pytestmark = pytest.mark.usefixtures("nightly_dbt_in_process")
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
NIGHT_B = NOW - dt.timedelta(minutes=30)
NIGHT_A = NIGHT_B - dt.timedelta(days=1)
SCALE = Scale(accounts=4, days=95, sessions_per_day=4.0, seed=5, as_of=NOW, hours_after_as_of=0)


# -- a server of our own ----------------------------------------------------------------------
class Server:
    """An embedded PostgreSQL in a temporary folder, to be killed and restarted at will."""

    def __init__(self) -> None:
        self.pgdata = Path(tempfile.mkdtemp(prefix="fpt_faults_", dir="/tmp")) / "pgdata"
        self.env = warehouse.start_embedded(self.pgdata)
        self.socket_dir = self.env["PGHOST"]

    def arm_crash_marker(self) -> None:
        """An unlogged table of the test's own with one row: crash recovery empties it."""
        with warehouse.connect(self.env, "postgres") as conn:
            conn.execute("create unlogged table if not exists fpt_crash_marker (x int)")
            conn.execute("truncate fpt_crash_marker")
            conn.execute("insert into fpt_crash_marker values (1)")

    def crashed(self) -> bool:
        assert nightly.wait_for_server(self.env, 60)
        with warehouse.connect(self.env, "postgres") as conn:
            return conn.execute("select count(*) = 0 from fpt_crash_marker").fetchone()[0]

    def stop_immediately(self) -> None:
        """pg_ctl stop -m immediate: no checkpoint; the next start runs crash recovery."""
        warehouse._pg_ctl(self.pgdata, ["-w", "-m", "immediate", "stop"])

    def start(self) -> None:
        warehouse._pg_ctl(self.pgdata, ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}",
                                        "-l", str(self.pgdata / "log"), "start"])

    def close(self) -> None:
        try:
            warehouse._pg_ctl(self.pgdata, ["-w", "-m", "fast", "stop"])
        except Exception:  # already down
            pass
        shutil.rmtree(self.pgdata.parent, ignore_errors=True)


class BackendKiller(threading.Thread):
    """A BI session holding ACCESS SHARE on TABLE (a long read); the backend of the build that
    then waits for it (dbt's swap of that table) is killed with SIGNAL, as the OOM killer
    does (SIGKILL: the postmaster resets every session and runs crash recovery), or
    terminated (pg_terminate_backend: only that connection drops)."""

    def __init__(self, env: dict[str, str], table: str, how: str = "sigkill"):
        super().__init__(daemon=True)
        self.conninfo, self.table, self.how = warehouse.conninfo(env), table, how
        self.holding, self.killed = threading.Event(), threading.Event()
        self.victim: int | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.conninfo) as holder, \
                    psycopg.connect(self.conninfo, autocommit=True) as watcher:
                holder.execute(f"select count(*) from {self.table}")
                self.holding.set()
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    row = watcher.execute(
                        "select pid from pg_locks where not granted "
                        "and relation = %s::regclass limit 1", (self.table,),
                    ).fetchone()
                    if row:
                        self.victim = row[0]
                        if self.how == "sigkill":
                            os.kill(self.victim, signal.SIGKILL)
                        else:
                            watcher.execute("select pg_terminate_backend(%s)", (self.victim,))
                            holder.rollback()
                        self.killed.set()
                        return
                    time.sleep(0.05)
        except psycopg.Error:
            pass  # the reset ends this session too


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


def digests(scenario) -> dict[str, tuple]:
    return table_digests(scenario, [MARTS])


@pytest.fixture(scope="module")
def clean(server):
    """Digests of every mart from a clean full build of each night, on the same data."""
    reference = Scenario(server.env, "reference")
    try:
        reference.load_generated(SCALE)
        found = {}
        for night, as_of in (("A", NIGHT_A), ("B", NIGHT_B)):
            reference.build(nightly.iso(as_of), "--full-refresh")
            found[night] = digests(reference)
        assert found["A"] != found["B"]
        for night in found.values():
            assert len(night) == 10 and all(n_rows > 0 for n_rows, _ in night.values())
        return found
    finally:
        reference.close()


@pytest.fixture(scope="module")
def scenario(server, clean):
    s = Scenario(server.env, "faults")
    s.load_generated(SCALE)
    age_raw(s, 1.0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


def night(scenario, runs: Path, as_of: dt.datetime, **options) -> tuple[int, dict]:
    options.setdefault("lock_timeout", "120s")
    options.setdefault("recovery_wait_seconds", 60.0)
    code = nightly.run(scenario.env, nightly.NightlyOptions(
        runs_dir=runs, as_of=nightly.iso(as_of), **options))
    record = json.loads((runs / "nightly.jsonl").read_text().splitlines()[-1])
    return code, record


def history_nights(scenario) -> dict[str, dict[str, tuple]]:
    """Per history table, per as_of date: the digest of that night's rows as mart rows."""
    found: dict[str, dict[str, tuple]] = {}
    with warehouse.connect(scenario.env) as conn:
        for mart in PER_PERIOD_MARTS:
            columns = [row[0] for row in conn.execute(
                "select column_name from information_schema.columns where table_schema = %s "
                "and table_name = %s order by ordinal_position", (MARTS, mart))]
            dates = [row[0] for row in conn.execute(
                f"select distinct as_of_date from {HISTORY}.{mart}_history order by 1")]
            found[mart] = {}
            for date in dates:
                relation = (f"(select {', '.join(columns)} from {HISTORY}.{mart}_history "
                            f"where as_of_date = '{date}')")
                found[mart][str(date)] = tuple(
                    conn.execute(DIGEST_SQL.format(relation=relation)).fetchone())
    return found


def assert_history_true(scenario, clean: dict[str, dict[str, tuple]]) -> dict:
    """Every night in the history equals the clean build of that night (once: a night's rows
    are one version, so they equal the clean mart's row count and digest)."""
    expected_by_date = {NIGHT_A.date().isoformat(): clean["A"],
                        NIGHT_B.date().isoformat(): clean["B"]}
    found = history_nights(scenario)
    for mart, nights in found.items():
        for date, digest in nights.items():
            assert date in expected_by_date, f"{mart}_history has a night never built: {date}"
            assert digest == expected_by_date[date][f"{MARTS}.{mart}"], (
                f"{mart}_history holds a wrong night {date}")
    return found


def assert_each_mart_old_or_new(now: dict, before: dict, new_night: dict) -> None:
    for name, digest in now.items():
        assert digest in (before[name], new_night[name]), (
            f"{name} is neither the last good night nor a clean build of the new one: {digest}")


def assert_a_failed_night(scenario, code: int, record: dict, message: str, before: dict,
                          history_before: dict, new_night: dict) -> None:
    """Exit 1 with a failure naming MESSAGE; every mart whole; no history for the night."""
    assert code == 1 and record["status"] == "failed"
    assert any(message in f["message"] for f in record["failures"]), record["failures"]
    assert_each_mart_old_or_new(digests(scenario), before, new_night)
    assert history_nights(scenario) == history_before


def assert_the_next_night_is_clean(scenario, runs: Path, clean: dict, key: str) -> None:
    code, record = night(scenario, runs, {"A": NIGHT_A, "B": NIGHT_B}[key])
    assert code == 0, record["failures"]
    assert digests(scenario) == clean[key]
    assert_history_true(scenario, clean)


def dbt(scenario, *args: str, target: Path | None = None) -> subprocess.CompletedProcess:
    """An analyst's dbt command (in this process: no interpreter start-up per call)."""
    return dbt_in_process(list(args), scenario.env, target or scenario.target_path)


# -- the tests, in order ----------------------------------------------------------------------
def test_a_healthy_night_equals_the_clean_build(scenario, runs, clean):
    code, record = night(scenario, runs, NIGHT_A)
    assert code == 0, record["failures"]
    assert [s["step"] for s in record["steps"]] == ["freshness", "build", "history"]
    assert record["server_resets"] == [] and record["server_reset_since_last_run"] is None
    assert digests(scenario) == clean["A"]
    assert set(next(iter(assert_history_true(scenario, clean).values()))) == {
        NIGHT_A.date().isoformat()}


def test_a_backend_killed_while_a_mart_swaps_is_rebuilt_not_retried(scenario, runs, clean,
                                                                     server):
    """SIGKILL of the backend building fct_psa_funnel: crash recovery resets every session.
    The job sees the postmaster's new start time and builds again, whole, instead of dbt
    retry; the night ends complete and equal to a clean build, the log says why."""
    server.arm_crash_marker()
    killer = BackendKiller(scenario.env, f"{MARTS}.fct_psa_funnel")
    killer.start()
    assert killer.holding.wait(30)
    code, record = night(scenario, runs, NIGHT_B)
    assert killer.killed.is_set(), "the fault was not injected"
    assert server.crashed(), "no crash recovery happened"
    assert code == 0, record["failures"]
    assert [(s["step"], s["exit_code"] != 0) for s in record["steps"]] == [
        ("freshness", False), ("build", True), ("rebuild", False), ("history", False)]
    [reset] = record["server_resets"]
    assert reset["during"] == "build" and reset["action"] == "the build again, whole"
    assert {m["attempt"] for m in record["models"] if m["node"] == "fct_psa_funnel"} == {
        "rebuild"}
    assert digests(scenario) == clean["B"]
    nights = assert_history_true(scenario, clean)
    assert all(set(by_date) == {NIGHT_A.date().isoformat(), NIGHT_B.date().isoformat()}
               for by_date in nights.values())


def test_a_backend_killed_while_an_intermediate_builds_leaves_whole_marts(
        scenario, runs, clean, server):
    """The same crash while int_sessions_windowed swaps, with --no-retry: the run fails and
    says a reset happened; each mart is night B (the last good one) or a clean night A;
    no history is written for the failed night. Then an analyst's plain `dbt retry` from the
    run's artifacts completes night A correctly: the tables it reads survived the crash."""
    history_before = history_nights(scenario)
    before = digests(scenario)
    server.arm_crash_marker()
    killer = BackendKiller(scenario.env, "flowpilot_intermediate.int_sessions_windowed")
    killer.start()
    assert killer.holding.wait(30)
    code, record = night(scenario, runs, NIGHT_A, retry=False)
    assert killer.killed.is_set(), "the fault was not injected"
    assert server.crashed(), "no crash recovery happened"
    assert code == 1 and record["status"] == "failed"
    [reset] = record["server_resets"]
    assert reset["during"] == "build" and reset["action"].startswith("none (--no-retry)")
    assert "history" not in [s["step"] for s in record["steps"]]
    assert_each_mart_old_or_new(digests(scenario), before, clean["A"])
    assert history_nights(scenario) == history_before

    retried = dbt(scenario, "retry", target=Path(record["artifacts"]) / "target")
    assert retried.returncode == 0, retried.stdout[-4000:]
    assert digests(scenario) == clean["A"]


def test_a_server_crash_between_runs_changes_nothing(scenario, runs, clean, server):
    """pg_ctl stop -m immediate and a start: crash recovery with no run going. An analyst's
    `dbt build -s models/marts` then reads the intermediate tables as they were (they are
    logged), and the next nightly notes the restart and equals a clean build."""
    server.arm_crash_marker()
    server.stop_immediately()
    server.start()
    assert server.crashed(), "no crash recovery happened"
    built = dbt(scenario, "build", "--select", "models/marts", "--exclude-resource-type",
                "unit_test", "--vars", json.dumps({"as_of": nightly.iso(NIGHT_A)}))
    assert built.returncode == 0, built.stdout[-4000:]
    assert digests(scenario) == clean["A"]

    code, record = night(scenario, runs, NIGHT_B)
    assert code == 0, record["failures"]
    assert record["server_resets"] == []
    assert record["server_reset_since_last_run"] is True
    assert digests(scenario) == clean["B"]
    assert_history_true(scenario, clean)


def test_a_dropped_connection_is_retried(scenario, runs, clean, server):
    """pg_terminate_backend of the session swapping fct_session_metrics (a dropped
    connection, no server reset): dbt retry reruns only the failed and skipped nodes."""
    server.arm_crash_marker()
    killer = BackendKiller(scenario.env, f"{MARTS}.fct_session_metrics", how="terminate")
    killer.start()
    assert killer.holding.wait(30)
    code, record = night(scenario, runs, NIGHT_A)
    assert killer.killed.is_set(), "the fault was not injected"
    assert not server.crashed()
    assert code == 0, record["failures"]
    assert [s["step"] for s in record["steps"]] == ["freshness", "build", "retry", "history"]
    assert record["server_resets"] == []
    assert digests(scenario) == clean["A"]
    assert_history_true(scenario, clean)


def test_temp_files_over_their_limit_fail_the_night_and_keep_whole_marts(
        scenario, runs, clean):
    """Disk full for temporary files (temp_file_limit, with a work_mem that makes every sort
    spill): the build and its retry fail, exit 1 naming the models; each mart is whole; no
    history for that night. With the limit lifted the next night equals a clean build."""
    before, history_before = digests(scenario), history_nights(scenario)
    with warehouse.connect(scenario.env) as conn:
        conn.execute(f"alter database {scenario.database} set work_mem = '64kB'")
        conn.execute(f"alter database {scenario.database} set temp_file_limit = '0'")
    try:
        code, record = night(scenario, runs, NIGHT_B)
    finally:
        with warehouse.connect(scenario.env) as conn:
            conn.execute(f"alter database {scenario.database} reset work_mem")
            conn.execute(f"alter database {scenario.database} reset temp_file_limit")
    assert [s["step"] for s in record["steps"]] == ["freshness", "build", "retry"]
    assert_a_failed_night(scenario, code, record, "temp_file_limit", before, history_before,
                          clean["B"])
    assert_the_next_night_is_clean(scenario, runs, clean, "B")


def _small_filesystem(size: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="fpt_full_", dir="/tmp"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                             str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        path.rmdir()
        pytest.skip(f"cannot mount a small filesystem here: {result.stderr.strip()}")
    return path


def test_a_full_data_disk_fails_the_night_and_keeps_whole_marts(scenario, runs, clean,
                                                                server):
    """Disk full for data: new tables go to a tablespace on a 64 kB filesystem
    (default_tablespace), so the first table that outgrows it fails with 'No space left on
    device'. Build and retry fail, exit 1; each mart is whole; no history for the night.
    With space back, the next night equals a clean build."""
    mount = _small_filesystem("64k")
    try:
        owner = server.pgdata.stat()
        os.chown(mount, owner.st_uid, owner.st_gid)
        before, history_before = digests(scenario), history_nights(scenario)
        with warehouse.connect(scenario.env) as conn:
            conn.execute(f"create tablespace fpt_small location '{mount}'")
            conn.execute(f"alter database {scenario.database} set default_tablespace = "
                         "fpt_small")
        try:
            code, record = night(scenario, runs, NIGHT_A)
        finally:
            with warehouse.connect(scenario.env) as conn:
                conn.execute(f"alter database {scenario.database} reset default_tablespace")
        assert_a_failed_night(scenario, code, record, "No space left on device", before,
                              history_before, clean["A"])
        assert_the_next_night_is_clean(scenario, runs, clean, "A")
    finally:
        with warehouse.connect(scenario.env) as conn:
            leftovers = conn.execute(
                "select c.oid::regclass::text from pg_class as c join pg_tablespace as t "
                "on c.reltablespace = t.oid where t.spcname = 'fpt_small'").fetchall()
            for (relation,) in leftovers:
                conn.execute(f"drop table if exists {relation} cascade")
            conn.execute("drop tablespace if exists fpt_small")
        subprocess.run(["umount", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


def _fill(path: Path, leave_bytes: int) -> Path:
    """A file that takes all but LEAVE_BYTES of the filesystem at PATH."""
    filler = path / "filler"
    free = shutil.disk_usage(path).free - leave_bytes
    with filler.open("wb") as out:
        while free > 0:
            chunk = min(free, 1 << 20)
            out.write(b"\0" * chunk)
            free -= chunk
    return filler


class WalOnSmallDisk(Server):
    """A server whose pg_wal is a 24 MB filesystem of its own, with 1 MB WAL segments, no
    recycling and wal_level=replica (every table build writes WAL), so that a build needing a
    new segment on a full disk PANICs. While the disk is full, every segment is kept
    (wal_keep_size): a checkpoint during the build would otherwise delete old segments and
    free room, and whether the build then fits would depend on the machine's speed."""

    def __init__(self) -> None:
        import pwd

        from pgserver import _commands

        self.pgdata = Path(tempfile.mkdtemp(prefix="fpt_wal_", dir="/tmp")) / "pgdata"
        self.pgdata.parent.chmod(0o755)  # the server's own user must reach it
        self.pgdata.mkdir()
        owner = pwd.getpwnam("pgserver") if os.geteuid() == 0 else None
        if owner:
            os.chown(self.pgdata, owner.pw_uid, owner.pw_gid)
        _commands.initdb(["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U",
                          "postgres", "--wal-segsize=1"], pgdata=self.pgdata,
                         user="pgserver" if owner else None)
        self.wal = _small_filesystem("24m")
        for segment in (self.pgdata / "pg_wal").iterdir():
            shutil.move(str(segment), self.wal / segment.name)
        if owner:  # a move across filesystems copies: the copies are root's
            for path in [self.wal, *self.wal.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        (self.pgdata / "pg_wal").rmdir()
        (self.pgdata / "pg_wal").symlink_to(self.wal)
        self.env = warehouse.start_embedded(self.pgdata)
        self.socket_dir = self.env["PGHOST"]
        with warehouse.connect(self.env, "postgres") as conn:
            for name, value in (("wal_recycle", "off"), ("min_wal_size", "2MB"),
                                ("max_wal_size", "4MB"), ("wal_level", "replica")):
                conn.execute(f"alter system set {name} = '{value}'")
        warehouse._pg_ctl(self.pgdata, ["-w", "restart"])

    def keep_wal(self, keep: bool) -> None:
        """Keep every WAL segment from now on (KEEP), or let checkpoints delete them again."""
        with warehouse.connect(self.env, "postgres") as conn:
            conn.execute("checkpoint")  # with nothing kept yet: the old segments go now
            conn.execute("alter system set wal_keep_size = '1GB'" if keep
                         else "alter system reset wal_keep_size")
            conn.execute("select pg_reload_conf()")
            if not keep:
                conn.execute("checkpoint")

    def close(self) -> None:
        super().close()
        subprocess.run(["umount", str(self.wal)], check=False)
        shutil.rmtree(self.wal, ignore_errors=True)


def test_a_full_wal_disk_keeps_whole_marts_and_an_honest_log(runs, clean):
    """Disk full for WAL: the build needs a new WAL segment and PostgreSQL PANICs (crash
    recovery, or a server that cannot come back while the disk is full). Whatever the server
    then does, every mart is whole, a failed night appends no history, the run log says what
    happened; with space back and the server started, the next night equals a clean build."""
    server = WalOnSmallDisk()
    scenario = Scenario(server.env, "wal")
    filler = None
    try:
        scenario.load_generated(SCALE)
        age_raw(scenario, 1.0)
        code, record = night(scenario, runs, NIGHT_A)
        assert code == 0, record["failures"]
        before, history_before = digests(scenario), history_nights(scenario)
        server.keep_wal(True)
        filler = _fill(server.wal, leave_bytes=256 * 1024)
        code, record = night(scenario, runs, NIGHT_B, recovery_wait_seconds=15.0)
        messages = " ".join(f["message"] for f in record["failures"])
        filler.unlink()
        filler = None
        if not nightly.wait_for_server(server.env, 2):
            server.start()
        server.keep_wal(False)
        assert code == 1, record
        assert record["server_resets"] or "did not accept connections" in messages, record
        assert_each_mart_old_or_new(digests(scenario), before, clean["B"])
        if "history" in [s["step"] for s in record["steps"]]:
            # the crash came in the history step, after the build succeeded: a history
            # table may hold the night already, once and right; the rerun completes it
            assert_history_true(scenario, clean)
        else:
            assert history_nights(scenario) == history_before
        assert_the_next_night_is_clean(scenario, runs, clean, "B")
        assert all(set(by_date) == {NIGHT_A.date().isoformat(), NIGHT_B.date().isoformat()}
                   for by_date in history_nights(scenario).values())
    finally:
        if filler is not None:
            filler.unlink()
        if not nightly.wait_for_server(server.env, 2):
            server.start()
        scenario.close()
        server.close()


def test_an_upstream_truncation_is_refused_not_published(scenario, runs, clean):
    """raw.ai_sessions truncated upstream (a re-sync): the nightly stops at the freshness
    check (the table has no row), the marts stay night A. An analyst's plain build fails on
    the reconciliation of staging with raw. An analyst's full refresh would build the session
    fact from nothing: the volume guard refuses it (its previous version stays, the error names
    the measure and the var) and the session marts, which read it, are skipped and stay night
    A, unless the run says the fall is expected."""
    before, history_before = digests(scenario), history_nights(scenario)
    facts_before = table_digests(scenario, [FACTS])
    with warehouse.connect(scenario.env) as conn:
        conn.execute("create table raw.ai_sessions_saved as select * from raw.ai_sessions")
        conn.execute("truncate raw.ai_sessions")
    try:
        code, record = night(scenario, runs, NIGHT_A)
        assert code == 1 and [s["step"] for s in record["steps"]] == ["freshness"]
        assert [(f["node"], f["status"]) for f in record["failures"]] == [
            ("source flowpilot.ai_sessions", "stale")]
        assert digests(scenario) == before
        assert history_nights(scenario) == history_before

        plain = dbt(scenario, "build", "--exclude-resource-type", "unit_test", "--vars",
                    json.dumps({"as_of": nightly.iso(NIGHT_A)}))
        assert plain.returncode != 0
        assert "Failure in test in_step_with_raw_stg_flowpilot__ai_sessions" in plain.stdout
        assert digests(scenario) == before

        refresh = dbt(scenario, "build", "--full-refresh", "--exclude-resource-type", "test",
                      "unit_test", "--vars", json.dumps({"as_of": nightly.iso(NIGHT_A)}))
        assert refresh.returncode != 0
        after = digests(scenario)
        assert "audit before swap: fct_sessions was not replaced" in refresh.stdout
        assert "volume guard: count(*) fell from" in refresh.stdout
        assert "volume_shrink_expected" in refresh.stdout
        assert table_digests(scenario, [FACTS])[f"{FACTS}.fct_sessions"] == \
            facts_before[f"{FACTS}.fct_sessions"]
        for mart in ("fct_session_metrics", "fct_mttr_trend", "fct_confidence_breakdown",
                     "fct_domain_coverage", "fct_flow_quality"):
            assert after[f"{MARTS}.{mart}"] == before[f"{MARTS}.{mart}"], mart
            assert f"SKIP relation {MARTS}.{mart}" in refresh.stdout, mart

        expected = dbt(scenario, "build", "--select", "fct_sessions", "int_sessions_windowed",
                       "fct_session_metrics", "--exclude-resource-type", "test", "unit_test",
                       "--vars", json.dumps({
                           "as_of": nightly.iso(NIGHT_A),
                           "volume_shrink_expected": ["fct_sessions", "fct_session_metrics"]}))
        assert expected.returncode == 0, expected.stdout[-3000:]
        totals = scenario.query(f"select sum(total_sessions) as n from {MARTS}.fct_session_metrics")
        assert totals[0]["n"] == 0
    finally:
        with warehouse.connect(scenario.env) as conn:
            conn.execute("insert into raw.ai_sessions select * from raw.ai_sessions_saved")
            conn.execute("drop table raw.ai_sessions_saved")
    scenario.build(nightly.iso(NIGHT_A), "--full-refresh")
    assert digests(scenario) == clean["A"]


def test_an_unlogged_table_left_by_an_earlier_version_is_made_logged(scenario):
    """Deployments built before DECISIONLOG 14 have UNLOGGED staging and intermediate tables,
    which incremental runs keep. The build makes a filled one logged and refuses to build
    from an empty one (a crash may have emptied it), naming the full refresh to run."""
    sessions = "flowpilot_staging.stg_flowpilot__ai_sessions"
    steps = "flowpilot_intermediate.int_handoffs_first_step_found"

    def persistence(relation: str) -> str:
        return scenario.query("select relpersistence from pg_class where oid = %s::regclass",
                              (relation,))[0]["relpersistence"]

    assert persistence(sessions) == "p" and persistence(steps) == "p"
    with warehouse.connect(scenario.env) as conn:
        conn.execute(f"alter table {sessions} set unlogged")
    output = scenario.build(nightly.iso(NIGHT_A), "--select", "stg_flowpilot__ai_sessions")
    assert f"made logged: {sessions}" in output
    assert persistence(sessions) == "p"

    with warehouse.connect(scenario.env) as conn:
        conn.execute(f"create table {steps}_saved as select * from {steps}")
        conn.execute(f"truncate {steps}")
        conn.execute(f"alter table {steps} set unlogged")
    before = digests(scenario)
    try:
        built = dbt(scenario, "build", "--select", "models/marts", "--vars",
                    json.dumps({"as_of": nightly.iso(NIGHT_B)}))
        assert built.returncode != 0
        assert "UNLOGGED and empty: int_handoffs_first_step_found" in built.stdout
        assert "dbt build --full-refresh --select int_handoffs_first_step_found+" in built.stdout
        assert digests(scenario) == before  # nothing was built from the empty table
    finally:
        with warehouse.connect(scenario.env) as conn:
            conn.execute(f"alter table {steps} set logged")
            conn.execute(f"insert into {steps} select * from {steps}_saved")
            conn.execute(f"drop table {steps}_saved")
