"""Settings of the dbt project that the Python tools share, read from where the project writes
them once: the periods from the seed ``seeds/periods.csv``, the source freshness limits from
the vars of ``dbt_project.yml``, and the rule for an ``as_of`` instant, the same as the dbt
macro ``parse_as_of`` (``macros/as_of.sql``) applies while dbt parses."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timezone

import yaml

from flowpilot_tools import PROJECT_ROOT

PERIODS_SEED = PROJECT_ROOT / "seeds" / "periods.csv"
DBT_PROJECT = PROJECT_ROOT / "dbt_project.yml"


def _periods() -> dict[str, int]:
    with PERIODS_SEED.open(newline="") as seed:
        return {row["period"]: int(row["period_days"]) for row in csv.DictReader(seed)}


def _project_vars() -> dict:
    return yaml.safe_load(DBT_PROJECT.read_text())["vars"]


# period -> days, in the seed's order (7d, 30d, 90d).
PERIODS: dict[str, int] = _periods()
# `dbt source freshness` (and the nightly job): warn / error after this many hours.
FRESHNESS_WARN_HOURS: int = int(_project_vars()["freshness_warn_hours"])
FRESHNESS_ERROR_HOURS: int = int(_project_vars()["freshness_error_hours"])

# The format macros/as_of.sql accepts: seconds required, fraction optional, an offset or Z.
_AS_OF = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)


def parse_as_of(text: str) -> str:
    """An ISO-8601 instant with a UTC offset, returned in UTC (``...+00:00``); ValueError
    otherwise - the values dbt's as_of var accepts, and no others."""
    stripped = text.strip()
    if not _AS_OF.match(stripped):
        raise ValueError(
            f"as_of {text!r} is not an ISO-8601 timestamp with a UTC offset, "
            "YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM or ...Z"
        )
    instant = datetime.fromisoformat(stripped.replace("Z", "+00:00"))  # checks the ranges
    return instant.astimezone(timezone.utc).isoformat()
