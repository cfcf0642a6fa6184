"""Roles, grants and row-level security for the BI readers; no personal data past staging.

flowpilot_bi_reader may read every mart and history table and nothing in raw, staging,
intermediate or seeds. flowpilot_tenant_reader sees, in every mart and history table, only
the rows whose account_id equals the session setting flowpilot.account_id - and nothing when
it is unset or empty. Checked with SET ROLE in a superuser session and with a real login role
that is a member of the tenant role.
"""

from __future__ import annotations

import json
import secrets
import uuid

import psycopg
import pytest

from flowpilot_tools import warehouse
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import HISTORY, MARTS, STAGING, INTERMEDIATE, ts

AS_OF = "2026-04-27T15:25:46+00:00"
SCALE = Scale(accounts=5, days=95, sessions_per_day=4.0, seed=5, as_of=ts("2026-04-27 15:25:46"))
BI, TENANT = "flowpilot_bi_reader", "flowpilot_tenant_reader"
CLOSED_SCHEMAS = ["raw", STAGING, INTERMEDIATE, "flowpilot_seeds"]
PERSONAL_COLUMNS = ["email", "full_name", "problem_description", "content", "reason",
                    "error_message"]
MARKER = "pii-marker-7f3a"


@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("security")
    s.load_generated(SCALE)
    # Personal data with a marker in every personal column, tied to a known account.
    s.insert("accounts", [{"id": "pii", "name": "PII MSP", "timezone": "UTC"}])
    s.insert("users", [{"id": "pii_user", "account_id": "pii", "email": f"a@{MARKER}.test",
                        "full_name": f"Ann {MARKER}", "role": "engineer"}])
    s.insert("ai_sessions", [{"id": "pii_session", "account_id": "pii", "user_id": "pii_user",
                              "status": "resolved", "problem_description": f"{MARKER} vpn",
                              "created_at": ts("2026-04-26 10:00"),
                              "resolved_at": ts("2026-04-26 10:30")}])
    s.insert("ai_session_steps", [{"session_id": "pii_session", "content": f"{MARKER} step",
                                   "created_at": ts("2026-04-26 10:05")}])
    s.insert("session_handoffs", [{"session_id": "pii_session", "account_id": "pii",
                                   "reason": f"{MARKER} reason", "status": "claimed",
                                   "created_at": ts("2026-04-26 10:06"),
                                   "claimed_at": ts("2026-04-26 10:07")}])
    s.insert("psa_post_logs", [{"ai_session_id": "pii_session", "status": "failed",
                                "error_message": f"{MARKER} error",
                                "posted_at": ts("2026-04-26 10:31")}])
    s.build(AS_OF, publish_history=True)
    return s


@pytest.fixture(scope="module")
def reader_tables(built):
    rows = built.query(
        "select table_schema || '.' || table_name as name from information_schema.tables "
        "where table_schema = any(%s) order by 1", ([MARTS, HISTORY],)
    )
    names = [r["name"] for r in rows]
    assert len(names) == 19  # 10 marts, 9 history tables
    return names


@pytest.fixture(scope="module")
def accounts(built):
    return [r["account_id"] for r in built.query(
        f"select account_id from {MARTS}.dim_accounts order by account_id")]


def session(built, role: str, account: str | None = None) -> psycopg.Connection:
    conn = psycopg.connect(warehouse.conninfo(built.env), autocommit=True)
    conn.execute(f"set role {role}")
    if account is not None:
        conn.execute("select set_config('flowpilot.account_id', %s, false)", (account,))
    return conn


def count(conn: psycopg.Connection, table: str, where: str = "true") -> int:
    return conn.execute(f"select count(*) from {table} where {where}").fetchone()[0]


def test_reader_roles_exist_as_group_roles(built):
    roles = built.query(
        "select rolname, rolcanlogin, rolsuper from pg_roles where rolname = any(%s) order by 1",
        ([BI, TENANT],),
    )
    assert [(r["rolname"], r["rolcanlogin"], r["rolsuper"]) for r in roles] == [
        (BI, False, False), (TENANT, False, False)
    ]


def test_every_mart_and_history_table_is_granted_and_row_secured(built, reader_tables):
    for table in reader_tables:
        row = built.query(
            "select has_table_privilege(%s, %s, 'select') as bi, "
            "has_table_privilege(%s, %s, 'select') as tenant, "
            "has_table_privilege(%s, %s, 'insert,update,delete,truncate') as bi_writes, "
            "(select relrowsecurity from pg_class where oid = %s::regclass) as rls",
            (BI, table, TENANT, table, BI, table, table),
        )[0]
        assert row == {"bi": True, "tenant": True, "bi_writes": False, "rls": True}, table
        schema, name = table.split(".")
        policies = built.query(
            "select policyname, roles::text[] as roles, cmd from pg_policies "
            "where schemaname = %s and tablename = %s order by 1", (schema, name)
        )
        assert [(p["policyname"], p["roles"], p["cmd"]) for p in policies] == [
            ("bi_reader_sees_every_row", [BI], "SELECT"),
            ("tenant_reader_sees_own_account", [TENANT], "SELECT"),
        ], table


def test_readers_may_use_only_the_marts_and_history_schemas(built):
    for role in (BI, TENANT):
        for schema in (MARTS, HISTORY):
            assert built.query("select has_schema_privilege(%s, %s, 'usage') as ok",
                               (role, schema))[0]["ok"], (role, schema)
        for schema in CLOSED_SCHEMAS:
            assert not built.query("select has_schema_privilege(%s, %s, 'usage') as ok",
                                   (role, schema))[0]["ok"], (role, schema)


def test_readers_hold_no_privilege_in_raw_staging_intermediate_or_seeds(built):
    relations = built.query(
        "select table_schema || '.' || table_name as name from information_schema.tables "
        "where table_schema = any(%s)", (CLOSED_SCHEMAS,)
    )
    assert len(relations) > 30  # raw tables, staging views, intermediate tables, seeds
    granted = built.query(
        "select c.relname, r.rolname from pg_class c "
        "inner join pg_namespace n on n.oid = c.relnamespace "
        "cross join (select unnest(%s::text[]) as rolname) as r "
        "where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p') "
        "and has_table_privilege(r.rolname, c.oid, 'select,insert,update,delete')",
        ([BI, TENANT], CLOSED_SCHEMAS),
    )
    assert granted == []


@pytest.mark.parametrize("relation", [
    "raw.accounts", f"{STAGING}.stg_flowpilot__ai_sessions",
    f"{INTERMEDIATE}.int_sessions_windowed", "flowpilot_seeds.periods",
])
def test_bi_reader_is_refused_outside_the_marts(built, relation):
    with session(built, BI) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            count(conn, relation)


def test_bi_reader_sees_every_row_of_every_table(built, reader_tables):
    with session(built, BI) as conn, warehouse.connect(built.env) as owner:
        for table in reader_tables:
            assert count(conn, table) == count(owner, table) > 0, table


@pytest.mark.parametrize("setting", [None, ""])
def test_tenant_reader_sees_nothing_without_an_account(built, reader_tables, setting):
    with session(built, TENANT, setting) as conn:
        for table in reader_tables:
            assert count(conn, table) == 0, table


def test_tenant_reader_sees_exactly_its_own_account(built, reader_tables, accounts):
    with warehouse.connect(built.env) as owner:
        for account in accounts[:3]:
            with session(built, TENANT, str(account)) as conn:
                for table in reader_tables:
                    own = count(owner, table, f"account_id = '{account}'")
                    assert count(conn, table) == own, (table, account)
                    assert count(conn, table, f"account_id <> '{account}'") == 0
        # an account that does not exist sees nothing
        with session(built, TENANT, str(uuid.uuid4())) as conn:
            assert all(count(conn, table) == 0 for table in reader_tables)


def test_tenant_reader_cannot_switch_off_row_level_security(built, accounts):
    with session(built, TENANT, str(accounts[0])) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"alter table {MARTS}.fct_session_metrics disable row level security")


def test_a_real_tenant_login_sees_only_its_account(built, reader_tables, accounts):
    """A login role, member of the tenant role, connecting with the setting in its options."""
    login = f"fpt_tenant_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with warehouse.connect(built.env) as admin:
        admin.execute(f"create role {login} login password '{password}' in role {TENANT}")
    try:
        info = dict(host=built.env.get("PGHOST"), port=built.env.get("PGPORT"), user=login,
                    password=password, dbname=built.database, autocommit=True)
        account = str(accounts[1])
        try:
            tenant = psycopg.connect(**info, options=f"-c flowpilot.account_id={account}")
        except psycopg.OperationalError as error:  # e.g. pg_hba refuses password logins
            pytest.skip(f"cannot log in as a new role on this server: {error}")
        with tenant, warehouse.connect(built.env) as owner:
            assert tenant.execute("select current_user").fetchone()[0] == login
            for table in reader_tables:
                own = count(owner, table, f"account_id = '{account}'")
                assert count(tenant, table) == own, table
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                count(tenant, "raw.ai_sessions")
        with psycopg.connect(**info) as widen:  # its own login cannot become the BI reader
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                widen.execute(f"set role {BI}")
        with psycopg.connect(**info) as unset:
            assert all(count(unset, table) == 0 for table in reader_tables)
    finally:
        with warehouse.connect(built.env) as admin:
            admin.execute(f"drop role if exists {login}")


def test_no_personal_data_column_past_staging(built):
    found = built.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('raw', 'pg_catalog', 'information_schema') "
        "and column_name = any(%s)", (PERSONAL_COLUMNS,)
    )
    assert found == []
    in_raw = built.query(
        "select count(*) as n from information_schema.columns "
        "where table_schema = 'raw' and column_name = any(%s)", (PERSONAL_COLUMNS,)
    )[0]["n"]
    assert in_raw == len(PERSONAL_COLUMNS)  # the check would see them if they leaked


def test_no_personal_value_in_any_relation_past_raw(built):
    """The marker typed into every personal column appears in no table or view, under any
    column name (staging views included)."""
    relations = built.query(
        "select table_schema || '.' || table_name as name from information_schema.tables "
        "where table_schema like 'flowpilot%%' order by 1"
    )
    assert len(relations) > 40
    leaks = [r["name"] for r in relations
             if built.query(f"select count(*) as n from {r['name']} as t "
                            f"where t::text like '%%{MARKER}%%'")[0]["n"] > 0]
    assert leaks == []
    assert built.query(f"select count(*) as n from raw.users as t "
                       f"where t::text like '%%{MARKER}%%'")[0]["n"] == 1
    # the session itself did reach the marts (so the marker had every chance to leak)
    assert built.query(f"select total_sessions from {MARTS}.fct_session_metrics "
                       "where account_id = %s and period = '7d'",
                       (str(uuid.uuid5(uuid.UUID("6f1c1d1e-0000-4000-8000-000000000000"),
                                       "pii")),))[0]["total_sessions"] == 1


def test_builds_work_without_managing_roles_once_they_exist(built):
    output = built.dbt("build", "--select", "dim_accounts", "--exclude-resource-type", "test",
                       "unit_test", "--vars", json.dumps({"as_of": AS_OF, "manage_roles": False}))
    assert "OK created sql table model flowpilot_marts.dim_accounts" in " ".join(output.split())
