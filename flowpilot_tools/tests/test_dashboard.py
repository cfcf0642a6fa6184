"""The dashboard (issue 12) opened in a real browser: headless Chromium from Debian.

One database is built for the module (generated accounts, a planted probe account with
distinctive numbers and an account without any data; two builds, so the history has two
nightly dates). The site is written from it, and each page check is one Chromium launch
(``--dump-dom`` after the page's script ran, with a NetLog and the console on stderr):
no console message, no request from the page to the network, every chart drawn, and the
numbers in the DOM equal to the marts' values, formatted here independently of the page code.

Chromium: when ``chromium`` is not on PATH and we are root (CI on a fresh machine), the
``chromium_bin`` fixture installs Debian's package with apt-get.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.dashboard import Progress, write_site
from flowpilot_tools.generate import Scale
from flowpilot_tools.tests.scenario import MARTS, ts

AS_OF_FIRST = "2026-04-26T15:25:46+00:00"
AS_OF = "2026-04-27T15:25:46+00:00"
SCALE = Scale(accounts=3, days=95, sessions_per_day=5.0, seed=12, as_of=ts("2026-04-27 15:25:46"))
PERIODS = ("7d", "30d", "90d")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DASH = "\u2014"
# The probe account: numbers no generated account has (4321.5 minutes MTTR, 77.77 hours).
PROBE_NAME, PROBE_FLOW = "Probe MSP zq9", "Probe flow zq9"
PROBE_TEXTS = [PROBE_NAME, PROBE_FLOW, "4,321.5 min", "77.8 h"]


# -- the browser ------------------------------------------------------------------------------
def _install_chromium() -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "chromium"],
                   check=True, env=env)


@pytest.fixture(scope="session")
def chromium_bin() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.geteuid() != 0:
            pytest.fail("the dashboard tests need Debian's chromium: apt-get install -y chromium "
                        "(run the tests as root and they install it)")
        _install_chromium()
        found = shutil.which("chromium")
        assert found, "apt-get installed chromium but it is not on PATH"
    return found


# Flags: no background traffic of the browser's own, and whatever is still attempted goes
# to a dead proxy on the loopback with no name resolution, so nothing leaves the machine.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--disable-breakpad", "--no-pings",
    "--metrics-recording-only", "--hide-scrollbars",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate",
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
]
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)$", re.MULTILINE)


@dataclass
class Page:
    url: str
    dom: "Node"
    console: list[str]
    requests: list[str]  # URLs the page asked the network for


def open_page(chromium: str, path: Path, fragment: str = "",
              screenshot: Path | None = None) -> Page:
    """One Chromium launch: the DOM after the scripts ran, console messages, page requests."""
    url = path.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    with tempfile.TemporaryDirectory(prefix="fpt_chromium_") as work:
        netlog = Path(work) / "net.json"
        action = [f"--screenshot={screenshot}", "--window-size=1280,4200"] if screenshot \
            else ["--dump-dom", "--window-size=1280,2000"]
        result = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={work}/profile",
             f"--log-net-log={netlog}", *action, url],
            capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, f"chromium failed on {url}:\n{result.stderr[-3000:]}"
        requests = page_requests(json.loads(netlog.read_text()))
    return Page(url=url, dom=parse(result.stdout), console=CONSOLE.findall(result.stderr),
                requests=requests)


def page_requests(netlog: dict) -> list[str]:
    """URLs requested from the network on behalf of a file:// page (its network isolation
    key names the page's site); the browser's own background requests carry another key."""
    start_job = netlog["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    found = []
    for event in netlog["events"]:
        params = event.get("params") or {}
        if event["type"] == start_job and "file://" in params.get("network_isolation_key", ""):
            found.append(params["url"])
    return found


# -- a small DOM ------------------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node"] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(self.texts) + "".join(c.text() for c in self.children)

    def all(self, tag: str | None = None, **attrs: str | bool) -> list["Node"]:
        out = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                (name.replace("_", "-") in child.attrs) if value is True
                else child.attrs.get(name.replace("_", "-")) == value
                for name, value in attrs.items()
            ):
                out.append(child)
            out.extend(child.all(tag, **attrs))
        return out

    def one(self, tag: str | None = None, **attrs: str | bool) -> "Node":
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        # text is kept in order within a node only approximately; cells hold plain text
        self.stack[-1].texts.append(data)


def parse(markup: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(markup)
    return builder.root


# -- the expected formatting (written independently of flowpilot_tools.dashboard) ------------
def count(v): return DASH if v is None else f"{int(v):,}"
def rate(v): return DASH if v is None else f"{float(v) * 100:.1f}%"
def minutes(v): return DASH if v is None else f"{float(v):,.1f} min"
def seconds(v): return DASH if v is None else f"{float(v):,.1f} s"
def hours(v): return DASH if v is None else f"{float(v):,.1f} h"
def rating(v): return DASH if v is None else f"{float(v):.2f}"
def score(v): return DASH if v is None else f"{float(v):.3f}"


CARDS = {
    "fct_session_metrics": {
        "total_sessions": count, "resolution_rate": rate, "mttr_minutes": minutes,
        "avg_session_duration_minutes": minutes, "avg_rating": rating,
        "escalated_sessions": count, "abandoned_sessions": count,
    },
    "fct_knowledge_coverage": {
        "total_flows": count, "ai_generated_flows": count, "proposals_pending": count,
        "proposals_approved": count, "proposals_rejected": count,
    },
    "fct_psa_funnel": {
        "total_sessions": count, "linked_to_ticket": count, "cohort_doc_pushed": count,
        "cohort_time_entry_logged": count, "total_time_entries": count,
        "total_hours_logged": hours, "avg_hours_per_time_entry": hours,
        "ticket_link_rate": rate, "auto_push_success_rate": rate,
        "auto_push_retry_success_rate": rate,
    },
    "fct_escalation_metrics": {
        "avg_seconds_to_first_action": seconds, "median_seconds_to_first_action": seconds,
        "p95_seconds_to_first_action": seconds, "n_handoffs_claimed": count,
        "n_handoffs_with_action": count, "n_handoffs_unclaimed": count,
        "p95_seconds_unclaimed_age": seconds,
    },
}


# -- the database and the sites ---------------------------------------------------------------
@pytest.fixture(scope="module")
def built(scenario_factory):
    s = scenario_factory("dashboard")
    s.load_generated(SCALE)
    s.insert("accounts", [
        {"id": "dash_probe", "name": PROBE_NAME, "timezone": "Europe/Berlin"},
        {"id": "dash_empty", "name": "Empty MSP", "timezone": "UTC"},
    ])
    s.insert("trees", [{"id": "dash_probe_flow", "account_id": "dash_probe", "name": PROBE_FLOW}])
    s.insert("ai_sessions", [{
        "id": "dash_probe_session", "account_id": "dash_probe", "status": "resolved",
        "matched_flow_id": "dash_probe_flow", "created_at": ts("2026-04-20 00:00"),
        "resolved_at": ts("2026-04-23 00:01:30"), "session_rating": 5,
    }])
    s.insert("psa_activity_logs", [{
        "account_id": "dash_probe", "activity_type": "time_entry_posted",
        "hours_logged": 77.77, "created_at": ts("2026-04-22 09:00"),
    }])
    s.build(AS_OF_FIRST, publish_history=True)  # a first nightly date for the history
    s.build(AS_OF, publish_history=True)
    return s


@pytest.fixture(scope="module")
def accounts(built) -> list[dict]:
    return built.query(f"select account_id::text as account_id, account_name "
                       f"from {MARTS}.dim_accounts order by account_id")


def _id(built, name: str) -> str:
    return built.query(f"select account_id::text as id from {MARTS}.dim_accounts "
                       f"where account_name = %s", (name,))[0]["id"]


@pytest.fixture(scope="module")
def sample_accounts(built) -> list[str]:
    """Two generated accounts with the most sessions in 7d (every section has data)."""
    rows = built.query(
        f"select account_id::text as id from {MARTS}.fct_session_metrics "
        f"where period = '7d' and account_id::text not in (select account_id::text from "
        f"{MARTS}.dim_accounts where account_name in (%s, 'Empty MSP')) "
        f"order by total_sessions desc, account_id limit 2", (PROBE_NAME,))
    return [r["id"] for r in rows]


@pytest.fixture(scope="module")
def site(built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dashboard") / "site"
    write_site(built.env, out, progress=False)
    return out


@pytest.fixture(scope="module")
def tenant_site(built, tmp_path_factory, sample_accounts) -> Path:
    out = tmp_path_factory.mktemp("tenant") / "site"
    write_site(built.env, out, account=sample_accounts[0], progress=False)
    return out


@pytest.fixture(scope="module")
def pages(site, chromium_bin, sample_accounts) -> dict[tuple[str, str], Page]:
    """Each sample account in each period, the flow table sorted a different way each time."""
    sorts = {"7d": "", "30d": ":usage", "90d": ":success"}
    return {
        (account, period): open_page(chromium_bin, site / "accounts" / f"{account}.html",
                                     period + sorts[period])
        for account in sample_accounts for period in PERIODS
    }


def mart(built, name: str, account: str, period: str, order_by: str = "1") -> list[dict]:
    return built.query(
        f"select * from {MARTS}.{name} where account_id::text = %s and period = %s "
        f"order by {order_by}", (account, period))


# -- tests ----------------------------------------------------------------------------------
def test_pages_have_no_console_message_and_no_network_request(pages, site, chromium_bin,
                                                               built, accounts, sample_accounts):
    index = open_page(chromium_bin, site / "index.html")
    for page in [*pages.values(), index]:
        assert page.console == [], f"{page.url}: console said {page.console}"
        assert page.requests == [], f"{page.url}: requested {page.requests}"
    # the index lists every account, with its 30-day headline numbers
    rows = index.dom.one("table", id="accounts").one("tbody").all("tr")
    assert sorted(r.attrs["data-key"] for r in rows) == [a["account_id"] for a in accounts]
    for account in sample_accounts:
        (row,) = [r for r in rows if r.attrs["data-key"] == account]
        (session,) = mart(built, "fct_session_metrics", account, "30d")
        cells = {td.attrs["data-col"]: td.text() for td in row.all("td", data_col=True)}
        assert cells == {"total_sessions": count(session["total_sessions"]),
                         "resolution_rate": rate(session["resolution_rate"]),
                         "mttr_minutes": minutes(session["mttr_minutes"])}


def test_the_request_and_console_checks_can_fail(chromium_bin, tmp_path):
    canary = tmp_path / "canary.html"
    canary.write_text('<html><body><img src="https://example.invalid/x.png">'
                      '<script>console.error("canary")</script></body></html>')
    page = open_page(chromium_bin, canary)
    assert page.requests == ["https://example.invalid/x.png"]
    assert any("canary" in message for message in page.console)


def test_the_files_name_no_remote_url_and_every_local_reference_exists(site):
    files = [p for p in site.rglob("*") if p.is_file() and p.name != "plotly.min.js"]
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    for path in files:
        text = path.read_text()
        assert not re.search(r"(?i)https?:", text), f"{path} names a remote URL"
        for ref in re.findall(r'(?:src|href)="([^"#]+)', text):
            assert not ref.startswith("/"), f"{path}: absolute reference {ref}"
            assert (path.parent / ref).resolve().exists(), f"{path}: {ref} does not exist"


def test_the_numbers_in_the_dom_equal_the_marts(pages, built):
    for (account, period), page in pages.items():
        where = f"{account} {period}"
        body = page.dom.one("body")
        assert body.attrs.get("data-ready") == period, f"{where}: the script did not finish"
        section = page.dom.one("section", id=f"period-{period}")
        assert "active" in section.classes(), f"{where}: the period switch did not show it"
        others = [s for s in page.dom.all("section") if s is not section]
        assert all("active" not in s.classes() for s in others)

        # stat cards of every mart
        for mart_name, columns in CARDS.items():
            (row,) = mart(built, mart_name, account, period)
            groups = section.all("div", data_mart=mart_name)
            shown = {v.attrs["data-metric"]: v.text()
                     for g in groups for v in g.all("div", data_metric=True)}
            assert set(columns) <= set(shown), f"{where} {mart_name}: cards {sorted(shown)}"
            for column, fmt in columns.items():
                assert shown[column] == fmt(row[column]), f"{where} {mart_name}.{column}"
        (escalation,) = mart(built, "fct_escalation_metrics", account, period)
        definition = section.one("p", data_metric="metric_definition").text()
        assert definition == escalation["metric_definition"] and definition
        (session,) = mart(built, "fct_session_metrics", account, period)
        assert section.one("span", data_metric="unmapped_sessions").text() == \
            count(session["unmapped_sessions"])

        # MTTR trend and PSA daily (tables under the charts)
        trend = mart(built, "fct_mttr_trend", account, period, "resolved_date")
        assert table_cells(section, f"trend-table-{period}") == [
            [r["resolved_date"].isoformat(), minutes(r["mttr_minutes"]), count(r["session_count"])]
            for r in trend]
        daily = mart(built, "fct_psa_daily", account, period, "entry_date")
        assert table_cells(section, f"daily-table-{period}") == [
            [r["entry_date"].isoformat(), count(r["time_entries"]), hours(r["hours_logged"])]
            for r in daily]

        # domain coverage (the heat map's table), confidence breakdown
        domains = mart(built, "fct_domain_coverage", account, period,
                       "session_count desc, problem_domain")
        assert table_cells(section, f"domain-table-{period}") == [
            [r["problem_domain"], count(r["session_count"]), rate(r["resolution_rate"]),
             rate(r["escalation_rate"]), rate(r["guided_rate"]),
             minutes(r["avg_resolution_minutes"]), count(r["flow_count"])] for r in domains]
        tiers = {r["confidence_tier"]: r for r in mart(built, "fct_confidence_breakdown",
                                                       account, period)}
        shown_tiers = table_cells(section, f"confidence-table-{period}")
        assert [row[0] for row in shown_tiers] == ["guided", "exploring", "discovery"]
        for tier, sessions_, resolved, resolution in shown_tiers:
            r = tiers[tier]
            assert [sessions_, resolved, resolution] == [
                count(r["session_count"]), count(r["resolved_count"]), rate(r["resolution_rate"])]

        # every chart of the period was drawn by plotly
        charts = section.all("div", data_chart=True) + section.all("div", data_series=True)
        assert len(charts) >= 6, f"{where}: charts missing"
        assert all(c.all("svg") for c in charts), f"{where}: charts not drawn"


def table_cells(section: Node, table_id: str) -> list[list[str]]:
    table = section.one("table", id=table_id)
    return [[td.text() for td in tr.all("td")] for tr in table.one("tbody").all("tr")]


def test_the_flow_table_is_sorted_as_asked_and_marks_top_five_and_attention(pages, built):
    keys = {"7d": ("quality_score", "quality"), "30d": ("usage_count", "usage"),
            "90d": ("success_rate", "success")}
    for (account, period), page in pages.items():
        flows = mart(built, "fct_flow_quality", account, period, "quality_rank")
        column, key = keys[period]
        expected = sorted(flows, key=lambda f: (-(f[column] if f[column] is not None
                                                  else float("-inf")), f["quality_rank"]))
        table = page.dom.one("table", id=f"flows-{period}")
        assert table.attrs.get("data-sorted-by") == key
        rows = table.one("tbody").all("tr")
        assert [r.attrs["data-flow-id"] for r in rows] == [str(f["flow_id"]) for f in expected]
        for tr, f in zip(rows, expected):
            cells = {td.attrs["data-col"]: td.text() for td in tr.all("td", data_col=True)}
            assert cells == {"quality_score": score(f["quality_score"]),
                             "usage_count": count(f["usage_count"]),
                             "success_rate": rate(f["success_rate"]),
                             "guided_rate": rate(f["guided_rate"])}
            assert ("top" in tr.classes()) == f["is_top_performer"]
            assert ("attention" in tr.classes()) == f["needs_attention"]
        assert sum(f["is_top_performer"] for f in flows) == len(table.all("span", **{"class": "badge top"}))


def test_each_headline_has_its_history_over_the_nightly_dates(pages):
    for (account, period), page in pages.items():
        history = page.dom.one("div", id=f"history-{period}")
        boxes = history.all("div", data_series=True)
        assert len(boxes) >= 7 and all(box.all("svg") for box in boxes), f"{account} {period}"
        assert "2 nightly dates, 2026-04-26 to 2026-04-27" in \
            page.dom.one("section", id=f"period-{period}").text()


def test_an_account_without_data_says_so_with_dashes_not_zeros(site, built, chromium_bin):
    account = _id(built, "Empty MSP")
    page = open_page(chromium_bin, site / "accounts" / f"{account}.html", "90d")
    assert page.console == [] and page.requests == []
    assert "No data for this account" in page.dom.one("p", id="no-data").text()
    section = page.dom.one("section", id="period-90d")
    assert section.all("div", data_chart=True) == []  # no broken charts
    shown = {v.attrs["data-metric"]: v.text() for v in section.all("div", data_metric=True)}
    for column in ("resolution_rate", "mttr_minutes", "avg_rating", "median_seconds_to_first_action",
                   "p95_seconds_to_first_action", "ticket_link_rate", "auto_push_success_rate"):
        assert shown[column] == DASH, column
    assert shown["total_sessions"] == "0"


def test_a_tenant_export_holds_nothing_of_another_account(site, tenant_site, accounts,
                                                          sample_accounts):
    tenant = sample_accounts[0]
    others = [a["account_id"] for a in accounts if a["account_id"] != tenant]
    assert sorted(p.name for p in (tenant_site / "accounts").iterdir()) == [f"{tenant}.html"]

    def texts(root: Path) -> str:
        return "\n".join(p.read_text() for p in root.rglob("*")
                         if p.is_file() and p.name != "plotly.min.js")

    full, export = texts(site), texts(tenant_site)
    for needle in [*others, *PROBE_TEXTS]:
        assert needle in full, f"the check could not fail: {needle!r} is not in the full site"
        assert needle not in export, f"the tenant export holds {needle!r}"
    # the tenant's own page is the same as in the full site: row-level security hid no own row
    assert (tenant_site / "accounts" / f"{tenant}.html").read_bytes() == \
        (site / "accounts" / f"{tenant}.html").read_bytes()


def test_pages_are_small_and_a_screenshot_is_kept(site, chromium_bin, sample_accounts):
    for page in (site / "accounts").iterdir():
        assert page.stat().st_size < 1_500_000, page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard-account-30d.png"
    shot.unlink(missing_ok=True)
    page = open_page(chromium_bin, site / "accounts" / f"{sample_accounts[0]}.html", "30d",
                     screenshot=shot)
    assert page.console == [] and page.requests == []
    assert shot.stat().st_size > 50_000


def test_a_second_export_replaces_the_first_whole(built, tmp_path, sample_accounts):
    out = tmp_path / "site"
    write_site(built.env, out, progress=False)
    assert len(list((out / "accounts").iterdir())) > 1
    write_site(built.env, out, account=sample_accounts[1], progress=False)
    assert [p.name for p in (out / "accounts").iterdir()] == [f"{sample_accounts[1]}.html"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(SystemExit):
        write_site(built.env, tmp_path / "mine", progress=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_the_progress_bar_counts_the_pages():
    import io

    stream = io.StringIO()
    bar = Progress(4, stream=stream, enabled=True)
    for _ in range(4):
        bar.step()
    assert stream.getvalue().rstrip().endswith("[" + "#" * 30 + "] 4/4")


def test_the_command_writes_a_tenant_export_and_prints_the_path(built, tmp_path, monkeypatch,
                                                                 capsys, sample_accounts):
    from flowpilot_tools import cli

    for key, value in built.env.items():
        monkeypatch.setenv(key, value)  # PGHOST set: the command uses this server as libpq would
    out = tmp_path / "export"
    assert cli.main(["dashboard", "--out", str(out), "--account", sample_accounts[1],
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"open {out.resolve() / 'index.html'}" in printed
    assert "flowpilot_tenant_reader" in printed
    assert [p.name for p in (out / "accounts").iterdir()] == [f"{sample_accounts[1]}.html"]
