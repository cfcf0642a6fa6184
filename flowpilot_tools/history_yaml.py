"""The YAML of the history tables, derived from the marts' YAML (one source for every column).

``models/history/_history__models.yml`` is written by ``python -m flowpilot_tools.history_yaml``
from ``models/marts/*/_*__models.yml``: for each period mart (a mart with a ``period`` column),
a history model with ``as_of_date`` and then the mart's columns, in the mart's order, with the
mart's description, type, constraints and meta (its data tests stay with the mart: history rows
are copies of rows that passed them), and a unique index on the mart's grain plus
``as_of_date``. A test fails while the committed file differs from what this writes; to change a
history column, change the mart's YAML and run the command.
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import yaml

from flowpilot_tools import PROJECT_ROOT

HISTORY_YAML = PROJECT_ROOT / "models" / "history" / "_history__models.yml"
HEADER = (
    "# Written by `python -m flowpilot_tools.history_yaml` from the marts' YAML: do not edit.\n"
    "# A history column is the mart's column: change the mart's YAML, then run the command.\n"
)
COLUMN_KEYS = ("name", "description", "data_type", "constraints", "meta")


def period_marts() -> list[dict]:
    """The marts with a period column, in the order of their YAML files and entries."""
    marts = []
    for path in sorted(glob.glob(str(PROJECT_ROOT / "models/marts/*/_*__models.yml"))):
        for model in yaml.safe_load(Path(path).read_text()).get("models", []):
            if any(column["name"] == "period" for column in model.get("columns", [])):
                marts.append(model)
    return marts


def grain(mart: dict) -> list[str]:
    unique = [index["columns"] for index in mart["config"].get("indexes", [])
              if index.get("unique")]
    if len(unique) != 1:
        raise ValueError(f"{mart['name']}: expected one unique index (its grain), found {unique}")
    return unique[0]


def history_model(mart: dict) -> dict:
    name = mart["name"]
    columns = [{
        "name": "as_of_date",
        "description": '{{ doc("history_as_of_date") }}',
        "data_type": "date",
        "constraints": [{"type": "not_null"}],
    }]
    for column in mart["columns"]:
        columns.append({key: column[key] for key in COLUMN_KEYS if key in column})
    return {
        "name": f"{name}_history",
        "description": (
            f"{name} as the nightly job published it, one row per as_of date and row of the "
            "mart. The nightly job appends its rows under the UTC date of its as_of "
            "(as_of_date) after a build that succeeded whole, and replaces the rows an earlier "
            f"run of that date wrote. The columns are those of {name} (this YAML is derived "
            "from the mart's). Incremental, never rebuilt by --full-refresh."
        ),
        "config": {
            "contract": {"enforced": True},
            "indexes": [
                {"columns": [*grain(mart), "as_of_date"], "unique": True},
                {"columns": ["as_of_date"]},
            ],
        },
        "columns": columns,
    }


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as in the rest of the project's YAML."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):  # noqa: ARG002
        return super().increase_indent(flow, False)


def render() -> str:
    models = [history_model(mart) for mart in period_marts()]
    body = yaml.dump({"models": models}, Dumper=_Dumper, sort_keys=False, width=100,
                     allow_unicode=True)
    return HEADER + body


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = HISTORY_YAML.read_text() if HISTORY_YAML.exists() else ""
        if current != text:
            print(f"{HISTORY_YAML} is out of date: run python -m flowpilot_tools.history_yaml",
                  file=sys.stderr)
            return 1
        return 0
    HISTORY_YAML.write_text(text)
    print(f"wrote {HISTORY_YAML}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
