"""The Dask executor gives the same operating characteristics as the in-process one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import BOIN
from mexards.simulation import DoseFindingScenario, SerialExecutor, patient, simulate_operating_characteristics
from mexards.simulation.dask_executor import DaskExecutor

distributed = pytest.importorskip("distributed")

B3 = DoseFindingScenario((0.10, 0.25, 0.40), 3, 6)


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as local:
        yield local


def test_a_dask_client_gives_the_serial_result(cluster: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient, "CHUNK_TRIALS", 300)
    design = BOIN(3, 0.25)
    expected = simulate_operating_characteristics(design, B3, trials=1000, seed=7, executor=SerialExecutor())
    with distributed.Client(cluster) as client:
        on_dask = simulate_operating_characteristics(
            design, B3, trials=1000, seed=7, executor=DaskExecutor(client=client)
        )
    assert on_dask == expected


def test_a_scheduler_address_is_connected_on_first_use_and_closed_after(cluster: object) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    with DaskExecutor(address) as executor:
        assert executor.map(abs, [-1, 2, -3]) == [1, 2, 3]
    assert executor._client is None


def test_an_executor_needs_an_address_or_a_client() -> None:
    with pytest.raises(ValidationError) as info:
        DaskExecutor()
    assert info.value.field == "scheduler"


def test_an_unreachable_scheduler_is_reported_on_the_scheduler_field() -> None:
    executor = DaskExecutor("tcp://127.0.0.1:9", timeout_s=1)
    with pytest.raises(ValidationError) as info:
        executor.map(abs, [1])
    assert info.value.field == "scheduler"
