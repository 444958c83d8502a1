"""The seamless Phase 1/2 trial simulated many times, vectorised across trials (not through the database).

For every virtual trial (scenario file: :mod:`mexards.simulation.trial_scenario`; protocol: its dose levels,
Phase 1 design, DLT window and Phase 2 arms):

1. **Phase 1** runs the protocol's dose-finding design on the dose-finding engine
   (:func:`mexards.simulation.montecarlo.run_trials`: same latent tolerances, same chunk seeds), so the MTD
   selection probabilities are exactly the engine's operating characteristics for the same seed. The correct
   MTD is the highest dose whose true DLT probability is at most ``dose_toxicity.target`` (none if every dose
   is above it); a trial without an MTD stops after Phase 1.
2. **Phase 2** randomises ``phase2_sample_size`` patients to the protocol's arms by its allocation ratio
   (fixed arm sizes: complete randomisation within blocks is exchangeable for these statistics); an arm dosed
   as a fraction of the MTD gets that fraction of the selected level's particles, the placebo arm none.
   Patients are drawn from the scenario's eligible population (exclusions are independent of the outcome
   model), with baseline P/F, the P/F on the primary endpoint day and death before it from
   :mod:`mexards.simulation.trial_course`; a patient who dies before the endpoint day is missing
   (complete-case analysis, as :func:`mexards.analysis.regression.ancova`).
3. **Analysis** by ANCOVA or t tests with the multiplicity rule of :mod:`mexards.simulation.trial_analysis`;
   *success* is the rejection of the primary hypothesis (fixed sequence: MTD vs control) or of any hypothesis
   (Bonferroni). The analysis is repeated on the same random numbers with the dose-response multiplied by each
   ``power_curve_scales`` value (0 is the null scenario: the type I error; 1 the scenario: the power).
4. **Duration**: Poisson accrual at ``accrual_per_month`` enrolled patients; each Phase 1 cohort is accrued
   (Gamma waiting time) and then waits the DLT window before the next (``next_cohort_before_window_closes``
   false); then ``phase2_start_gap_days``; Phase 2 accrual; the primary analysis once the last patient reaches
   the endpoint day, completion once the last patient reaches the end of follow-up (Day N is N - 1 days after
   Day 1).

Trials run in chunks of :data:`mexards.simulation.patient.CHUNK_TRIALS` with spawned seeds, on any
:class:`~mexards.simulation.executor.Executor`; chunk sums are added in chunk order, so a seed gives the same
result on every executor. Phase 2 draws use a child of each chunk's seed, in blocks of
:data:`PHASE2_BLOCK_TRIALS` trials, for all trials (also those without an MTD), so scenarios that differ only
in their outcome model share their Phase 1 and their patients (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from mexards.domain.errors import ValidationError
from mexards.dosefinding import DesignOptions, build_design
from mexards.dosefinding.design import Design
from mexards.protocol import Protocol, resolve_protocol
from mexards.simulation.ards_patient import DAYS_PER_MONTH, eligibility_probability
from mexards.simulation.executor import Executor, default_executor
from mexards.simulation.montecarlo import records_sums, run_trials
from mexards.simulation.patient import chunk_seeds, chunk_sizes, tolerances
from mexards.simulation.result import summarise
from mexards.simulation.rule import rule_for
from mexards.simulation.scenario import DoseFindingScenario, for_design
from mexards.simulation.trial_analysis import ArmSums, contrasts, rejections
from mexards.simulation.trial_course import (
    TreatmentModel,
    baseline_pf,
    categorical,
    death_probability_by,
    pf_on_day,
    recovery_fraction,
)
from mexards.simulation.trial_result import (
    WholeTrialResult,
    WholeTrialSums,
    curve_points,
    proportion,
    summary_of_totals,
)
from mexards.simulation.trial_scenario import TrialScenario

FloatArray = NDArray[np.float64]
PHASE2_BLOCK_TRIALS = 4096
"""Trials per block of Phase 2 draws inside a chunk. Fixed, so that results depend only on the seed."""

_DESIGN_NAMES = {"3+3": "3+3", "BOIN": "boin", "CRM": "crm"}
DURATIONS = ("phase1_days", "time_to_mtd_days", "time_to_primary_analysis_days", "time_to_completion_days")
SIZES = ("total_n", "phase1_n", "phase2_n")


@dataclass(frozen=True)
class TrialDesign:
    """A scenario resolved against its protocol: everything a chunk needs (picklable)."""

    scenario: TrialScenario
    protocol_id: str
    design: Design
    phase1: DoseFindingScenario
    level_particles: tuple[float, ...]
    arm_ids: tuple[str, ...]
    arm_fractions: tuple[float | None, ...]
    arm_particles: tuple[float | None, ...]
    arm_sizes: tuple[int, ...]
    control: int
    order: tuple[int, ...]
    dlt_window_days: int
    scales: tuple[float, ...]

    @property
    def model(self) -> TreatmentModel:
        """The scenario's dose-dependent model over the protocol's levels."""
        return TreatmentModel.of(self.scenario, self.level_particles)

    @property
    def actives(self) -> tuple[int, ...]:
        """Indices of the active arms, in protocol order."""
        return tuple(i for i in range(len(self.arm_ids)) if i != self.control)

    def arm_doses(self, selected: NDArray[np.int64]) -> list[FloatArray]:
        """Per arm, the daily dose (particles) of every trial given its selected MTD (0-based, -1 none)."""
        mtd = np.asarray(self.level_particles)[np.maximum(selected, 0)]
        doses: list[FloatArray] = []
        for fraction, particles in zip(self.arm_fractions, self.arm_particles, strict=True):
            if fraction is not None:
                doses.append(fraction * mtd)
            else:
                doses.append(np.full(len(selected), particles or 0.0))
        return doses


def _number(value: object) -> float:
    return float(value) if isinstance(value, Decimal | int | float) else float(str(value))


def phase1_design(protocol: Protocol) -> Design:
    """The protocol's dose-finding design capped at its maximum sample size (as the escalation service)."""
    phase1 = protocol.phase1
    if phase1 is None:
        raise ValidationError(
            "protocol.phase1", "the protocol has no dose-escalation phase", protocol.registry_id
        )
    spec = phase1.design
    parameters = spec.parameters
    skeleton = parameters.get("skeleton")
    start = next((i for i, lv in enumerate(protocol.dose_levels, start=1) if lv.id == phase1.start_level), 1)
    return build_design(
        DesignOptions(
            design=_DESIGN_NAMES.get(spec.name, spec.name),
            target=None if spec.target is None else float(spec.target),
            num_doses=len(protocol.dose_levels),
            skeleton=tuple(_number(p) for p in skeleton) if isinstance(skeleton, tuple) else None,
            start_dose=start,
            p_saf=_number(parameters["phi1"]) if "phi1" in parameters else None,
            p_tox=_number(parameters["phi2"]) if "phi2" in parameters else None,
            max_n=phase1.max_sample_size,
        )
    )


def _phase2_total(protocol: Protocol, scenario: TrialScenario, override: int | None) -> int:
    if override is not None:
        return override
    if scenario.trial.phase2_sample_size is not None:
        return scenario.trial.phase2_sample_size
    phase2 = protocol.phase2
    if phase2 is not None and phase2.sample_size is not None:
        return phase2.sample_size
    planned = protocol.identification.enrollment.planned
    if planned is not None and protocol.phase1 is not None:
        return int(planned) - protocol.phase1.max_sample_size
    raise ValidationError(
        "trial.phase2_sample_size", "is required: the protocol gives no Phase 2 or planned size"
    )


def trial_design(
    scenario: TrialScenario, *, phase2_sample_size: int | None = None, protocol: Protocol | None = None
) -> TrialDesign:
    """Resolve ``scenario`` against its protocol (or ``protocol``) and check that they fit together."""
    protocol = protocol if protocol is not None else resolve_protocol(scenario.protocol)
    phase1, phase2 = protocol.phase1, protocol.phase2
    if phase1 is None or phase2 is None:
        raise ValidationError(
            "protocol",
            "must have a Phase 1 (dose finding) and a Phase 2 (randomised) stage",
            protocol.registry_id,
        )
    levels = tuple(float(lv.dose_particles) for lv in protocol.dose_levels)
    if len(scenario.dose_toxicity.dlt_probability) != len(levels):
        raise ValidationError(
            "dose_toxicity.dlt_probability",
            f"gives {len(scenario.dose_toxicity.dlt_probability)} probabilities but the protocol "
            f"has {len(levels)} dose levels",
            scenario.dose_toxicity.dlt_probability,
        )
    design = phase1_design(protocol)
    start = next((i for i, lv in enumerate(protocol.dose_levels, start=1) if lv.id == phase1.start_level), 1)
    cohorts = max(1, phase1.max_sample_size // phase1.cohort_size)
    dose_finding = for_design(
        DoseFindingScenario(
            scenario.dose_toxicity.dlt_probability,
            phase1.cohort_size,
            cohorts,
            start_dose=start,
            target=scenario.dose_toxicity.target,
        ),
        design,
    )
    fractions: list[float | None] = []
    particles: list[float | None] = []
    control: list[int] = []
    for index, arm_id in enumerate(phase2.arms):
        dose = protocol.intervention(protocol.arm(arm_id).interventions[0]).dose
        fractions.append(None if dose.fraction_of_mtd is None else float(dose.fraction_of_mtd))
        particles.append(None if dose.particles is None else float(dose.particles))
        if dose.placebo is not None:
            control.append(index)
    if len(control) != 1 or len(phase2.arms) < 2:
        raise ValidationError(
            "protocol.phase2.arms",
            "needs exactly one placebo control and at least one active arm",
            phase2.arms,
        )
    total = _phase2_total(protocol, scenario, phase2_sample_size)
    ratio = phase2.allocation_ratio
    sizes = tuple(total * r // sum(ratio) for r in ratio)
    if min(sizes) < 2:
        raise ValidationError(
            "trial.phase2_sample_size", "must give every Phase 2 arm at least 2 patients", total
        )
    active = [i for i in range(len(phase2.arms)) if i != control[0]]

    def strength(i: int) -> float:
        fraction = fractions[i]
        return fraction if fraction is not None else (particles[i] or 0.0) / max(levels)

    order = tuple(sorted(active, key=lambda i: -strength(i)))
    scales = tuple(sorted({0.0, 1.0, *scenario.trial.power_curve_scales}))
    return TrialDesign(
        scenario=scenario,
        protocol_id=protocol.registry_id,
        design=design,
        phase1=dose_finding,
        level_particles=levels,
        arm_ids=tuple(phase2.arms),
        arm_fractions=tuple(fractions),
        arm_particles=tuple(particles),
        arm_sizes=sizes,
        control=control[0],
        order=order,
        dlt_window_days=phase1.dlt_window_days,
        scales=scales,
    )


@dataclass(frozen=True)
class TrialChunk:
    """One chunk of trials and its seed."""

    design: TrialDesign
    seed: np.random.SeedSequence
    trials: int


def _phase2_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """A child of the chunk seed that no chunk seed equals (spawn key extended by one)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 1), pool_size=seed.pool_size)


def _phase2_block(
    design: TrialDesign, rng: np.random.Generator, selected: NDArray[np.int64], sums: WholeTrialSums
) -> None:
    """Draw one block of Phase 2 trials and add their analyses at every effect scale to ``sums``."""
    scenario = design.scenario
    course = scenario.course
    model = design.model
    day = scenario.trial.primary_endpoint_day
    trials = len(selected)
    total = sum(design.arm_sizes)
    severity = categorical(rng.random((trials, total)), scenario.population.severity)
    pf0 = baseline_pf(severity, rng.random((trials, total)), scenario.population, course)
    noise = rng.standard_normal((trials, total))
    u_death = rng.random((trials, total))
    run = selected >= 0
    g = float(recovery_fraction(day, course))
    doses = design.arm_doses(selected)
    bounds = np.cumsum((0, *design.arm_sizes))
    arms = [slice(int(bounds[i]), int(bounds[i + 1])) for i in range(len(design.arm_sizes))]
    for s_index, scale in enumerate(design.scales):
        effects = [model.pf_effect_mmhg(d, scale) for d in doses]
        arm_sums: list[ArmSums] = []
        for a, sl in enumerate(arms):
            cls = severity[:, sl]
            x = pf0[:, sl]
            y = pf_on_day(x, cls, day, effects[a][:, None], noise[:, sl], course) - x
            odds = model.odds_ratio(doses[a], scale)[:, None]
            observed = u_death[:, sl] >= death_probability_by(day, cls, odds, course)
            arm_sums.append(ArmSums.of(x, y, observed))
        found = contrasts(arm_sums, design.control, scenario.trial.analysis)
        active = design.actives
        p_values = [c.p_value for c in found]
        order = [active.index(i) for i in design.order]
        rejected = rejections(p_values, order, scenario.trial.alpha, scenario.trial.multiplicity)
        level = (
            scenario.trial.alpha / len(active)
            if scenario.trial.multiplicity == "bonferroni"
            else scenario.trial.alpha
        )
        success = (
            rejected[order[0]]
            if scenario.trial.multiplicity == "fixed_sequence"
            else np.any(rejected, axis=0)
        )
        sums.success[s_index] += float(np.count_nonzero(success & run))
        sums.analysed[s_index] += float(sum(a.n[run].sum() for a in arm_sums))
        for c, contrast in enumerate(found):
            arm = active[c]
            sums.rejected[s_index, c] += float(np.count_nonzero(rejected[c] & run))
            sums.marginal[s_index, c] += float(np.count_nonzero((contrast.p_value < level) & run))
            estimable = run & np.isfinite(contrast.estimate)
            sums.estimate[s_index, c] += float(contrast.estimate[estimable].sum())
            sums.estimate_sq[s_index, c] += float((contrast.estimate[estimable] ** 2).sum())
            sums.estimated[s_index, c] += float(np.count_nonzero(estimable))
            truth = effects[arm] - effects[design.control]
            sums.true_effect[s_index, c] += float(g * truth[run].sum())


def run_trial_chunk(task: TrialChunk) -> WholeTrialSums:
    """Simulate one chunk of whole trials and reduce it to sums."""
    design = task.design
    scenario = design.scenario
    rule = rule_for(design.design)
    u = tolerances(task.seed, task.trials, design.phase1.max_patients)
    records = run_trials(rule, design.phase1, u)
    sums = WholeTrialSums(records_sums(records, design.phase1), len(design.scales), len(design.actives))
    sums.trials = task.trials
    truth = design.phase1.true_mtd
    selected = records.selected
    sums.correct_mtd = int(np.count_nonzero(selected == (-1 if truth is None else truth - 1)))
    run = selected >= 0
    sums.phase2 = int(np.count_nonzero(run))
    rng = np.random.default_rng(_phase2_seed(task.seed))
    for start in range(0, task.trials, PHASE2_BLOCK_TRIALS):
        _phase2_block(design, rng, selected[start : start + PHASE2_BLOCK_TRIALS], sums)
    rate = scenario.trial.accrual_per_month / DAYS_PER_MONTH
    phase1_n = records.n.sum(axis=1).astype(np.float64)
    phase1_days = (
        rng.gamma(np.maximum(phase1_n, 1.0), 1.0 / rate) + records.cohorts_treated * design.dlt_window_days
    )
    phase2_n = np.where(run, float(sum(design.arm_sizes)), 0.0)
    accrual2 = rng.gamma(float(sum(design.arm_sizes)), 1.0 / rate, task.trials)
    to_mtd = phase1_days + np.where(run, scenario.trial.phase2_start_gap_days, 0.0)
    last_enrolled = to_mtd + np.where(run, accrual2, 0.0)
    endpoint = np.where(run, scenario.trial.primary_endpoint_day - 1.0, 0.0)
    follow_up = np.where(run, scenario.trial.follow_up_days - 1.0, 0.0)
    for name, values in (
        ("phase1_days", phase1_days),
        ("time_to_mtd_days", to_mtd),
        ("time_to_primary_analysis_days", last_enrolled + endpoint),
        ("time_to_completion_days", last_enrolled + follow_up),
        ("phase1_n", phase1_n),
        ("phase2_n", phase2_n),
        ("total_n", phase1_n + phase2_n),
    ):
        sums.add_total(name, np.asarray(values, dtype=np.float64))
    return sums


def simulate_whole_trial(
    scenario: TrialScenario,
    *,
    trials: int,
    seed: int,
    executor: Executor | None = None,
    phase2_sample_size: int | None = None,
    protocol: Protocol | None = None,
) -> WholeTrialResult:
    """Simulate the seamless trial ``trials`` times under ``scenario`` (module docstring for the model)."""
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValidationError("trials", "must be a whole number >= 1", trials)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", "must be a non-negative integer", seed)
    design = trial_design(scenario, phase2_sample_size=phase2_sample_size, protocol=protocol)
    sizes = chunk_sizes(trials)
    tasks = [TrialChunk(design, s, m) for s, m in zip(chunk_seeds(seed, len(sizes)), sizes, strict=True)]
    runner = executor if executor is not None else default_executor()
    per_chunk = runner.map(run_trial_chunk, tasks)
    total = per_chunk[0]
    for chunk in per_chunk[1:]:
        total = total.merge(chunk)
    return _result(design, total, trials, seed, len(tasks))


def _result(
    design: TrialDesign, sums: WholeTrialSums, trials: int, seed: int, chunks: int
) -> WholeTrialResult:
    scenario = design.scenario
    phase1 = design.phase1
    oc = summarise(
        sums.phase1,
        design=design.design.name,
        true_tox=phase1.true_tox,
        target=phase1.target,
        true_mtd=phase1.true_mtd,
        cohort_size=phase1.cohort_size,
        num_cohorts=phase1.num_cohorts,
        trials=trials,
        seed=seed,
    )
    correct, correct_se = proportion(float(sums.correct_mtd), float(trials))
    run, run_se = proportion(float(sums.phase2), float(trials))
    points = curve_points(sums, design.scales)
    by_scale = dict(zip(design.scales, points, strict=True))
    wanted = set(scenario.trial.power_curve_scales)
    names = tuple(design.arm_ids[i] + " vs " + design.arm_ids[design.control] for i in design.actives)
    eligible = eligibility_probability(scenario)
    sample = summary_of_totals(sums, SIZES)
    notes: list[str] = []
    if scenario.dose_response.is_null:
        notes.append("the scenario has no dose-response: its power is its type I error")
    if design.phase1.true_mtd is None:
        notes.append("every dose is above the target: the correct decision is to select no MTD")
    return WholeTrialResult(
        scenario=scenario.name,
        protocol=design.protocol_id,
        design=design.design.name,
        trials=trials,
        seed=seed,
        chunks=chunks,
        phase1=oc,
        p_correct_mtd=correct,
        p_correct_mtd_se=correct_se,
        p_phase2=run,
        p_phase2_se=run_se,
        comparisons=names,
        primary_comparison=names[design.actives.index(design.order[0])],
        arm_sizes=dict(zip(design.arm_ids, design.arm_sizes, strict=True)),
        analysis=scenario.trial.analysis,
        multiplicity=scenario.trial.multiplicity,
        alpha=scenario.trial.alpha,
        primary_endpoint_day=scenario.trial.primary_endpoint_day,
        power=by_scale[1.0],
        type_i_error=by_scale[0.0],
        power_curve=tuple(p for p in points if p.scale in wanted),
        sample_size=sample,
        duration_days=summary_of_totals(sums, DURATIONS),
        eligible_fraction=eligible,
        expected_screened=sample["total_n"]["mean"] / eligible if eligible > 0 else math.inf,
        notes=tuple(notes),
    )


def with_dose_toxicity(scenario: TrialScenario, dlt_probability: tuple[float, ...]) -> TrialScenario:
    """The scenario with another true DLT curve (e.g. for a grid of Phase 1 scenarios)."""
    if not dlt_probability:
        raise ValidationError(
            "dose_toxicity.dlt_probability", "give at least one DLT probability", dlt_probability
        )
    return replace(
        scenario, dose_toxicity=replace(scenario.dose_toxicity, dlt_probability=tuple(dlt_probability))
    )
