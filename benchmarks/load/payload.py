"""Request bodies of the virtual users: plausible CRF entries, doses and screenings (values inside the form
library's ranges, times now in UTC), and how the server must have stored them."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from benchmarks.load.trial import screening_record

VITAL_TIMEPOINTS = ("pre_dose", "post_15_min", "post_30_min", "post_1_h", "post_2_h", "daily")


def now_text() -> str:
    return datetime.now(UTC).isoformat()


def vital_signs(rng: random.Random) -> dict[str, Any]:
    """A vital-signs CRF (form ``vital_signs``)."""
    return {
        "measured_at": now_text(),
        "timepoint": rng.choice(VITAL_TIMEPOINTS),
        "heart_rate_per_min": rng.randint(50, 140),
        "systolic_mmhg": rng.randint(85, 170),
        "diastolic_mmhg": rng.randint(45, 100),
        "temperature_celsius": f"{rng.uniform(35.5, 39.5):.1f}",
        "respiratory_rate_per_min": rng.randint(12, 35),
        "spo2_percent": rng.randint(86, 100),
    }


def blood_gas(rng: random.Random) -> dict[str, Any]:
    """A blood-gas CRF (form ``blood_gas``: P/F ratio and Berlin severity derived on save)."""
    return {
        "measured_at": now_text(),
        "support": "invasive",
        "pao2_mmhg": str(rng.randint(55, 160)),
        "fio2_fraction": rng.choice(["0.4", "0.5", "0.6", "0.8"]),
        "peep_cmh2o": str(rng.choice([5, 8, 10, 12])),
        "paco2_mmhg": str(rng.randint(32, 60)),
    }


FORMS = {"vital_signs": vital_signs, "blood_gas": blood_gas}


def crf(rng: random.Random, form_id: str | None = None) -> tuple[str, dict[str, Any]]:
    chosen = form_id or rng.choice(tuple(FORMS))
    return chosen, {"values": FORMS[chosen](rng)}


def dose(day: int, rng: random.Random) -> dict[str, Any]:
    """A nebulised dose of 3 mL given on ``day``, started now (a dose may not start before the step before it,
    such as the randomization answered a moment ago)."""
    started = datetime.now(UTC)
    return {
        "study_day": day,
        "status": "given",
        "started_at": started.isoformat(),
        "volume_ml": "3",
        "device": "Aerogen Solo",
        "spo2_pre_percent": rng.randint(90, 97),
        "spo2_post_percent": rng.randint(90, 98),
        "tolerance": "tolerated",
    }


def screening(participant_id: str, site_id: str) -> dict[str, Any]:
    return {"participant_id": participant_id, "site_id": site_id, "record": screening_record()}


def consent() -> dict[str, Any]:
    return {"signed_by": "subject", "consent_version": "v2.0", "consented_at": now_text()}
