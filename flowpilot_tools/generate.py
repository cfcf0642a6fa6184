"""Synthetic FlowPilot application data, deterministic from a seed.

Rows are produced account by account as PostgreSQL COPY text lines, one
stream per raw table, so that the loader can send them without a file in
between.  Every random draw of account ``i`` comes from its own
``random.Random`` seeded by ``(seed, i)``: the output for an account does not
depend on how the accounts are split across workers.

Besides realistic distributions the data carries every dirty case of
METRICS.md sections 1 and 2, each at a small rate (see ``DIRTY``): replayed
rows with a later ``_loaded_at`` (identical copies and real updates), stray
case and spaces in codes, blank domains and tickets, ratings outside 1..5,
invalid and missing time zones, dangling references, clock drift, and rows
and events after ``as_of``.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from flowpilot_tools import raw_contract

# The raw tables and their columns, in COPY order: parsed from contract/raw_schema.sql.
COLUMNS: dict[str, tuple[str, ...]] = raw_contract.column_names()
TABLES = tuple(COLUMNS)

# Rates of the dirty cases (fractions of the rows they apply to).
DIRTY = {
    "exact_replay": 0.01,          # an identical row loaded again later
    "session_update": 0.06,        # a session first loaded while active, then resolved
    "handoff_update": 0.25,        # a handoff first loaded pending, then claimed
    "stray_case": 0.04,            # codes with stray case and spaces
    "blank_domain": 0.03,          # '' or '  ' instead of a domain
    "blank_ticket": 0.03,          # '' or ' ' instead of a ticket id
    "invalid_rating": 0.02,        # 0, 6, 9 or -1
    "clock_drift": 0.01,           # an end instant before its start
    "dangling": 0.005,             # a reference to a row that does not exist
    "account_missing": 0.03,       # an account id used by activity but absent from raw.accounts
    "handoff_other_account": 0.003,
}

DOMAINS = ("network", "email", "printing", "security", "hardware", "software", "backup", "m365")
DOMAIN_WEIGHTS = (22, 18, 9, 10, 12, 14, 6, 9)
TIME_ZONES = (
    ("America/New_York", 30), ("America/Los_Angeles", 12), ("America/Chicago", 10),
    ("Europe/Berlin", 12), ("Europe/London", 10), ("Australia/Sydney", 5), ("Asia/Kolkata", 4),
    ("UTC", 5), (" Europe/Berlin ", 2), ("america/new_york", 2), ("Mars/Olympus_Mons", 2),
    ("", 2), (None, 4),
)
SESSION_STATUSES = (
    ("resolved", 58), ("escalated", 11), ("requesting_escalation", 3), ("abandoned", 14),
    ("active", 14),
)
TIERS = (("guided", 45), ("exploring", 35), ("discovery", 17), (None, 3))
ORIGINS = (("manual", 50), ("ai_generated", 25), ("ai_enhanced", 15), ("imported", 10))
TREE_TYPES = (("troubleshooting", 70), ("procedure", 20), ("checklist", 10))
ROLES = (("engineer", 70), ("viewer", 10), ("team_admin", 15), ("admin", 5))
STEP_TYPES = ("question", "answer", "action", "note")
NOTES = (
    "Checked DNS on the client", "Restarted the print spooler", "Reset the MFA token",
    "Asked the user to reboot", "Verified the backup job log", "Cleared the Outlook cache",
    "Pinged the gateway", "Re-applied the group policy",
)

_KIND = {  # first byte of generated ids, one per entity
    "account": 0x0A, "user": 0x0B, "category": 0x0C, "tree": 0x0D, "session": 0x0E,
    "step": 0x0F, "handoff": 0x1A, "proposal": 0x1B, "push": 0x1C, "activity": 0x1D,
    "dangling": 0xDD,
}


@dataclasses.dataclass(frozen=True)
class Scale:
    """How much data: accounts, days before ``as_of``, mean sessions per account per day."""

    accounts: int = 40
    days: int = 90
    sessions_per_day: float = 12.0
    seed: int = 42
    as_of: datetime = datetime(2026, 4, 27, 15, 25, 46, tzinfo=timezone.utc)
    # Hours of activity generated after as_of (rows a build at as_of must ignore).
    hours_after_as_of: float = 24.0
    # Batch 0 is the initial load. Batch k > 0 is a later landing of the same accounts: the
    # `days` days before as_of (usually one) with new ids, some rows of earlier days arriving
    # late, every row landed (_loaded_at) at or after `landed_at`.
    batch: int = 0
    landed_at: datetime | None = None


def _weighted(options: tuple) -> tuple[list, list[int]]:
    values = [value for value, _ in options]
    cum, total = [], 0
    for _, weight in options:
        total += weight
        cum.append(total)
    return values, cum


class _Clock:
    """Formats instants (seconds from an origin) as timestamptz text, fast."""

    _MINUTES_SECONDS = [f"{m:02d}:{sec:02d}" for m in range(60) for sec in range(60)]

    def __init__(self, origin: datetime):
        self.origin = origin
        self._hours: dict[int, str] = {}

    def __call__(self, seconds: float) -> str:
        whole, micros = divmod(int(seconds * 1_000_000), 1_000_000)
        hour, rest = divmod(whole, 3600)
        prefix = self._hours.get(hour)
        if prefix is None:
            prefix = (self.origin + timedelta(hours=hour)).strftime("%Y-%m-%d %H:")
            self._hours[hour] = prefix
        return f"{prefix}{self._MINUTES_SECONDS[rest]}.{micros:06d}+00"


class AccountGenerator:
    """All rows of one account, as COPY lines per table."""

    def __init__(self, scale: Scale, index: int):
        self.scale = scale
        self.index = index
        self.rng = random.Random(scale.seed * 1_000_003 + index)
        # Instants are seconds since the start of the generated period.
        self.origin = scale.as_of - timedelta(days=scale.days)
        self.as_of_s = scale.days * 86400.0
        self.end_s = self.as_of_s + scale.hours_after_as_of * 3600.0
        self.ts = _Clock(self.origin)
        self.landed_s = -math.inf
        if scale.landed_at is not None:
            self.landed_s = (scale.landed_at - self.origin).total_seconds()
        self.out: dict[str, list[str]] = {table: [] for table in TABLES}
        self._counter = 0
        self._tag = f"{scale.seed % 0xFFFF:04x}{index:06x}"
        neighbour = (index + 1) % scale.accounts
        self.neighbour_account_id = f"{_KIND['account']:02x}{scale.seed % 0xFFFF:04x}{neighbour:06x}{1:020x}"
        # Three account ids that no raw.accounts row will ever name, shared by all accounts.
        self.ghost_account_id = f"{_KIND['dangling']:02x}{scale.seed % 0xFFFF:04x}{index % 3:06x}{0:020x}"

    # -- helpers -------------------------------------------------------------------------
    def uid(self, kind: str) -> str:
        self._counter += 1
        return f"{_KIND[kind]:02x}{self._tag}{self._counter:020x}"

    def pick(self, options: tuple) -> object:
        values, cum = _weighted(options)
        return self.rng.choices(values, cum_weights=cum)[0]

    def dirty(self, code: str | None) -> str | None:
        """A code as the application may have stored it: sometimes with stray case and spaces."""
        if code is None or self.rng.random() >= DIRTY["stray_case"]:
            return code
        return self.rng.choice((code.upper(), f" {code}", f"{code.title()}  ", f"  {code.upper()} "))

    def loaded(self, event_s: float) -> float:
        """Replication lag: rows land a few minutes after they are written (or after landed_at)."""
        return max(event_s, self.landed_s) + 60.0 + self.rng.expovariate(1 / 600.0)

    def emit(self, table: str, values: list, loaded_s: float, replay: bool = True) -> None:
        line = "\t".join(r"\N" if v is None else str(v) for v in values)
        self.emit_line(table, line, loaded_s, replay)

    def emit_line(self, table: str, line: str, loaded_s: float, replay: bool = True) -> None:
        """Append a COPY line (without _loaded_at); sometimes land it twice.

        Superseded versions (replay=False) are never landed again: a replay of an outdated
        version after the update would, by the contract's rule, roll the row back.
        """
        out = self.out[table]
        out.append(f"{line}\t{self.ts(loaded_s)}\n")
        if replay and self.rng.random() < DIRTY["exact_replay"]:
            later = loaded_s + 3600.0 + self.rng.expovariate(1 / 86400.0)
            out.append(f"{line}\t{self.ts(later)}\n")

    def maybe_dangling(self, reference: str | None) -> str | None:
        if self.rng.random() < DIRTY["dangling"]:
            return self.uid("dangling")
        return reference

    # -- entities ------------------------------------------------------------------------
    def generate(self) -> dict[str, list[str]]:
        rng = self.rng
        self.account_id = self.uid("account")  # the first id: neighbour_account_id relies on it
        # Account size: lognormal with mean 1 (exp(mu + sigma^2 / 2) = 1); 3% have no sessions.
        self.size = rng.lognormvariate(-0.18, 0.6) if rng.random() > 0.03 else 0.0
        created_s = -rng.uniform(30, 900) * 86400.0
        # Account 1 is always missing from raw.accounts, so that every scale has the case.
        missing = rng.random() < DIRTY["account_missing"] or self.index == 1
        if not missing:
            tz = self.pick(TIME_ZONES)
            self.emit(
                "accounts",
                [self.account_id, f"MSP {self.index:05d}", tz, self.ts(created_s)],
                self.loaded(created_s),
            )
        self.users = [self._user(created_s) for _ in range(rng.randint(3, 12))]
        own = [self._category(name) for name in DOMAINS if rng.random() < 0.3]
        self.categories = own + [global_category_id(self.scale, n) for n in range(len(DOMAINS))]
        self.flows = [self._flow(created_s) for _ in range(rng.randint(4, 30))]
        self.active_flows = [flow for flow, active in self.flows if active]
        if self.scale.batch:
            # A later landing: the same accounts, users and flows (drawn again above, with the
            # same ids, and not landed again), then new activity under ids of its own.
            self.out = {table: [] for table in TABLES}
            self.rng = random.Random((self.scale.seed * 1_000_003 + self.index) * 7_919 + self.scale.batch)
            self._tag = f"b{self.scale.batch % 0xFFF:03x}{self.index:06x}"
            self._counter = 0
        n_days = self.scale.days + math.ceil(self.scale.hours_after_as_of / 24)
        for day in range(n_days):
            self._day(day)
        return self.out

    def _user(self, account_created_s: float) -> str:
        user_id = self.uid("user")
        created_s = account_created_s + self.rng.uniform(0, 20) * 86400.0
        n = self._counter
        self.emit(
            "users",
            [user_id, self.account_id, f"tech{n}@msp{self.index}.example", f"Tech {n}",
             self.dirty(self.pick(ROLES)), self.ts(created_s)],
            self.loaded(created_s),
        )
        return user_id

    def _category(self, domain: str) -> str:
        category_id = self.uid("category")
        name = self.rng.choice((domain, domain.title(), f" {domain.upper()} "))
        self.emit("tree_categories", [category_id, self.account_id, name], -86400.0 * 40)
        return category_id

    def _flow(self, account_created_s: float) -> tuple[str, bool]:
        rng = self.rng
        flow_id = self.uid("tree")
        created_s = account_created_s + rng.uniform(1, 30) * 86400.0
        is_active = rng.random() < 0.85
        deleted = None
        if rng.random() < 0.06:
            deleted_s = rng.uniform(-20, self.scale.days + 1) * 86400.0
            deleted = self.ts(deleted_s)
        category = rng.choice(self.categories) if self.categories and rng.random() < 0.8 else None
        self.emit(
            "trees",
            [flow_id, self.account_id, f"Flow {self._counter}", self.dirty(self.pick(TREE_TYPES)),
             self.dirty(self.pick(ORIGINS)), self.maybe_dangling(category),
             "t" if is_active else "f", deleted, '{"nodes": []}', self.ts(created_s),
             self.ts(created_s + 3600.0)],
            self.loaded(created_s),
        )
        return flow_id, is_active and deleted is None

    def _day(self, day: int) -> None:
        rng = self.rng
        mean = self.scale.sessions_per_day * self.size
        # Weekends are quieter (0.375 of a weekday); the weekly mean stays sessions_per_day.
        weekday = (self.origin + timedelta(days=day)).weekday()
        mean *= 0.375 if weekday >= 5 else 1.25
        n = max(0, int(rng.gauss(mean, math.sqrt(mean) + 0.01) + 0.5)) if mean > 0 else 0
        day_s = day * 86400.0
        for _ in range(n):
            # Working hours around 08:00-20:00 UTC with a spread.
            start_s = day_s + min(86399.0, max(0.0, rng.gauss(13.5, 3.5) * 3600.0))
            if start_s > self.end_s:
                continue
            if self.scale.batch and rng.random() < 0.05:
                start_s -= rng.uniform(1, 3) * 86400.0  # a session of earlier days, landing late
            self._session(start_s)
        if rng.random() < 0.4:
            self._proposal(day_s + rng.uniform(0, 86400.0))

    def _session(self, created_s: float) -> None:
        rng = self.rng
        session_id = self.uid("session")
        status = self.pick(SESSION_STATUSES)
        domain = rng.choices(DOMAINS, DOMAIN_WEIGHTS)[0]
        roll = rng.random()
        if roll < 0.08:
            domain = None
        elif roll < 0.08 + DIRTY["blank_domain"]:
            domain = rng.choice(("", "  "))
        else:
            domain = self.dirty(domain)
        tier = self.dirty(self.pick(TIERS))
        flow = None
        if self.active_flows and rng.random() < 0.6:
            flow = rng.choice(self.active_flows) if rng.random() < 0.9 else self.flows[0][0]
        flow = self.maybe_dangling(flow)
        ticket = None
        roll = rng.random()
        if roll < 0.62:
            ticket = f"CW-{rng.randint(10000, 99999)}"
        elif roll < 0.62 + DIRTY["blank_ticket"]:
            ticket = rng.choice(("", " "))
        steps = max(1, int(rng.lognormvariate(2.25, 0.45)))  # about 10 per session
        rating = None
        roll = rng.random()
        if roll < 0.4:
            rating = rng.choices((1, 2, 3, 4, 5), (3, 5, 12, 35, 45))[0]
        elif roll < 0.4 + DIRTY["invalid_rating"]:
            rating = rng.choice((0, 6, 9, -1))
        resolved_s = None
        if status == "resolved" or rng.random() < 0.08:
            resolved_s = created_s + rng.lognormvariate(math.log(25 * 60), 0.9)
            if rng.random() < DIRTY["clock_drift"]:
                resolved_s = created_s - rng.uniform(1, 300)
        user = rng.choice(self.users)
        account = self.account_id
        final_s = resolved_s if resolved_s is not None else created_s + steps * 90.0
        row = [
            session_id, account, user, None, f"User reports problem {self._counter}", domain,
            tier, flow, ticket, steps, rating, self.ts(created_s),
            None if resolved_s is None else self.ts(resolved_s), self.ts(final_s),
        ]
        final_loaded_s = self.loaded(final_s)
        if status == "resolved" and rng.random() < DIRTY["session_update"]:
            # The first landing saw the session while it was still active.
            early = row.copy()
            early[3], early[10], early[12] = self.dirty("active"), None, None
            early_loaded_s = self.loaded(created_s)
            self.emit("ai_sessions", early, early_loaded_s, replay=False)
            final_loaded_s = max(final_loaded_s, early_loaded_s + 60.0)
        row[3] = self.dirty(status)
        self.emit("ai_sessions", row, final_loaded_s)

        step_s = created_s
        step_times = []
        for number in range(1, steps + 1):
            step_s += rng.expovariate(1 / 75.0) + 5.0
            step_times.append(step_s)
            self._step(session_id, number, step_s)
        if status in ("escalated", "requesting_escalation") or (
            status == "resolved" and rng.random() < 0.22
        ):
            self._handoff(session_id, created_s, step_times[-1], steps, status)
            if rng.random() < 0.08:
                self._handoff(session_id, created_s, step_times[-1] + 600.0, steps, status)
        if ticket and ticket.strip():
            self._push(session_id, ticket, final_s)

    def _step(self, session_id: str, number: int, created_s: float) -> None:
        # The hot path (16 M rows at the reference scale): one f-string, no generic emit.
        session = self.maybe_dangling(session_id)
        self.emit_line(
            "ai_session_steps",
            f"{self.uid('step')}\t{session}\t{number}\t{STEP_TYPES[number % 4]}\t"
            f"{NOTES[number % 8]}\t{self.ts(created_s)}",
            created_s + 120.0,
        )

    def _handoff(
        self, session_id: str, session_created_s: float, last_step_s: float, steps: int,
        status: str,
    ) -> None:
        rng = self.rng
        handoff_id = self.uid("handoff")
        created_s = last_step_s + rng.uniform(10, 300)
        account = self.account_id
        if rng.random() < DIRTY["handoff_other_account"]:
            account = self.neighbour_account_id  # a handoff booked to another tenant
        session = self.maybe_dangling(session_id)
        requested_by = rng.choice(self.users)
        claimed_s = None
        handoff_status = "pending"
        roll = rng.random()
        if roll < 0.82:
            claimed_s = created_s + rng.lognormvariate(math.log(240), 1.0)
            if rng.random() < DIRTY["clock_drift"]:
                claimed_s = created_s - rng.uniform(1, 120)
            handoff_status = "resolved" if status == "resolved" else "claimed"
        elif roll < 0.90:
            handoff_status = "cancelled"
        base = [handoff_id, session, account, requested_by]
        final_loaded_s = self.loaded(created_s if claimed_s is None else max(created_s, claimed_s))
        if claimed_s is not None and rng.random() < DIRTY["handoff_update"]:
            # The first landing saw the handoff while it was still pending.
            early_loaded_s = self.loaded(created_s)
            self.emit(
                "session_handoffs",
                base + [None, "Need a senior on this", self.dirty("pending"),
                        self.ts(created_s), None],
                early_loaded_s,
                replay=False,
            )
            final_loaded_s = max(final_loaded_s, early_loaded_s + 60.0)
        self.emit(
            "session_handoffs",
            base + [rng.choice(self.users) if claimed_s is not None else None,
                    "Need a senior on this", self.dirty(handoff_status), self.ts(created_s),
                    None if claimed_s is None else self.ts(claimed_s)],
            final_loaded_s,
        )
        if claimed_s is None:
            return
        roll = rng.random()
        if roll < 0.88:
            # The senior acts: steps after the claim.
            first_s = claimed_s + rng.lognormvariate(math.log(90), 1.1)
            if roll < 0.01:
                first_s = claimed_s  # a step at the very instant of the claim is not an action
            for offset in range(rng.randint(1, 4)):
                self._step(session_id, steps + offset + 1, first_s + offset * 45.0)

    def _push(self, session_id: str, ticket: str, after_s: float) -> None:
        rng = self.rng
        if rng.random() > 0.72:
            return
        posted_s = after_s + rng.expovariate(1 / 900.0)
        if rng.random() < 0.03:
            posted_s += rng.uniform(2, 40) * 86400.0  # pushed long after the session
        session = session_id
        roll = rng.random()
        if roll < 0.02:
            session = None
        elif roll < 0.02 + DIRTY["dangling"]:
            session = self.uid("dangling")
        roll = rng.random()
        if roll < 0.10:
            # A failure, then a retried success.
            self._push_row(session, ticket, "failed", 0, "PSA timeout", posted_s)
            posted_s += rng.uniform(30, 600)
            self._push_row(session, ticket, "success", rng.randint(1, 3), None, posted_s)
        elif roll < 0.14:
            self._push_row(session, ticket, "failed", rng.randint(0, 3), "HTTP 500", posted_s)
            return
        elif roll < 0.17:
            self._push_row(session, ticket, "pending", 0, None, posted_s)
            return
        else:
            self._push_row(session, ticket, "success", 0, None, posted_s)
        self._activities(session_id, posted_s)

    def _push_row(
        self, session: str | None, ticket: str, status: str, retries: int,
        error: str | None, posted_s: float,
    ) -> None:
        self.emit(
            "psa_post_logs",
            [self.uid("push"), session, ticket, self.dirty(status), retries, error,
             self.ts(posted_s)],
            self.loaded(posted_s),
        )

    def _activities(self, session_id: str, posted_s: float) -> None:
        rng = self.rng
        account = self.account_id
        session = session_id if rng.random() > 0.02 else None
        self.emit(
            "psa_activity_logs",
            [self.uid("activity"), account, session, self.dirty("note_posted"), None,
             self.ts(posted_s + 1.0)],
            self.loaded(posted_s),
        )
        if rng.random() < 0.6:
            hours = None if rng.random() < 0.03 else f"{rng.choice((1, 2, 3, 4, 6, 8, 12)) / 4:.2f}"
            if rng.random() < 0.005:
                account = self.ghost_account_id  # an entry booked to an account nobody loaded
            self.emit(
                "psa_activity_logs",
                [self.uid("activity"), account, session, self.dirty("time_entry_posted"), hours,
                 self.ts(posted_s + 2.0)],
                self.loaded(posted_s),
            )

    def _proposal(self, created_s: float) -> None:
        rng = self.rng
        status = rng.choices(("pending", "approved", "modified", "rejected"), (30, 40, 10, 20))[0]
        reviewed = None
        if status != "pending":
            reviewed_s = created_s + rng.uniform(0.1, 5) * 86400.0
            reviewed = self.ts(reviewed_s)
        self.emit(
            "flow_proposals",
            [self.uid("proposal"), self.account_id, None, self.dirty(status), self.ts(created_s),
             reviewed],
            self.loaded(created_s),
        )


def generate_accounts(scale: Scale, indexes: range) -> Iterator[dict[str, list[str]]]:
    """Yield the COPY lines of each account in ``indexes``."""
    for index in indexes:
        yield AccountGenerator(scale, index).generate()


def global_category_id(scale: Scale, n: int) -> str:
    return f"{_KIND['category']:02x}{scale.seed % 0xFFFF:04x}ffffff{n:020x}"


def global_categories(scale: Scale) -> list[str]:
    """Global categories (no account), with stray case and spaces as the application stores them."""
    clock = _Clock(scale.as_of)
    lines = []
    for n, domain in enumerate(DOMAINS):
        name = (domain, domain.upper(), f" {domain.title()} ")[n % 3]
        lines.append(f"{global_category_id(scale, n)}\t\\N\t{name}\t{clock(-86400.0 * 60)}\n")
    return lines

