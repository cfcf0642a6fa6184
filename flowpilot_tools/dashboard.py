"""``flowpilot dashboard``: the analytics page as a static site over the marts.

The site is self-contained: ``index.html`` lists the accounts, ``accounts/<id>.html`` is one
page per account with a period switch (7d / 30d / 90d), and ``assets/`` holds one shared copy
of plotly.js (from the installed ``plotly`` package), the page script and the style sheet.
Nothing is fetched from the network, so it works from ``file://`` and from any static server.

The numbers are rendered into the HTML here (for every period; the switch only shows one),
so what a reader sees is exactly what this module formats. The script draws the charts from
the JSON embedded in each page, switches periods (``#7d``, ``#30d``, ``#90d``) and sorts the
flow-quality table (``#30d:usage``).

It reads the marts as ``flowpilot_bi_reader`` (SET ROLE), in one read-only snapshot. With an
account id it reads as ``flowpilot_tenant_reader`` with ``flowpilot.account_id`` set: row-level
security then hides every other account, so the export cannot hold anything of theirs.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from psycopg.rows import dict_row

from flowpilot_tools import PROJECT_ROOT, warehouse
from flowpilot_tools.report import dbt_schema

PERIODS = ("7d", "30d", "90d")
DEFAULT_PERIOD = "30d"
BI_READER = "flowpilot_bi_reader"
TENANT_READER = "flowpilot_tenant_reader"
DEFAULT_OUT = PROJECT_ROOT / "dashboard"
ASSETS_SOURCE = Path(__file__).parent / "dashboard_assets"
MARKER_FILE = ".flowpilot-dashboard"
DASH = "\u2014"  # shown for a null rate, average or percentile: never 0


# -- formatting: the one place that decides how a number looks on the page -------------------
def fmt_count(value: Any) -> str:
    return DASH if value is None else f"{int(value):,}"


def fmt_rate(value: Any) -> str:
    return DASH if value is None else f"{float(value) * 100:.1f}%"


def fmt_minutes(value: Any) -> str:
    return DASH if value is None else f"{float(value):,.1f} min"


def fmt_seconds(value: Any) -> str:
    return DASH if value is None else f"{float(value):,.1f} s"


def fmt_hours(value: Any) -> str:
    return DASH if value is None else f"{float(value):,.1f} h"


def fmt_rating(value: Any) -> str:
    return DASH if value is None else f"{float(value):.2f}"


def fmt_score(value: Any) -> str:
    return DASH if value is None else f"{float(value):.3f}"


# What each stat card shows: (column of fct_session_metrics, label, formatter).
SESSION_CARDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("total_sessions", "Sessions", fmt_count),
    ("resolution_rate", "Resolution rate", fmt_rate),
    ("mttr_minutes", "MTTR", fmt_minutes),
    ("avg_session_duration_minutes", "Avg duration", fmt_minutes),
    ("avg_rating", "Avg rating", fmt_rating),
    ("escalated_sessions", "Escalated", fmt_count),
    ("abandoned_sessions", "Abandoned", fmt_count),
]
KNOWLEDGE_CARDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("total_flows", "Flows", fmt_count),
    ("ai_generated_flows", "AI-made flows", fmt_count),
    ("proposals_pending", "Proposals pending", fmt_count),
    ("proposals_approved", "Approved", fmt_count),
    ("proposals_rejected", "Rejected", fmt_count),
]
FUNNEL_STAGES: list[tuple[str, str]] = [
    ("total_sessions", "Sessions"),
    ("linked_to_ticket", "Linked to a ticket"),
    ("cohort_doc_pushed", "Doc pushed"),
    ("cohort_time_entry_logged", "Time entry logged"),
]
PSA_CARDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("total_time_entries", "Time entries", fmt_count),
    ("total_hours_logged", "Hours logged", fmt_hours),
    ("avg_hours_per_time_entry", "Hours per entry", fmt_hours),
    ("ticket_link_rate", "Ticket link rate", fmt_rate),
    ("auto_push_success_rate", "Push success rate", fmt_rate),
    ("auto_push_retry_success_rate", "Success after retry", fmt_rate),
]
ESCALATION_CARDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("avg_seconds_to_first_action", "Average", fmt_seconds),
    ("median_seconds_to_first_action", "Median", fmt_seconds),
    ("p95_seconds_to_first_action", "p95", fmt_seconds),
    ("n_handoffs_claimed", "Claimed", fmt_count),
    ("n_handoffs_with_action", "With an action", fmt_count),
]
BACKLOG_CARDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("n_handoffs_unclaimed", "Unclaimed", fmt_count),
    ("p95_seconds_unclaimed_age", "p95 age unclaimed", fmt_seconds),
]
DOMAIN_COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("session_count", "Sessions", fmt_count),
    ("resolution_rate", "Resolution rate", fmt_rate),
    ("escalation_rate", "Escalation rate", fmt_rate),
    ("guided_rate", "Guided rate", fmt_rate),
    ("avg_resolution_minutes", "Avg resolution", fmt_minutes),
    ("flow_count", "Live flows", fmt_count),
]
# Headlines whose history is drawn: (history table, column, label, kind for the axis).
HISTORY_METRICS: list[tuple[str, str, str, str]] = [
    ("fct_session_metrics_history", "total_sessions", "Sessions", "count"),
    ("fct_session_metrics_history", "resolution_rate", "Resolution rate", "rate"),
    ("fct_session_metrics_history", "mttr_minutes", "MTTR (min)", "number"),
    ("fct_session_metrics_history", "avg_session_duration_minutes", "Avg duration (min)", "number"),
    ("fct_session_metrics_history", "avg_rating", "Avg rating", "number"),
    ("fct_session_metrics_history", "escalated_sessions", "Escalated", "count"),
    ("fct_session_metrics_history", "abandoned_sessions", "Abandoned", "count"),
    ("fct_escalation_metrics_history", "median_seconds_to_first_action",
     "Median s to first action", "number"),
    ("fct_escalation_metrics_history", "n_handoffs_unclaimed", "Unclaimed handoffs", "count"),
]


# -- reading --------------------------------------------------------------------------------
MART_QUERIES: dict[str, str] = {
    "session": "select * from {m}.fct_session_metrics",
    "trend": "select account_id, period, resolved_date, mttr_minutes, session_count "
             "from {m}.fct_mttr_trend order by account_id, period, resolved_date",
    "domains": "select * from {m}.fct_domain_coverage "
               "order by account_id, period, session_count desc, problem_domain",
    "confidence": "select * from {m}.fct_confidence_breakdown order by account_id, period, "
                  "array_position(array['guided', 'exploring', 'discovery'], "
                  "confidence_tier::text), confidence_tier",
    "knowledge": "select * from {m}.fct_knowledge_coverage",
    "flows": "select * from {m}.fct_flow_quality order by account_id, period, quality_rank",
    "funnel": "select * from {m}.fct_psa_funnel",
    "daily": "select account_id, period, entry_date, time_entries, hours_logged "
             "from {m}.fct_psa_daily order by account_id, period, entry_date",
    "escalation": "select * from {m}.fct_escalation_metrics",
}


MART_TABLES = ("dim_accounts", "fct_session_metrics", "fct_mttr_trend", "fct_domain_coverage",
               "fct_confidence_breakdown", "fct_knowledge_coverage", "fct_flow_quality",
               "fct_psa_funnel", "fct_psa_daily", "fct_escalation_metrics")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Snapshot:
    """Everything the site shows, read in one transaction."""

    accounts: list[dict[str, Any]]
    marts: dict[str, dict[tuple[str, str], list[dict[str, Any]]]]  # name -> (account, period) -> rows
    history: dict[tuple[str, str], dict[str, Any]]  # (account, period) -> {dates, series}
    as_of: str | None


def read_snapshot(env: Mapping[str, str], account: str | None = None) -> Snapshot:
    """Read the marts as the BI reader, or as the tenant reader of ACCOUNT."""
    marts_schema, history_schema = dbt_schema("marts"), dbt_schema("history")
    with warehouse.connect(env) as conn:
        if account is None:
            conn.execute(f"set role {BI_READER}")
        else:
            conn.execute(f"set role {TENANT_READER}")
            conn.execute("select set_config('flowpilot.account_id', %s, false)", (account,))
        with conn.transaction():
            conn.execute("set transaction isolation level repeatable read, read only")
            # Before the snapshot is taken: a nightly build that swaps a mart in now waits
            # for this read instead of leaving it a new, empty-looking table by the old name.
            conn.execute("lock table " + ", ".join(f"{marts_schema}.{name}" for name in MART_TABLES)
                         + " in access share mode")
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(
                    f"select account_id, account_name, timezone, is_known_account "
                    f"from {marts_schema}.dim_accounts "
                    f"order by account_name is null, lower(account_name), account_id"
                )
                accounts = [{k: _plain(v) for k, v in row.items()} for row in cur.fetchall()]
                marts: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
                as_of = None
                for name, query in MART_QUERIES.items():
                    cur.execute(query.format(m=marts_schema))
                    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
                    for row in cur:
                        plain = {k: _plain(v) for k, v in row.items()}
                        grouped[(plain["account_id"], plain["period"])].append(plain)
                        if as_of is None and "as_of" in plain:
                            as_of = plain["as_of"]
                    marts[name] = grouped
                history = _read_history(cur, history_schema)
    return Snapshot(accounts=accounts, marts=marts, history=history, as_of=as_of)


def _read_history(cur, schema: str) -> dict[tuple[str, str], dict[str, Any]]:
    by_table: dict[str, list[str]] = defaultdict(list)
    for table, column, _label, _kind in HISTORY_METRICS:
        by_table[table].append(column)
    found: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for table, columns in by_table.items():
        cur.execute("select to_regclass(%s) is not null as present", (f"{schema}.{table}",))
        if not cur.fetchone()["present"]:
            continue  # built with --selector without_history, or not built yet
        cur.execute(
            f"select account_id, period, as_of_date, {', '.join(columns)} "
            f"from {schema}.{table} order by account_id, period, as_of_date"
        )
        for row in cur:
            key = (str(row["account_id"]), row["period"])
            day = row["as_of_date"].isoformat()
            for column in columns:
                found[key].setdefault(day, {})[column] = _plain(row[column])
    history = {}
    for key, days in found.items():
        dates = sorted(days)
        history[key] = {
            "dates": dates,
            "series": {column: [days[d].get(column) for d in dates]
                       for _t, column, _l, _k in HISTORY_METRICS},
        }
    return history


# -- rendering --------------------------------------------------------------------------------
def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cards(row: Mapping[str, Any] | None, cards: Iterable[tuple[str, str, Callable]],
           mart: str) -> str:
    out = []
    for column, label, fmt in cards:
        value = None if row is None else row.get(column)
        hint = _human_duration(value) if fmt is fmt_seconds else ""
        out.append(
            f'<div class="card"><div class="value" data-metric="{column}">{esc(fmt(value))}</div>'
            f'<div class="label">{esc(label)}{esc(hint)}</div></div>'
        )
    return f'<div class="cards" data-mart="{mart}">' + "".join(out) + "</div>"


def _human_duration(seconds: Any) -> str:
    """A reading aid under a duration in seconds: ' (≈ 2.4 h)'; nothing under a minute."""
    if seconds is None or float(seconds) < 60:
        return ""
    value = float(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if value >= size:
            return f" (\u2248 {value / size:,.1f} {unit})"
    return ""


def _one(snapshot: Snapshot, mart: str, account: str, period: str) -> dict[str, Any] | None:
    rows = snapshot.marts[mart].get((account, period), [])
    return rows[0] if rows else None


def _has_data(snapshot: Snapshot, account: str) -> bool:
    """Anything at all to show for the account in any period."""
    for period in PERIODS:
        session = _one(snapshot, "session", account, period) or {}
        escalation = _one(snapshot, "escalation", account, period) or {}
        funnel = _one(snapshot, "funnel", account, period) or {}
        knowledge = _one(snapshot, "knowledge", account, period) or {}
        if (session.get("total_sessions") or escalation.get("n_handoffs_claimed")
                or escalation.get("n_handoffs_unclaimed") or funnel.get("total_time_entries")
                or funnel.get("total_pushes") or knowledge.get("total_flows")
                or knowledge.get("proposals_pending")):
            return True
    return False


def _empty(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def _period_section(snapshot: Snapshot, account: str, period: str) -> tuple[str, dict]:
    """The HTML of one period and the chart data the script draws from."""
    session = _one(snapshot, "session", account, period)
    knowledge = _one(snapshot, "knowledge", account, period)
    funnel = _one(snapshot, "funnel", account, period)
    escalation = _one(snapshot, "escalation", account, period)
    trend = snapshot.marts["trend"].get((account, period), [])
    domains = snapshot.marts["domains"].get((account, period), [])
    confidence = snapshot.marts["confidence"].get((account, period), [])
    flows = snapshot.marts["flows"].get((account, period), [])
    daily = snapshot.marts["daily"].get((account, period), [])
    history = snapshot.history.get((account, period))
    if history and not any(v for values in history["series"].values() for v in values):
        history = None  # every date says 0 or nothing: no lines of zeros for an idle account
    unmapped = (session or {}).get("unmapped_sessions") or 0
    p = period
    parts = [f'<section class="period" id="period-{p}" data-period="{p}">']

    parts.append('<h2>Sessions</h2>' + _cards(session, SESSION_CARDS, "fct_session_metrics"))

    # MTTR trend
    parts.append("<h2>MTTR by day</h2>")
    if trend:
        parts.append(f'<div class="chart" id="trend-{p}" data-chart="trend"></div>')
        parts.append(_details_table(
            f"trend-table-{p}", ["Day", "MTTR", "Resolved sessions"],
            [[r["resolved_date"], fmt_minutes(r["mttr_minutes"]), fmt_count(r["session_count"])]
             for r in trend],
        ))
    else:
        parts.append(_empty("No resolved sessions in this period."))

    # Coverage by domain
    parts.append("<h2>Coverage by problem domain</h2>")
    if domains or unmapped:
        parts.append(f'<div class="chart tall" id="domains-{p}" data-chart="domains"></div>')
        rows = [[r["problem_domain"], *[fmt(r[c]) for c, _l, fmt in DOMAIN_COLUMNS]]
                for r in domains]
        parts.append(_details_table(
            f"domain-table-{p}", ["Domain", *[label for _c, label, _f in DOMAIN_COLUMNS]], rows,
            row_keys=[r["problem_domain"] for r in domains],
        ))
        parts.append(f'<p class="note">Unmapped sessions (no domain): '
                     f'<span data-metric="unmapped_sessions">{fmt_count(unmapped)}</span></p>')
    else:
        parts.append(_empty("No sessions in this period."))

    # Confidence
    parts.append("<h2>Confidence breakdown</h2>")
    if any(r["session_count"] for r in confidence):
        parts.append(f'<div class="chart" id="confidence-{p}" data-chart="confidence"></div>')
    else:
        parts.append(_empty("No resolved or escalated sessions in this period."))
    parts.append(_table(
        f"confidence-table-{p}", ["Tier", "Sessions", "Resolved", "Resolution rate"],
        [[r["confidence_tier"], fmt_count(r["session_count"]), fmt_count(r["resolved_count"]),
          fmt_rate(r["resolution_rate"])] for r in confidence],
        row_keys=[r["confidence_tier"] for r in confidence],
    ))

    # Knowledge and flow quality
    parts.append("<h2>Flows</h2>" + _cards(knowledge, KNOWLEDGE_CARDS, "fct_knowledge_coverage"))
    if flows:
        parts.append(_flow_table(p, flows))
    else:
        parts.append(_empty("No live flows."))

    # PSA
    parts.append("<h2>PSA: cohort funnel</h2>")
    if funnel and funnel.get("total_sessions"):
        parts.append(f'<div class="chart" id="funnel-{p}" data-chart="funnel"></div>')
    parts.append(_cards(funnel, [(c, label, fmt_count) for c, label in FUNNEL_STAGES],
                        "fct_psa_funnel"))
    parts.append(_cards(funnel, PSA_CARDS, "fct_psa_funnel"))
    parts.append("<h2>PSA: time entries by day</h2>")
    if daily:
        parts.append(f'<div class="chart" id="daily-{p}" data-chart="daily"></div>')
        parts.append(_details_table(
            f"daily-table-{p}", ["Day", "Time entries", "Hours"],
            [[r["entry_date"], fmt_count(r["time_entries"]), fmt_hours(r["hours_logged"])]
             for r in daily],
        ))
    else:
        parts.append(_empty("No time entries in this period."))

    # Escalations
    parts.append('<h2>Escalations: time from claim to first action</h2><div class="escalation">')
    parts.append(_cards(escalation, ESCALATION_CARDS, "fct_escalation_metrics"))
    definition = (escalation or {}).get("metric_definition")
    parts.append(f'<p class="definition" data-metric="metric_definition">{esc(definition)}</p>')
    parts.append("</div><h3>Unclaimed backlog</h3>" + _cards(escalation, BACKLOG_CARDS, "fct_escalation_metrics"))

    # History
    parts.append("<h2>History over the nightly dates</h2>")
    if history and history["dates"]:
        dates = history["dates"]
        parts.append(
            f'<p class="note">{len(dates)} nightly dates, {esc(dates[0])} to {esc(dates[-1])}.</p>'
            if len(dates) > 1 else
            f'<p class="note">One nightly date so far ({esc(dates[0])}); the lines grow with '
            "every nightly run.</p>"
        )
        parts.append(f'<div class="history" id="history-{p}" data-chart="history">')
        for _t, column, label, _k in HISTORY_METRICS:
            parts.append(f'<div class="chart small" data-series="{column}" '
                         f'aria-label="{esc(label)}"></div>')
        parts.append("</div>")
    else:
        parts.append(_empty("No nightly history yet."))
    parts.append("</section>")

    data = {
        "trend": {"x": [r["resolved_date"] for r in trend],
                  "y": [r["mttr_minutes"] for r in trend],
                  "n": [r["session_count"] for r in trend]},
        "domains": {
            "rows": [r["problem_domain"] for r in domains] + (["(unmapped)"] if unmapped else []),
            "columns": [label for _c, label, _f in DOMAIN_COLUMNS],
            "kinds": ["count", "rate", "rate", "rate", "number", "count"],
            "values": [[r[c] for c, _l, _f in DOMAIN_COLUMNS] for r in domains]
                      + ([[unmapped, None, None, None, None, None]] if unmapped else []),
        },
        "confidence": {"tiers": [r["confidence_tier"] for r in confidence],
                       "sessions": [r["session_count"] for r in confidence],
                       "resolved": [r["resolved_count"] for r in confidence]},
        "funnel": {"stages": [label for _c, label in FUNNEL_STAGES],
                   "values": [(funnel or {}).get(c) for c, _l in FUNNEL_STAGES]},
        "daily": {"x": [r["entry_date"] for r in daily],
                  "entries": [r["time_entries"] for r in daily],
                  "hours": [r["hours_logged"] for r in daily]},
        "history": None if not history else {
            "dates": history["dates"],
            "series": [{"column": column, "label": label, "kind": kind,
                        "values": history["series"][column]}
                       for _t, column, label, kind in HISTORY_METRICS],
        },
    }
    return "".join(parts), data


def _table(table_id: str, headers: list[str], rows: list[list[Any]],
           row_keys: list[Any] | None = None) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        key = f' data-key="{esc(row_keys[i])}"' if row_keys else ""
        body.append(f"<tr{key}>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    return (f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _details_table(table_id: str, headers: list[str], rows: list[list[Any]],
                   row_keys: list[Any] | None = None) -> str:
    return f"<details><summary>Table</summary>{_table(table_id, headers, rows, row_keys)}</details>"


def _flow_table(period: str, flows: list[dict[str, Any]]) -> str:
    sort_buttons = {
        "quality": "Quality", "usage": "Usage", "success": "Success rate",
    }
    head = ["<th>Rank</th>", "<th>Flow</th>", "<th>Type</th>"]
    for key, label in sort_buttons.items():
        head.append(f'<th><a class="sort" href="#{period}:{key}" data-sort="{key}">'
                    f"{esc(label)}</a></th>")
    head += ["<th>Guided rate</th>", "<th>Last matched</th>", "<th></th>"]
    rows = []
    for f in flows:
        badges = []
        if f["is_top_performer"]:
            badges.append('<span class="badge top">top 5</span>')
        if f["needs_attention"]:
            badges.append('<span class="badge attention">needs attention</span>')
        classes = " ".join(c for c, on in (("top", f["is_top_performer"]),
                                           ("attention", f["needs_attention"])) if on)
        success = "" if f["success_rate"] is None else repr(float(f["success_rate"]))
        last = (f["last_matched_at"] or "")[:10] or DASH
        rows.append(
            f'<tr class="{classes}" data-flow-id="{esc(f["flow_id"])}" '
            f'data-rank="{f["quality_rank"]}" data-quality="{float(f["quality_score"])!r}" '
            f'data-usage="{int(f["usage_count"])}" data-success="{success}">'
            f'<td>{f["quality_rank"]}</td><td>{esc(f["flow_name"])}</td>'
            f'<td>{esc(f["tree_type"])}</td>'
            f'<td data-col="quality_score">{fmt_score(f["quality_score"])}</td>'
            f'<td data-col="usage_count">{fmt_count(f["usage_count"])}</td>'
            f'<td data-col="success_rate">{fmt_rate(f["success_rate"])}</td>'
            f'<td data-col="guided_rate">{fmt_rate(f["guided_rate"])}</td>'
            f'<td>{esc(last)}</td><td>{"".join(badges)}</td></tr>'
        )
    return (f'<table class="flows" id="flows-{period}"><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _json_script(element_id: str, data: Any) -> str:
    text = json.dumps(data, separators=(",", ":"), default=_plain).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _head(title: str, prefix: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title>"
        f'<link rel="stylesheet" href="{prefix}assets/dashboard.css">'
        "<noscript><style>.period { display: block; }</style></noscript></head>"
    )


def account_label(account: Mapping[str, Any]) -> str:
    return account["account_name"] or f"Account {account['account_id']}"


def render_account_page(snapshot: Snapshot, account: Mapping[str, Any]) -> str:
    account_id = account["account_id"]
    label = account_label(account)
    sections, data = [], {}
    for period in PERIODS:
        section, chart_data = _period_section(snapshot, account_id, period)
        sections.append(section)
        data[period] = chart_data
    switch = "".join(f'<a class="period-link" href="#{p}" data-period="{p}">{p}</a>'
                     for p in PERIODS)
    notice = "" if _has_data(snapshot, account_id) else (
        '<p class="empty account-empty" id="no-data">No data for this account: no sessions, '
        "escalations, flows or PSA activity in any period up to the as-of instant.</p>"
    )
    return (
        _head(f"{label} · FlowPilot analytics", "../")
        + f'<body data-account="{esc(account_id)}" data-default-period="{DEFAULT_PERIOD}">'
        + '<header><a href="../index.html">All accounts</a>'
        + f"<h1>{esc(label)}</h1>"
        + f'<p class="meta">Account <code>{esc(account_id)}</code> · time zone '
        + f"{esc(account['timezone'])} · as of {esc(snapshot.as_of)}</p>"
        + f'<nav class="switch">Period: {switch}</nav></header><main>'
        + notice
        + "".join(sections)
        + "</main>"
        + _json_script("dashboard-data", data)
        + '<script src="../assets/plotly.min.js"></script>'
        + '<script src="../assets/dashboard.js"></script>'
        + "</body></html>"
    )


def render_index(snapshot: Snapshot, tenant: str | None) -> str:
    rows = []
    for account in snapshot.accounts:
        account_id = account["account_id"]
        session = _one(snapshot, "session", account_id, DEFAULT_PERIOD) or {}
        rows.append(
            f'<tr data-key="{esc(account_id)}"><td><a href="accounts/{esc(account_id)}.html">'
            f"{esc(account_label(account))}</a></td><td>{esc(account['timezone'])}</td>"
            f'<td data-col="total_sessions">{fmt_count(session.get("total_sessions"))}</td>'
            f'<td data-col="resolution_rate">{fmt_rate(session.get("resolution_rate"))}</td>'
            f'<td data-col="mttr_minutes">{fmt_minutes(session.get("mttr_minutes"))}</td></tr>'
        )
    scope = "one tenant's export" if tenant else f"{len(snapshot.accounts):,} accounts"
    return (
        _head("FlowPilot analytics", "")
        + '<body class="index"><header><h1>FlowPilot analytics</h1>'
        + f'<p class="meta">{esc(scope)} · as of {esc(snapshot.as_of)} · last 30 days</p></header>'
        + '<main><table id="accounts"><thead><tr><th>Account</th><th>Time zone</th>'
        + "<th>Sessions</th><th>Resolution rate</th><th>MTTR</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></main></body></html>"
    )


# -- writing --------------------------------------------------------------------------------
@dataclass
class SiteResult:
    out_dir: Path
    pages: int
    seconds: float
    read_seconds: float
    largest_page_bytes: int
    total_page_bytes: int


class Progress:
    """A progress bar on a terminal; silent elsewhere (logs get the summary line only)."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None):
        self.total, self.stream = total, stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done, self._last = 0, -1

    def step(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        if filled != self._last or self.done == self.total:
            self._last = filled
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\rwriting pages [{bar}] {self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


def plotly_js() -> Path:
    """plotly.min.js of the installed plotly package (pinned in requirements.txt)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.exists():
        raise FileNotFoundError(f"plotly.min.js not found in the plotly package ({path})")
    return path


def _prepare_out_dir(out_dir: Path) -> Path:
    """A fresh staging folder next to OUT_DIR; refuses to replace a folder that is not a site."""
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).exists():
        raise SystemExit(f"flowpilot dashboard: {out_dir} exists and is not a dashboard made by "
                         "this command; refusing to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))


def write_site(
    env: Mapping[str, str],
    out_dir: Path = DEFAULT_OUT,
    account: str | None = None,
    progress: bool | None = None,
) -> SiteResult:
    """Write the whole site; the previous one is replaced only once the new one is complete.

    Nothing of an earlier export survives (a tenant export never keeps another tenant's pages).
    """
    started = time.perf_counter()
    if account is not None:
        account = str(uuid.UUID(account))  # a malformed id fails here, not in SQL
    snapshot = read_snapshot(env, account)
    read_seconds = time.perf_counter() - started
    if account is not None and [a["account_id"] for a in snapshot.accounts] != [account]:
        raise SystemExit(f"flowpilot dashboard: account {account} is not in dim_accounts")

    out_dir = Path(out_dir).resolve()
    staging = _prepare_out_dir(out_dir)
    try:
        assets = staging / "assets"
        assets.mkdir()
        shutil.copyfile(plotly_js(), assets / "plotly.min.js")
        for name in ("dashboard.js", "dashboard.css"):
            shutil.copyfile(ASSETS_SOURCE / name, assets / name)
        (staging / "accounts").mkdir()
        bar = Progress(len(snapshot.accounts) + 1, enabled=progress)
        sizes = []
        for acc in snapshot.accounts:
            page = render_account_page(snapshot, acc).encode()
            (staging / "accounts" / f"{acc['account_id']}.html").write_bytes(page)
            sizes.append(len(page))
            bar.step()
        index = render_index(snapshot, account).encode()
        (staging / "index.html").write_bytes(index)
        sizes.append(len(index))
        bar.step()
        (staging / MARKER_FILE).write_text(
            "Written by `flowpilot dashboard`; the whole folder is replaced on the next run.\n"
        )
        os.chmod(staging, 0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
            out_dir.rename(old / "site")
            staging.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SiteResult(
        out_dir=out_dir,
        pages=len(sizes),
        seconds=time.perf_counter() - started,
        read_seconds=read_seconds,
        largest_page_bytes=max(sizes),
        total_page_bytes=sum(sizes),
    )
