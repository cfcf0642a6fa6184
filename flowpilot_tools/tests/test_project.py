"""What the Python tools read from the project instead of writing it again: the periods, the
freshness limits, the as_of rule; and pyproject.toml declares every package the code imports."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

import pytest

from flowpilot_tools import PROJECT_ROOT, project


def test_periods_come_from_the_seed():
    seed = (PROJECT_ROOT / "seeds" / "periods.csv").read_text().split()
    assert seed[0] == "period,period_days"
    assert project.PERIODS == {line.split(",")[0]: int(line.split(",")[1]) for line in seed[1:]}
    assert list(project.PERIODS) == ["7d", "30d", "90d"]  # METRICS.md section 2


def test_freshness_limits_come_from_dbt_project_vars():
    text = (PROJECT_ROOT / "dbt_project.yml").read_text()
    assert f"freshness_warn_hours: {project.FRESHNESS_WARN_HOURS}\n" in text
    assert f"freshness_error_hours: {project.FRESHNESS_ERROR_HOURS}\n" in text
    assert project.FRESHNESS_WARN_HOURS < project.FRESHNESS_ERROR_HOURS
    # No other default anywhere in the dbt project: the sources and the validation read the var.
    for path in [*PROJECT_ROOT.glob("macros/*.sql"), *PROJECT_ROOT.glob("models/**/*.yml")]:
        assert not re.search(r"var\('freshness_(warn|error)_hours',", path.read_text()), path


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-04-27T15:25:46+00:00", "2026-04-27T15:25:46+00:00"),
    ("2026-04-27T15:25:46Z", "2026-04-27T15:25:46+00:00"),
    (" 2026-04-27 17:25:46.5+02:00 ", "2026-04-27T15:25:46.500000+00:00"),
    ("2024-02-29T00:00:00-05:30", "2024-02-29T05:30:00+00:00"),
])
def test_as_of_is_read_as_a_utc_instant(text, expected):
    assert project.parse_as_of(text) == expected


@pytest.mark.parametrize("text", [
    "2026-04-27T15:25:46",          # no offset: would be read in the session's time zone
    "2026-04-27T15:25+00:00",       # no seconds (dbt's macro refuses it too)
    "2026-04-27",
    "2026-02-29T00:00:00Z",         # no such day
    "2026-04-27T24:00:00Z",
    "2026-04-27T15:25:46+24:00",
    "2026-04-27T15:25:46.1234567Z",
    "yesterday",
])
def test_as_of_refuses_what_dbt_refuses(text):
    with pytest.raises(ValueError):
        project.parse_as_of(text)


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_ROOT / "flowpilot_tools").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0
                     else [])
            found.update(name.split(".")[0] for name in names if name)
    return {name for name in found
            if name not in sys.stdlib_module_names and name not in ("flowpilot_tools", "__future__")}


def test_pyproject_declares_every_package_the_code_imports():
    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = meta["dependencies"] + [d for extra in meta["optional-dependencies"].values()
                                       for d in extra]
    declared_names = {re.split(r"[\[<>=!~ ]", d)[0].lower().replace("_", "-") for d in declared}
    distributions = importlib.metadata.packages_distributions()
    imported = _third_party_imports()
    assert {"psutil", "matplotlib", "yaml", "psycopg"} <= imported  # the scan sees them
    missing = {name for name in imported
               if not {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
               & declared_names}
    assert missing == set()
    assert "matplotlib" in meta["optional-dependencies"]["bench"]


def _jinja_type_map(path: str, macro: str) -> dict[str, str]:
    """The {'postgres name': 'spark name'} literal of MACRO in the macro file PATH."""
    text = (PROJECT_ROOT / path).read_text()
    body = text[text.index(f"macro {macro}("):]
    body = body[:body.index("endmacro")]
    return dict(re.findall(r"'([a-z ]+)': '([a-z0-9(), ]+)'", body))


def test_spark_type_names_agree_with_the_loader():
    """Spark's names of PostgreSQL's types are written in three places (Python cannot be read
    by the macros): the loader's (spark_load.SPARK_TYPES), the raw contract check's and the
    contracts' cast. They must agree, or the check refuses what the loader lands."""
    from flowpilot_tools import raw_contract, spark_load

    landed = spark_load.SPARK_TYPES
    assert set(landed) == set(raw_contract.DATA_TYPES.values())
    checked = _jinja_type_map("macros/raw_contract.sql", "spark__raw_contract_engine_type")
    assert checked and {name: checked.get(name, name) for name in landed} == landed
    cast = _jinja_type_map("macros/engines/spark_types.sql", "spark_type_name")
    assert {"text", "uuid", "timestamp with time zone"} <= set(cast)
    assert all(cast[name] == landed[name] for name in cast if name in landed)
