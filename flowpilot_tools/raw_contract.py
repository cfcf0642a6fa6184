"""The raw contract, ``contract/raw_schema.sql``, parsed: the one place the raw tables and their
columns are written. The generator's column lists come from here, and so does the dbt macro
that the build checks the landed tables against (``macros/raw_contract_columns.sql``, generated
by ``python -m flowpilot_tools.raw_contract``; a test fails while it is out of date)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from flowpilot_tools import PROJECT_ROOT

RAW_SCHEMA_SQL = PROJECT_ROOT / "contract" / "raw_schema.sql"
DBT_MACRO = PROJECT_ROOT / "macros" / "raw_contract_columns.sql"

# The contract's type names as information_schema.columns.data_type reports them.
DATA_TYPES = {
    "uuid": "uuid",
    "text": "text",
    "integer": "integer",
    "boolean": "boolean",
    "jsonb": "jsonb",
    "numeric": "numeric",
    "timestamptz": "timestamp with time zone",
}

_TABLE = re.compile(r"create table raw\.(\w+)\s*\((.*?)\n\);", re.DOTALL | re.IGNORECASE)
_COLUMN = re.compile(r"^\s*(\w+)\s+([a-z]+)")

Contract = dict[str, tuple[tuple[str, str], ...]]


def parse(text: str) -> Contract:
    """table -> ((column, data type), ...) in the contract's order; ValueError on a type or
    line it does not know, so that a new kind of column cannot be skipped silently."""
    contract: Contract = {}
    for table, body in _TABLE.findall(text):
        columns = []
        for line in body.splitlines():
            line = line.split("--", 1)[0].strip()
            if not line:
                continue
            match = _COLUMN.match(line)
            if match is None or match.group(2) not in DATA_TYPES:
                raise ValueError(f"raw.{table}: cannot read the column line {line!r}")
            columns.append((match.group(1), DATA_TYPES[match.group(2)]))
        contract[table] = tuple(columns)
    if not contract:
        raise ValueError("no 'create table raw.<name> (...);' found in the raw contract")
    return contract


def load(path: Path = RAW_SCHEMA_SQL) -> Contract:
    return parse(path.read_text())


def column_names(contract: Contract | None = None) -> dict[str, tuple[str, ...]]:
    """table -> column names, in the contract's order (the order COPY writes them)."""
    contract = load() if contract is None else contract
    return {table: tuple(name for name, _ in columns) for table, columns in contract.items()}


def render_dbt_macro(contract: Contract | None = None) -> str:
    contract = load() if contract is None else contract
    lines = [
        "{#- GENERATED from contract/raw_schema.sql by `python -m flowpilot_tools.raw_contract`;",
        "    do not edit (flowpilot_tools/tests/test_raw_contract.py fails while it is out of",
        "    date). The raw tables and columns that check_raw_contract (macros/raw_contract.sql)",
        "    requires, with their data types as information_schema.columns reports them. -#}",
        "",
        "{% macro raw_contract() -%}",
        "    {{- return({",
    ]
    for table in sorted(contract):
        lines.append(f"        '{table}': {{")
        lines += [f"            '{name}': '{data_type}'," for name, data_type in contract[table]]
        lines.append("        },")
    lines += ["    }) -}}", "{%- endmacro %}", ""]
    return "\n".join(lines)


def main() -> int:
    DBT_MACRO.write_text(render_dbt_macro())
    print(f"wrote {DBT_MACRO.relative_to(PROJECT_ROOT)} from {RAW_SCHEMA_SQL.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
