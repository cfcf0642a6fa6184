from __future__ import annotations

import os
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


# The longest modules first when pytest-xdist runs the files on two workers (flowpilot test:
# --dist loadfile), so that both end at about the same time; a serial run keeps the files' order.
LONGEST_FIRST = ("test_faults.py", "test_engine_parity.py", "test_nightly.py",
                 "test_hostile_input.py")


def pytest_collection_modifyitems(items) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable
