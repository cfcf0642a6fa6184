from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowpilot_tools import warehouse
from flowpilot_tools.tests.scenario import Scenario


@pytest.fixture(scope="session")
def warehouse_env() -> dict[str, str]:
    """The warehouse of the test run: the libpq variables' server, else the embedded one."""
    return warehouse.connection_env()


@pytest.fixture(scope="module")
def scenario_factory(warehouse_env) -> Iterator:
    """Make throwaway-database scenarios; all are dropped when the module ends."""
    made: list[Scenario] = []

    def make(name: str) -> Scenario:
        scenario = Scenario(warehouse_env, name)
        made.append(scenario)
        return scenario

    yield make
    for scenario in made:
        scenario.close()
