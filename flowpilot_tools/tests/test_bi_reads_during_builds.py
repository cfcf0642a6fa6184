"""BI never sees a broken mart: reads during a build, during a killed build, and after failures.

A reader thread, logged in as flowpilot_bi_reader, reads every mart and history table in a
loop; each read is one statement returning the row count and an md5 of all rows. Every read
must return a complete version that some build committed: the version before the build or the
one after it - never an error, an empty table or a mix of the two.

Sequence (one module, each step starting from the previous one's marts):
  A  build as_of A                              -> version A of every table
  B  build as_of B, read all the while          -> every read is A or B; the next are B
  C  build as_of A, SIGKILL mid-way, read on    -> every read is A or B, per table
  D  build as_of A again                        -> succeeds, marts equal A, nothing left over
  E  a failing upstream test (seed periods)     -> the dependent marts stay as they were
  F  a mart failing its own test (audit)        -> that mart stays as it was, readable
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter

import psycopg
import pytest

from flowpilot_tools import PROJECT_ROOT, warehouse
from flowpilot_tools.dbt import BIN, tool_env
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import (
    DIGEST_SQL, HISTORY, MARTS, PER_PERIOD_MARTS, table_digests, ts,
)

AS_OF_A = "2026-04-27T15:25:46+00:00"
AS_OF_B = "2026-04-26T15:25:46+00:00"
SCALE = Scale(accounts=8, days=95, sessions_per_day=6.0, seed=11, as_of=ts("2026-04-27 15:25:46"))
BI_READER = "flowpilot_bi_reader"


class Reader(threading.Thread):
    """Reads every table in a loop as the BI reader until stopped; records what it saw."""

    def __init__(self, env: dict[str, str], tables: list[str]):
        super().__init__(daemon=True)
        self.conninfo = warehouse.conninfo(env)
        self.tables = tables
        self.seen: dict[str, Counter] = {table: Counter() for table in tables}
        self.errors: list[str] = []
        self.loops = 0
        self._halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"set role {BI_READER}")
            while not self._halt.is_set():
                for table in self.tables:
                    try:
                        row = conn.execute(DIGEST_SQL.format(relation=table)).fetchone()
                        self.seen[table][tuple(row)] += 1
                    except psycopg.Error as error:
                        self.errors.append(f"{table}: {error}".strip())
                self.loops += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)


def start_build(scenario, as_of: str, *extra: str) -> subprocess.Popen:
    """Scenario.build(as_of, publish_history=True) as a process of its own, to be killed."""
    command = [
        str(BIN / "dbt"), "build", "--exclude-resource-type", "test", "unit_test",
        "--select", "fqn:*", "--vars", json.dumps({"as_of": as_of, "publish_history": True}),
        "--target-path", str(scenario.target_path),
        *extra,
    ]
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=tool_env(scenario.env, DBT_USE_COLORS="false"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def assert_only_versions(reader: Reader, *versions: dict[str, tuple]) -> None:
    assert not reader.errors, reader.errors[:5]
    assert reader.loops > 3, "the reader did not get to read during the build"
    for table, seen in reader.seen.items():
        allowed = {version[table] for version in versions if table in version}
        assert set(seen) <= allowed, f"{table}: read a version no build committed: {seen}"
        assert all(n_rows > 0 for n_rows, _ in seen), f"{table}: read an empty table"


def wait_for_dbt_backends_to_end(scenario, timeout: float = 60.0) -> None:
    """A killed client's server backends roll back and end on their own; wait for that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = scenario.query(
            "select count(*) as n from pg_stat_activity where datname = %s "
            "and application_name = 'dbt'",
            (scenario.database,),
        )[0]["n"]
        if busy == 0:
            return
        time.sleep(0.2)
    raise AssertionError("the killed build's connections did not end")


@pytest.fixture(scope="module")
def scenario(scenario_factory):
    s = scenario_factory("bi_reads")
    s.load_generated(SCALE)
    s.build(AS_OF_A, publish_history=True)
    return s


@pytest.fixture(scope="module")
def versions(scenario):
    """The digests of the committed versions, filled in as the module goes."""
    return {"A": table_digests(scenario)}


@pytest.fixture(scope="module")
def tables(scenario, versions):
    names = sorted(versions["A"])
    assert sum(name.startswith(f"{MARTS}.") for name in names) == 10
    assert sum(name.startswith(f"{HISTORY}.") for name in names) == 9
    return names


def test_reads_during_a_build_see_the_old_or_the_new_version(scenario, versions, tables):
    reader = Reader(scenario.env, tables)
    reader.start()
    time.sleep(0.3)
    scenario.build(AS_OF_B, publish_history=True)  # the same build as start_build's, in-process
    time.sleep(0.3)
    reader.stop()
    versions["B"] = table_digests(scenario)
    # history tables keep A's date and add B's: their "B" version is a superset, not equal
    assert_only_versions(reader, versions["A"], versions["B"])
    for table in tables:
        if table.startswith(f"{MARTS}.") and table != f"{MARTS}.dim_accounts":
            assert versions["A"][table] != versions["B"][table], table
            assert set(reader.seen[table]) == {versions["A"][table], versions["B"][table]}, (
                f"{table}: the reads did not span the swap"
            )


def test_reads_during_a_killed_build_see_only_committed_versions(scenario, versions, tables):
    reader = Reader(scenario.env, tables)
    reader.start()
    build = start_build(scenario, AS_OF_A)
    assert build.stdout is not None
    killed_at = None
    for line in build.stdout:
        # kill while the fact marts are being built: some swapped to A already, some not
        if re.search(rf"START sql table model {MARTS}\.fct_", line):
            time.sleep(0.4)
            os.killpg(build.pid, signal.SIGKILL)
            killed_at = line.strip()
            break
    build.wait(timeout=60)
    assert killed_at is not None, "the build ended before a mart started"
    assert build.returncode == -signal.SIGKILL
    time.sleep(1.0)
    wait_for_dbt_backends_to_end(scenario)
    time.sleep(0.5)
    reader.stop()
    # per table: B (not reached by the killed build) or A (committed before the kill)
    assert_only_versions(reader, versions["A"], versions["B"])
    after_kill = table_digests(scenario)
    for table in tables:
        if table.startswith(f"{MARTS}."):
            assert after_kill[table] in (versions["A"][table], versions["B"][table]), table


def test_the_next_build_after_the_kill_succeeds_and_leaves_nothing_behind(
    scenario, versions, tables
):
    scenario.build(AS_OF_A, publish_history=True)
    rebuilt = table_digests(scenario)
    for table in tables:
        if table.startswith(f"{MARTS}."):
            assert rebuilt[table] == versions["A"][table], table
    leftovers = scenario.query(
        "select relname from pg_class c inner join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname like 'flowpilot%%' and (relname like '%%dbt_tmp%%' "
        "or relname like '%%dbt_backup%%')"
    )
    assert leftovers == []
    # history: one set of rows per as_of date, A's date written once more, not twice
    for mart in PER_PERIOD_MARTS:
        dates = scenario.query(
            f"select as_of_date, count(*) as n from {HISTORY}.{mart}_history group by 1 order by 1"
        )
        n_mart = scenario.query(f"select count(*) as n from {MARTS}.{mart}")[0]["n"]
        assert [str(r["as_of_date"]) for r in dates] == ["2026-04-26", "2026-04-27"], mart
        assert dates[1]["n"] == n_mart, mart
    versions["D"] = rebuilt


def test_a_failing_upstream_test_keeps_the_dependent_marts(scenario, versions):
    """A duplicate period breaks the unique test of seed periods: everything built on the
    period spine is skipped and keeps the version of the last good build."""
    scenario.query("insert into flowpilot_seeds.periods values ('7d', 7) returning period")
    try:
        output = scenario.dbt(
            "build", "--exclude-resource-type", "seed", "unit_test",
            "--vars", json.dumps({"as_of": AS_OF_B}), check=False,
        )
    finally:
        scenario.query("delete from flowpilot_seeds.periods where ctid = "
                       "(select max(ctid) from flowpilot_seeds.periods where period = '7d') "
                       "returning period")
    assert "Failure in test unique_periods_period" in output
    assert re.search(r"SKIP relation flowpilot_intermediate.int_account_periods_spined", output)
    after = table_digests(scenario)
    for mart in PER_PERIOD_MARTS:
        assert after[f"{MARTS}.{mart}"] == versions["D"][f"{MARTS}.{mart}"], mart
        assert after[f"{HISTORY}.{mart}_history"] == versions["D"][f"{HISTORY}.{mart}_history"]


def test_a_mart_failing_its_own_test_is_not_replaced(scenario, versions, tables):
    """A fourth confidence tier 'expert' in the seed gives the breakdown rows of a tier
    METRICS.md does not know: its accepted_values test fails before the swap is committed, so
    BI keeps reading the last good version (with its grants); the other marts move on to B."""
    target = f"{MARTS}.fct_confidence_breakdown"
    scenario.query("insert into flowpilot_seeds.confidence_tiers values ('expert') "
                   "returning confidence_tier")
    reader = Reader(scenario.env, [target])
    reader.start()
    try:
        output = scenario.dbt(
            "build", "--exclude", "confidence_tiers", "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"as_of": AS_OF_B}), check=False,
        )
    finally:
        reader.stop()
        scenario.query("delete from flowpilot_seeds.confidence_tiers "
                       "where confidence_tier = 'expert' returning confidence_tier")
    message = " ".join(output.split())
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=1 ", message)
    assert "audit before swap: fct_confidence_breakdown was not replaced" in message
    assert ("accepted_values_fct_confidence_breakdown_confidence_tier__guided__exploring"
            "__discovery") in message
    assert not reader.errors, reader.errors[:3]
    assert set(reader.seen[target]) == {versions["D"][target]}
    after = table_digests(scenario)
    assert after[target] == versions["D"][target]
    assert after[f"{MARTS}.fct_session_metrics"] == versions["B"][f"{MARTS}.fct_session_metrics"]
    assert scenario.query(
        f"select has_table_privilege('{BI_READER}', '{target}', 'select') as granted"
    )[0]["granted"]
