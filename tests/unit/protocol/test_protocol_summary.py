"""The protocol summary and dose arithmetic (clinical-examples.md X01 and X02; clinical.md 1.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mexards.protocol import builtin_protocol, protocol_summary
from mexards.protocol.model import Dose
from mexards.protocol.summary import course_total_particles, format_particles, particles_per_administration

MEXARDS = builtin_protocol("NCT04602104")


@pytest.mark.parametrize(("intervention", "total"), [("exo_low", 1_400_000_000), ("exo_medium", 5_600_000_000),
                                                     ("exo_high", 11_200_000_000)])
def test_x01_course_totals_over_seven_daily_doses(intervention: str, total: int) -> None:
    assert course_total_particles(MEXARDS.intervention(intervention)) == total


@pytest.mark.parametrize(("mtd", "quarter"), [(1_600_000_000, 400_000_000), (800_000_000, 200_000_000)])
def test_x02_a_quarter_of_the_mtd(mtd: int, quarter: int) -> None:
    assert particles_per_administration(MEXARDS.intervention("exo_quarter_mtd").dose, mtd) == quarter
    assert particles_per_administration(MEXARDS.intervention("exo_mtd").dose, mtd) == mtd


def test_doses_without_a_particle_count_have_none() -> None:
    assert particles_per_administration(Dose(placebo="normal saline"), 800_000_000) is None
    assert particles_per_administration(Dose(fraction_of_mtd=Decimal("0.25"))) is None
    assert course_total_particles(MEXARDS.intervention("saline")) is None


@pytest.mark.parametrize(("count", "text"), [(200_000_000, "2.0×10^8"), (1_600_000_000, "1.6×10^9"),
                                             (11_200_000_000, "1.12×10^10"), (1_000_000, "1.0×10^6")])
def test_particle_counts_are_shown_in_scientific_notation(count: int, text: str) -> None:
    assert format_particles(count) == text


def test_the_mexards_summary_lists_identification_arms_outcomes_and_criteria() -> None:
    s = protocol_summary(MEXARDS)
    assert (s.registry_id, s.org_study_id, s.phase, s.status) == ("NCT04602104", "MEXARDS", "PHASE1/PHASE2",
                                                                   "COMPLETED")
    assert s.enrollment == {"planned": 169, "actual": 18}
    assert len(s.arms) == 6 and "course total 1.4×10^9" in s.arms[0]["dose"]
    assert s.arms[3]["dose"].startswith("0.25 × MTD")
    assert all(o["assumed"] == "yes" for o in s.outcomes)
    assert [c["id"] for c in s.inclusion] == ["I1", "I2", "I3", "I4", "I5"] and len(s.exclusion) == 21
    assert s.settings["exclusion3_join"] == "and" and s.settings["within_n_days_inclusive"] == "true"
    assert "3+3" in s.phase1 and "1:1:1" in s.phase2
    assert s.as_dict()["registry_id"] == "NCT04602104"


def test_the_mexvt_summary_has_five_single_dose_arms_and_no_phase_2() -> None:
    s = protocol_summary(builtin_protocol("NCT04313647"))
    assert [a["dose"].split(" particles")[0] for a in s.arms] == ["2.0×10^8", "4.0×10^8", "8.0×10^8", "1.2×10^9",
                                                                  "1.6×10^9"]
    assert s.phase2 == ""
