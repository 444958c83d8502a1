"""The outcome model of a virtual ARDS patient after Day 1, as vectorised functions of uniform/normal draws.

The same functions serve the per-patient daily course (:mod:`mexards.simulation.ards_patient`) and the
whole-trial simulation (:mod:`mexards.simulation.whole_trial`), so the two draw from one model. Parameters
come from a scenario file (:mod:`mexards.simulation.trial_scenario`); classes are Berlin MILD/MODERATE/SEVERE
(index 0/1/2). Day 1 is the first nebulisation and the baseline (clinical.md section 4).

- **Baseline P/F** (Berlin bands, JAMA 2012): a normal per class truncated to its band, kept 1 mmHg inside the
  band edges so that P/F rebuilt from rounded PaO2 and FiO2 stays in the class: mild [201, 299], moderate
  [101, 199], severe [``pf_ratio_bounds_mmhg.min``, 99].
- **P/F on day d**: ``PF_d = PF_1 + g(d) (mu_c + effect) + sd_c sqrt(g(d)) A_d``, clipped to the bounds, with
  ``g(d) = (1 - exp(-(d - 1)/tau)) / (1 - exp(-6/tau))`` (0 on Day 1, 1 on Day 7) and ``A_d`` a stationary
  AR(1) N(0, 1) series with lag-one correlation ``pf_autocorrelation``; so the Day-7 change is N(mu_c +
  effect, sd_c^2) before clipping, as the scenario states.
- **Death**: Day-28 and Day-60 mortality ``m28_c``, ``m60_c`` by class, each turned by the dose's odds ratio
  ``OR`` into ``OR m / (1 - m + OR m)``; ``P(death by day t) = m28 (t/28)^k`` for t <= 28 (front-loaded for
  ``k < 1``), then linear to ``m60`` on Day 60. A uniform ``u`` gives the death day by inversion, so ``death
  by day t`` is exactly ``u < P(death by day t)``.
- **Dose-response** (scenario ``dose_response``): Emax on the P/F change, odds ratio on mortality; the DLT
  probability at a dose between protocol levels is interpolated linearly in log dose, above the top level it
  is the top level's, below the lowest level it falls in proportion to the dose (0 for saline).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from mexards.simulation.trial_parameter import Course, Normal, Population, TrialScenario

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SURVIVED = 10**6
"""Death day of a patient alive at Day 60 (larger than any study day)."""

MORTALITY_DAYS = (28, 60)
BAND_MARGIN_MMHG = 1.0
MILD_BAND = (200.0 + BAND_MARGIN_MMHG, 300.0 - BAND_MARGIN_MMHG)
MODERATE_BAND = (100.0 + BAND_MARGIN_MMHG, 200.0 - BAND_MARGIN_MMHG)
SEVERE_TOP = 100.0 - BAND_MARGIN_MMHG


def truncated_normal(
    u: FloatArray,
    mean: FloatArray | float,
    sd: FloatArray | float,
    low: FloatArray | float,
    high: FloatArray | float,
) -> FloatArray:
    """Inverse-CDF draw from N(mean, sd^2) truncated to [low, high] (``u`` uniform on (0, 1))."""
    mean_a = np.asarray(mean, dtype=np.float64)
    sd_a = np.maximum(np.asarray(sd, dtype=np.float64), 1e-12)
    a = special.ndtr((np.asarray(low, dtype=np.float64) - mean_a) / sd_a)
    b = special.ndtr((np.asarray(high, dtype=np.float64) - mean_a) / sd_a)
    q = np.clip(a + u * (b - a), 1e-15, 1.0 - 1e-15)
    value = mean_a + sd_a * special.ndtri(q)
    return np.asarray(np.clip(value, low, high), dtype=np.float64)


def normal_draw(u: FloatArray, normal: Normal) -> FloatArray:
    """Draw from a scenario :class:`Normal` (truncated where it has bounds) by inversion."""
    low = -math.inf if normal.minimum is None else normal.minimum
    high = math.inf if normal.maximum is None else normal.maximum
    return truncated_normal(u, normal.mean, normal.sd, low, high)


def categorical(u: FloatArray, probabilities: Sequence[float]) -> IntArray:
    """Index of the category of each uniform draw (probabilities in order; renormalised)."""
    cumulative = np.cumsum(np.asarray(probabilities, dtype=np.float64))
    cumulative /= cumulative[-1]
    return np.asarray(
        np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1), dtype=np.int64
    )


def pf_bands(course: Course) -> tuple[FloatArray, FloatArray]:
    """Per class, the lower and upper bound of the baseline P/F draw."""
    low = np.array([MILD_BAND[0], MODERATE_BAND[0], course.pf_ratio_min_mmhg])
    high = np.array([MILD_BAND[1], MODERATE_BAND[1], SEVERE_TOP])
    return low, high


def baseline_pf(severity: IntArray, u: FloatArray, population: Population, course: Course) -> FloatArray:
    """Baseline (Day 1) P/F in mmHg for each class index, from uniforms ``u``."""
    mean = np.array([n.mean for n in population.pf_ratio_mmhg])[severity]
    sd = np.array([n.sd for n in population.pf_ratio_mmhg])[severity]
    low, high = pf_bands(course)
    return truncated_normal(u, mean, sd, low[severity], high[severity])


def recovery_fraction(day: int | FloatArray, course: Course) -> FloatArray:
    """``g(d)``: share of the Day-7 mean change reached on day ``d`` (0 on Day 1, 1 on Day 7)."""
    tau = course.recovery_time_constant_days
    d = np.asarray(day, dtype=np.float64)
    return np.asarray((1.0 - np.exp(-(d - 1.0) / tau)) / (1.0 - math.exp(-6.0 / tau)), dtype=np.float64)


def pf_on_day(
    pf_baseline: FloatArray,
    severity: IntArray,
    day: int,
    effect_mmhg: FloatArray | float,
    noise: FloatArray,
    course: Course,
) -> FloatArray:
    """P/F on study day ``day`` >= 1 given the AR(1) noise value ``A_d`` (N(0, 1)) of that day."""
    g = float(recovery_fraction(day, course))
    mean = np.array([n.mean for n in course.pf_change_day7_mmhg])[severity]
    sd = np.array([n.sd for n in course.pf_change_day7_mmhg])[severity]
    value = pf_baseline + g * (mean + effect_mmhg) + sd * math.sqrt(max(g, 0.0)) * noise
    return np.asarray(np.clip(value, course.pf_ratio_min_mmhg, course.pf_ratio_max_mmhg), dtype=np.float64)


def adjusted_mortality(probability: FloatArray | float, odds_ratio: FloatArray | float) -> FloatArray:
    """``OR p / (1 - p + OR p)``: the probability ``p`` with its odds multiplied by ``OR``."""
    p = np.asarray(probability, dtype=np.float64)
    ratio = np.asarray(odds_ratio, dtype=np.float64)
    return np.asarray(ratio * p / (1.0 - p + ratio * p), dtype=np.float64)


def death_probability_by(
    day: int, severity: IntArray, odds_ratio: FloatArray | float, course: Course
) -> FloatArray:
    """P(death on or before study day ``day``) for each patient."""
    m28 = adjusted_mortality(np.asarray(course.mortality_day28)[severity], odds_ratio)
    if day <= MORTALITY_DAYS[0]:
        return np.asarray(
            m28 * (max(day, 0) / MORTALITY_DAYS[0]) ** course.death_timing_shape, dtype=np.float64
        )
    m60 = adjusted_mortality(np.asarray(course.mortality_day60)[severity], odds_ratio)
    share = min(day - MORTALITY_DAYS[0], MORTALITY_DAYS[1] - MORTALITY_DAYS[0]) / (
        MORTALITY_DAYS[1] - MORTALITY_DAYS[0]
    )
    return np.asarray(m28 + (m60 - m28) * share, dtype=np.float64)


def death_day(u: FloatArray, severity: IntArray, odds_ratio: FloatArray | float, course: Course) -> IntArray:
    """Study day of death (1..60) by inversion of :func:`death_probability_by`; :data:`SURVIVED` if alive."""
    m28 = adjusted_mortality(np.asarray(course.mortality_day28)[severity], odds_ratio)
    m60 = adjusted_mortality(np.asarray(course.mortality_day60)[severity], odds_ratio)
    early = MORTALITY_DAYS[0] * (u / np.maximum(m28, 1e-300)) ** (1.0 / course.death_timing_shape)
    span = MORTALITY_DAYS[1] - MORTALITY_DAYS[0]
    late = MORTALITY_DAYS[0] + span * (u - m28) / np.maximum(m60 - m28, 1e-300)
    day = np.where(u < m28, np.ceil(early), np.where(u < m60, np.ceil(late), SURVIVED))
    return np.asarray(np.maximum(day, 1), dtype=np.int64)


@dataclass(frozen=True)
class TreatmentModel:
    """Dose-dependent parts of a scenario: DLT probability and the dose-response, at any dose in particles."""

    level_particles: tuple[float, ...]
    dlt_probability_by_level: tuple[float, ...]
    ed50_particles: float
    pf_change_emax_mmhg: float
    mortality_odds_ratio_max: float

    @classmethod
    def of(cls, scenario: TrialScenario, level_particles: Sequence[float]) -> TreatmentModel:
        """The model of a scenario over the protocol's dose levels (particles per administration)."""
        response = scenario.dose_response
        return cls(
            level_particles=tuple(float(x) for x in level_particles),
            dlt_probability_by_level=scenario.dose_toxicity.dlt_probability,
            ed50_particles=response.ed50_particles,
            pf_change_emax_mmhg=response.pf_change_emax_mmhg,
            mortality_odds_ratio_max=response.mortality_odds_ratio_max,
        )

    def fraction(self, dose_particles: FloatArray | float) -> FloatArray:
        """``d / (ED50 + d)`` (0 for no dose)."""
        dose = np.maximum(np.asarray(dose_particles, dtype=np.float64), 0.0)
        return np.asarray(dose / (self.ed50_particles + dose), dtype=np.float64)

    def pf_effect_mmhg(self, dose_particles: FloatArray | float, scale: float = 1.0) -> FloatArray:
        """Mean shift of the Day-7 P/F change at this dose (effect multiplied by ``scale``)."""
        return np.asarray(scale * self.pf_change_emax_mmhg * self.fraction(dose_particles), dtype=np.float64)

    def odds_ratio(self, dose_particles: FloatArray | float, scale: float = 1.0) -> FloatArray:
        """Mortality odds ratio at this dose (log odds ratio multiplied by ``scale``)."""
        return np.asarray(
            self.mortality_odds_ratio_max ** (scale * self.fraction(dose_particles)), dtype=np.float64
        )

    def dlt_probability(self, dose_particles: float) -> float:
        """True DLT probability at any dose (module docstring for the interpolation)."""
        levels = self.level_particles
        p = self.dlt_probability_by_level
        dose = float(dose_particles)
        if dose <= 0.0:
            return 0.0
        if dose <= levels[0]:
            return p[0] * dose / levels[0]
        if dose >= levels[-1]:
            return p[-1]
        logs = np.log(np.asarray(levels))
        return float(np.interp(math.log(dose), logs, np.asarray(p)))
