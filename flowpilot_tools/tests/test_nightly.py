"""The nightly job (flowpilot nightly) on generated data that is fresh: it ends now.

One module, one database, runs in order:
  1. the command itself, as cron would call it: freshness, build at the run's start,
     then the history step, artifacts, run log, exit 0;
  2. a rerun the same date with sources 5 hours old and warn after 4: status warn, exit 0,
     and the date's history rows replaced, not added;
  3. a mart whose swap cannot get its lock (a BI session holds it) for the first attempt
     only: dbt retry rebuilds just the failed and skipped nodes, exit 0;
  4. the same lock held throughout: build and retry fail, exit 1 naming the mart and
     dbt's message, the mart keeps its previous version, no history for the night;
  5. sources older than the error threshold: exit 1 naming them, no build;
  6. a run while another holds the nightly lock: exit 1 at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from flowpilot_tools import PROJECT_ROOT, nightly, warehouse
from flowpilot_tools.dbt import BIN
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import (
    HISTORY, MARTS, PER_PERIOD_MARTS, age_raw, table_digests,
)

# The job's dbt steps run in this process (its logic unchanged); run 1 is the command line
# itself, a subprocess, as cron calls it.
pytestmark = pytest.mark.usefixtures("nightly_dbt_in_process")
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
SCALE = Scale(accounts=4, days=95, sessions_per_day=4.0, seed=3, as_of=NOW, hours_after_as_of=0)
ACTIVITY_SOURCES = {"ai_sessions", "ai_session_steps", "session_handoffs", "flow_proposals",
                    "psa_post_logs", "psa_activity_logs"}
LOCKED_MART = f"{MARTS}.fct_confidence_breakdown"


def records(log: Path, run_id: str) -> list[dict]:
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return [line for line in lines if line["run_id"] == run_id]


def last_end(log: Path) -> dict:
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["event"] == "end"
    assert [r["event"] for r in records(log, record["run_id"])] == ["start", "end"]
    return record


def run(scenario, runs: Path, **options) -> tuple[int, dict]:
    options.setdefault("lock_timeout", "2s")
    code = nightly.run(scenario.env, nightly.NightlyOptions(runs_dir=runs, **options))
    return code, last_end(runs / "nightly.jsonl")


class LockHolder(threading.Thread):
    """A session holding ACCESS EXCLUSIVE on a mart, as a long BI transaction would block a
    swap. until='first_timeout' releases it once a waiter gave up (the first attempt failed);
    until='released' holds it until release()."""

    def __init__(self, env, table: str, until: str):
        super().__init__(daemon=True)
        self.conninfo, self.table, self.until = warehouse.conninfo(env), table, until
        self.locked, self.waiter_seen, self._release = (threading.Event(), threading.Event(),
                                                        threading.Event())

    def run(self) -> None:
        with psycopg.connect(self.conninfo) as holder, \
                psycopg.connect(self.conninfo, autocommit=True) as watcher:
            holder.execute(f"lock table {self.table} in access exclusive mode")
            self.locked.set()
            deadline = time.monotonic() + 240
            while not self._release.is_set() and time.monotonic() < deadline:
                waiting = watcher.execute(
                    "select count(*) from pg_locks where not granted and relation = %s::regclass",
                    (self.table,),
                ).fetchone()[0]
                if waiting:
                    self.waiter_seen.set()
                elif self.waiter_seen.is_set() and self.until == "first_timeout":
                    break
                time.sleep(0.05)
            holder.rollback()

    def release(self) -> None:
        self._release.set()
        self.join(timeout=30)


@pytest.fixture(scope="module")
def scenario(scenario_factory):
    s = scenario_factory("nightly")
    s.load_generated(SCALE)
    age_raw(s, 1.0)
    return s


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def first(scenario, runs):
    """Run 1: the command line, as the crontab line of docs/operations.md calls it."""
    env = dict(os.environ, **scenario.env)
    env.pop("FLOWPILOT_SCHEMA", None)
    started = dt.datetime.now(dt.timezone.utc)
    result = subprocess.run(
        [str(BIN / "flowpilot"), "nightly", "--runs-dir", str(runs)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    return result, started, last_end(runs / "nightly.jsonl")


def test_the_command_exits_0_and_says_so(first):
    result, _, record = first
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert record["status"] == "success" and record["exit_code"] == 0
    assert f"nightly {record['run_id']}: SUCCESS" in result.stdout
    assert [s["step"] for s in record["steps"]] == ["freshness", "build", "history"]
    assert record["failures"] == [] and record["skipped"] == []
    assert record["server_resets"] == []


def test_as_of_is_the_start_of_the_run_in_utc(first):
    _, started, record = first
    as_of = dt.datetime.fromisoformat(record["as_of"])
    assert record["as_of"].endswith("+00:00")
    assert started.replace(microsecond=0) - dt.timedelta(seconds=1) <= as_of <= started + (
        dt.timedelta(seconds=5))
    assert record["started_at"] <= record["ended_at"]


def test_freshness_of_the_activity_tables_is_checked(first):
    freshness = {f["source"].split(".")[-1]: f for f in first[2]["freshness"]}
    assert set(freshness) == ACTIVITY_SOURCES  # accounts, users, flows, categories: no signal
    for source in freshness.values():
        assert source["status"] == "pass"
        assert 0.9 <= source["hours_since_load"] <= 1.2


def test_every_model_is_logged_with_rows_and_seconds(first, scenario):
    models = {m["node"]: m for m in first[2]["models"]}
    for mart in PER_PERIOD_MARTS + ["dim_accounts"]:
        n_rows = scenario.query(f"select count(*) as n from {MARTS}.{mart}")[0]["n"]
        assert models[mart]["status"] == "success"
        assert models[mart]["rows"] == n_rows > 0, mart
        assert models[mart]["seconds"] >= 0
    for mart in PER_PERIOD_MARTS:
        assert models[f"{mart}_history"]["rows"] == models[mart]["rows"]
    tests = first[2]["tests"]
    assert tests.get("pass", 0) > 50 and "fail" not in tests and "error" not in tests


def test_the_night_runs_the_data_tests_and_not_the_unit_tests(first):
    """The data tests look at the night's data; the unit tests check the code on fixed
    inputs, which CI ran on the same commit (UNIT_TESTS_LEFT_OUT, DECISIONLOG 21)."""
    record = first[2]
    target = Path(record["artifacts"]) / "target"
    kinds = {
        step: Counter(result["unique_id"].split(".")[0] for result in json.loads(
            (target / f"run_results.{step}.json").read_text())["results"])
        for step in ("build", "history")
    }
    assert kinds["build"]["unit_test"] == kinds["history"]["unit_test"] == 0
    assert kinds["build"]["test"] > 50 and kinds["build"]["model"] > 30
    # the run log's test counts are these data tests, every one of them
    assert sum(record["tests"].values()) == kinds["build"]["test"] + kinds["history"]["test"]


def test_the_history_has_the_run_date(first, scenario):
    as_of = first[2]["as_of"]
    for mart in PER_PERIOD_MARTS:
        rows = scenario.query(
            f"select as_of_date, as_of, count(*) as n from {HISTORY}.{mart}_history "
            "group by 1, 2"
        )
        n_mart = scenario.query(f"select count(*) as n from {MARTS}.{mart}")[0]["n"]
        assert [(str(r["as_of_date"]), r["as_of"].isoformat(), r["n"]) for r in rows] == [
            (as_of[:10], as_of, n_mart)
        ], mart


def test_artifacts_are_kept_per_run(first, runs):
    record = first[2]
    run_dir = Path(record["artifacts"])
    assert run_dir.parent == runs.resolve() and run_dir.name == record["run_id"]
    for name in ("manifest.json", "run_results.json", "run_results.build.json", "sources.json",
                 "logs/dbt.log"):
        assert (run_dir / "target" / name).exists(), name
    assert json.loads((run_dir / "run.json").read_text()) == record
    results = json.loads((run_dir / "target" / "run_results.json").read_text())
    assert json.loads(results["args"]["vars"] if isinstance(results["args"]["vars"], str)
                      else json.dumps(results["args"]["vars"]))["as_of"] == record["as_of"]


def test_a_rerun_the_same_date_replaces_that_dates_history(first, scenario, runs):
    first_as_of = dt.datetime.fromisoformat(first[2]["as_of"])
    second = first_as_of - dt.timedelta(seconds=1)
    if second.date() != first_as_of.date():
        second = first_as_of + dt.timedelta(seconds=1)
    age_raw(scenario, 5.0)
    code, record = run(scenario, runs, as_of=nightly.iso(second), warn_after_hours=4,
                       error_after_hours=30)
    assert code == 0, record["failures"]
    assert record["status"] == "warn"
    assert {f["status"] for f in record["freshness"]} == {"warn"}
    for mart in PER_PERIOD_MARTS:
        rows = scenario.query(
            f"select as_of_date, as_of, count(*) as n from {HISTORY}.{mart}_history "
            "group by 1, 2"
        )
        n_mart = scenario.query(f"select count(*) as n from {MARTS}.{mart}")[0]["n"]
        assert [(r["as_of_date"], r["as_of"], r["n"]) for r in rows] == [
            (second.date(), second, n_mart)
        ], mart


def test_a_failed_node_is_retried_once_and_the_run_succeeds(scenario, runs):
    age_raw(scenario, 1.0)
    holder = LockHolder(scenario.env, LOCKED_MART, until="first_timeout")
    holder.start()
    assert holder.locked.wait(30)
    try:
        code, record = run(scenario, runs, lock_timeout="1s")
    finally:
        holder.release()
    assert holder.waiter_seen.is_set()
    assert code == 0, record["failures"]
    assert [(s["step"], s["exit_code"]) for s in record["steps"]] == [
        ("freshness", 0), ("build", 1), ("retry", 0), ("history", 0)
    ]
    assert record["server_resets"] == []  # a lock timeout is no reset: dbt retry suffices
    models = {m["node"]: m for m in record["models"]}
    assert models["fct_confidence_breakdown"]["attempt"] == "retry"
    assert models["fct_confidence_breakdown_history"]["attempt"] == "history"
    assert models["fct_session_metrics"]["attempt"] == "build"  # only failed/skipped retried
    build = json.loads((Path(record["artifacts"]) / "target/run_results.build.json").read_text())
    retried = json.loads((Path(record["artifacts"]) / "target/run_results.retry.json").read_text())
    failed = {r["unique_id"] for r in build["results"] if r["status"] in ("error", "skipped")}
    assert {r["unique_id"] for r in retried["results"] if "operation" not in r["unique_id"]} == (
        failed
    )
    mart_as_of = scenario.query(f"select distinct as_of from {LOCKED_MART}")
    assert [r["as_of"].isoformat() for r in mart_as_of] == [record["as_of"]]


def test_a_node_failing_twice_fails_the_run_naming_it(scenario, runs, capsys):
    before = table_digests(scenario)
    holder = LockHolder(scenario.env, LOCKED_MART, until="released")
    holder.start()
    assert holder.locked.wait(30)
    try:
        code, record = run(scenario, runs, lock_timeout="1s")
    finally:
        holder.release()
    assert code == 1 and record["status"] == "failed" and record["exit_code"] == 1
    assert [(s["step"], s["exit_code"]) for s in record["steps"]] == [
        ("freshness", 0), ("build", 1), ("retry", 1)
    ]
    [failure] = record["failures"]
    assert failure["node"] == "fct_confidence_breakdown" and failure["status"] == "error"
    assert "lock timeout" in failure["message"]
    assert "history" not in [s["step"] for s in record["steps"]]  # a failed night: none
    assert "FAILED fct_confidence_breakdown (error)" in capsys.readouterr().out
    after = table_digests(scenario)
    assert after[LOCKED_MART] == before[LOCKED_MART]  # the last good version stays
    history = f"{HISTORY}.fct_confidence_breakdown_history"
    assert after[history] == before[history]


def test_a_stale_source_stops_the_run_before_the_build(scenario, runs):
    before = table_digests(scenario, [MARTS])
    age_raw(scenario, 5.0)
    try:
        code, record = run(scenario, runs, warn_after_hours=1, error_after_hours=3)
    finally:
        age_raw(scenario, 1.0)
    assert code == 1 and record["status"] == "failed"
    assert [s["step"] for s in record["steps"]] == ["freshness"]
    stale = {f["node"] for f in record["failures"]}
    assert stale == {f"source flowpilot.{name}" for name in ACTIVITY_SOURCES}
    assert all(f["status"] == "stale" and "error after 3 hours" in f["message"]
               for f in record["failures"])
    assert table_digests(scenario, [MARTS]) == before


def test_a_run_does_not_overlap_another(scenario, runs):
    with warehouse.connect(scenario.env) as other:
        other.execute("select pg_advisory_lock(hashtext(%s))", (nightly.lock_key(scenario.env),))
        started = time.monotonic()
        code, record = run(scenario, runs)
    assert code == 1 and time.monotonic() - started < 10
    assert record["steps"] == []
    assert record["failures"][0]["node"] == "lock"


def test_error_summary_names_the_hook_error():
    output = (
        "\x1b[0m19:23:36  Finished running 1 project hook in 0.34 seconds (0.34s).\n"
        "\x1b[0m19:23:36  Encountered an error:\n"
        "Compilation Error in operation flowpilot_metrics-on-run-start-1 (./dbt_project.yml)\n"
        "  The raw tables do not match the raw contract (contract/raw_schema.sql): "
        "table raw.psa_post_logs is missing\n"
    )
    summary = nightly.error_summary(output)
    assert summary.startswith("Encountered an error:")
    assert "table raw.psa_post_logs is missing" in summary


def test_a_failing_test_that_stores_its_rows_says_where_they_are():
    test_id = "test.flowpilot_metrics.in_step_with_raw_stg_flowpilot__ai_sessions_x.1a2b"
    merged = nightly.merge_results(("build", {"results": [
        {"unique_id": test_id, "status": "fail", "message": "Got 4 results, configured to fail "
         "if != 0", "relation_name": '"db"."flowpilot_dbt_test__audit"."in_step_with_raw_1a2b"'},
        {"unique_id": "test.flowpilot_metrics.unique_x.3c4d", "status": "fail",
         "message": "Got 1 result, configured to fail if != 0", "relation_name": None},
    ]}))
    failures = {f["node"]: f["message"] for f in nightly.summarize(merged)["failures"]}
    assert failures == {
        "in_step_with_raw_stg_flowpilot__ai_sessions_x": "Got 4 results, configured to fail if "
        '!= 0; failing rows: select * from "db"."flowpilot_dbt_test__audit"."in_step_with_raw_1a2b"',
        "unique_x": "Got 1 result, configured to fail if != 0",
    }


def test_old_run_folders_are_pruned(tmp_path):
    for name in ("20260101T021500Z", "20260102T021500Z", "20260103T021500Z",
                 "20260103T021500Z-2", "keep-me"):
        (tmp_path / name).mkdir()
    assert nightly.prune_runs(tmp_path, keep=2) == ["20260101T021500Z", "20260102T021500Z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20260103T021500Z", "20260103T021500Z-2", "keep-me"
    ]


def test_each_history_table_documents_its_marts_columns():
    """models/history/_history__models.yml lists as_of_date and then every column of the mart
    with the same type and not-null constraint (a mart column added without its history
    column fails the history model's contract; this says which one, before any build)."""
    import glob

    import yaml

    def models(pattern: str) -> dict[str, dict]:
        found = {}
        for path in glob.glob(str(PROJECT_ROOT / pattern)):
            for model in yaml.safe_load(Path(path).read_text()).get("models", []):
                found[model["name"]] = model
        return found

    marts, history = models("models/marts/*/_*__models.yml"), models("models/history/_*.yml")
    assert set(history) == {f"{mart}_history" for mart in PER_PERIOD_MARTS}
    for mart in PER_PERIOD_MARTS:
        expected = [("as_of_date", "date", True)] + [
            (c["name"], c["data_type"], bool(c.get("constraints")))
            for c in marts[mart]["columns"]
        ]
        listed = [(c["name"], c["data_type"], bool(c.get("constraints")))
                  for c in history[f"{mart}_history"]["columns"]]
        assert listed == expected, mart


def test_the_history_yaml_is_derived_from_the_marts_yaml():
    """models/history/_history__models.yml is what flowpilot_tools.history_yaml writes from
    the marts' YAML: a mart column changed without rerunning it fails here, naming the fix."""
    from flowpilot_tools import history_yaml

    assert history_yaml.HISTORY_YAML.read_text() == history_yaml.render(), (
        "run: .venv/bin/python -m flowpilot_tools.history_yaml"
    )
    assert history_yaml.main(["--check"]) == 0
