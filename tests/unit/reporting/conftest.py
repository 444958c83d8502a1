"""Fixtures for the reporting tests: the built-in protocols, a fixed export time and a simulated trial with
clinical data for the exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mexards.protocol import builtin_protocol, list_builtin_protocols
from mexards.protocol.model import Protocol
from mexards.services import crf, trial, visit
from tests.unit.services.conftest import ADMIN, COORDINATOR, PROTOCOL
from tests.unit.services.test_results import SimulatedTrial, simulate_trial


@pytest.fixture(params=list_builtin_protocols())
def protocol(request: pytest.FixtureRequest) -> Protocol:
    """Each built-in protocol in turn."""
    return builtin_protocol(request.param)


@pytest.fixture
def mexards() -> Protocol:
    """NCT04602104 (MEXARDS)."""
    return builtin_protocol("NCT04602104")


@pytest.fixture
def all_protocols() -> list[Protocol]:
    """Every built-in protocol."""
    return [builtin_protocol(registry_id) for registry_id in list_builtin_protocols()]


@pytest.fixture
def exported_at() -> datetime:
    """A fixed, timezone-aware export time."""
    return datetime(2024, 7, 22, 12, 0, tzinfo=UTC)


def clinical_trial(*, lock: bool = True, seed: int = 23) -> SimulatedTrial:
    """A simulated MEXARDS trial (fake unit of work) with, on top of ``simulate_trial``'s data, visits done and
    missed, a vital-signs form and a CRF changed after first entry with its reason; locked if ``lock``."""
    sim = simulate_trial(phase2_size=9, seed=seed, lock=False)
    dosed = [pid for pid in sim.phase1[:1] + sim.phase2 if pid not in sim.never_dosed][:3]
    for pid in dosed:
        with sim.uow as u:
            first = u.participants.get(pid).first_dose_at
        assert first is not None
        visits = {v.visit_code: v for v in visit.schedule_visits(sim.uow, COORDINATOR, PROTOCOL, pid)}
        visit.record_visit(sim.uow, COORDINATOR, visits["d1"].visit_id, first.date())
        visit.record_missed_visit(sim.uow, COORDINATOR, visits["d3"].visit_id, "Patient in CT scanner")
        crf.save_crf(sim.uow, COORDINATOR, pid, "vital_signs", "d1", {
            "measured_at": (first - timedelta(minutes=40)).isoformat(), "timepoint": "pre_dose",
            "heart_rate_per_min": 96, "systolic_mmhg": 118, "diastolic_mmhg": 71, "temperature_celsius": "37.9",
            "respiratory_rate_per_min": 24, "spo2_percent": 92})
        crf.save_crf(sim.uow, COORDINATOR, pid, "demographics", "screening", {
            "sex": "female", "date_of_birth": "1970-02-03", "weight_kg": "61.0", "height_cm": "165"},
            reason="Transcription error corrected against the source")
    if lock:
        trial.lock_database(sim.uow, ADMIN)
    return sim
