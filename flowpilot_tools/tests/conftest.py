from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowpilot_tools import nightly, warehouse
from flowpilot_tools.tests.scenario import Scenario, run_dbt_step_in_process


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


@pytest.fixture(scope="module")
def nightly_dbt_in_process() -> Iterator[None]:
    """The nightly job's dbt steps run in this process (no interpreter start-up per step) for
    the module; the job's own logic is unchanged (scenario.run_dbt_step_in_process)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nightly, "run_dbt_step", run_dbt_step_in_process)
        yield


def pytest_collection_modifyitems(items) -> None:
    """For pytest-xdist's --dist loadgroup (flowpilot test runs pytest -n 2): the fault tests,
    which start PostgreSQL servers of their own, on one worker; the tests of the warehouse's
    server on the other, one module after another as in a serial run."""
    for item in items:
        group = "own_servers" if item.path.name == "test_faults.py" else "warehouse"
        item.add_marker(pytest.mark.xdist_group(group))
