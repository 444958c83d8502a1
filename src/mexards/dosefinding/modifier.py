"""Modifiers: designs that wrap a parent design and override one answer of its ``Decision``.

The idea and the semantics follow Brock's R package ``escalation`` (``R/stop_at_n_selector.R``,
``R/dont_skip_selector.R``, ``R/stop_when_too_toxic.R``; reference notes ``dosefinding.md`` 1.5). Modifiers
nest: the outermost one has the last word, as in ``escalation``'s pipe. A stopped trial recommends its final
selection (``Decision.mtd``), or no dose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from mexards.domain.errors import ValidationError
from mexards.dosefinding.boin import prob_above
from mexards.dosefinding.design import Decision, Design
from mexards.dosefinding.outcome import Cohort, as_cohorts


def _check_parent(parent: object) -> Design:
    if not isinstance(parent, Design):
        raise ValidationError("parent", "must be a dose-finding design", parent)
    return parent


def _cap(dose: int | None, highest: int) -> int | None:
    return None if dose is None else min(dose, highest)


class StopAtN:
    """Stop once ``n`` patients were treated (``escalation::stop_at_n``); then recommend the MTD."""

    def __init__(self, parent: Design, n: int) -> None:
        self.parent = _check_parent(parent)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError("n", "must be an integer >= 1", n)
        self.n = n

    @property
    def num_doses(self) -> int:
        return self.parent.num_doses

    @property
    def name(self) -> str:
        return f"{self.parent.name} + stop_at_n({self.n})"

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision:
        decision = self.parent.fit(outcomes)
        total = decision.num_patients
        if not decision.should_continue or total < self.n:
            return decision
        final = f"the MTD is dose {decision.mtd}" if decision.mtd is not None else "no dose is selected"
        reason = f"{decision.reason}; {total} patients treated >= {self.n} -> stop; {final}"
        return dataclasses.replace(
            decision,
            recommended_dose=decision.mtd,
            should_continue=False,
            stop_reason=f"sample size reached: {total} patients (stop at {self.n})",
            reason=reason,
        )


class DontSkipDoses:
    """Never skip a dose: escalate at most to last dose + 1; optionally de-escalate at most to last dose - 1.

    As ``escalation::dont_skip_doses`` (defaults: ``when_escalating=True``, ``when_deescalating=False``). With
    no patients yet the parent's start dose stands; a stopped trial's final selection is not changed.
    """

    def __init__(
        self, parent: Design, *, when_escalating: bool = True, when_deescalating: bool = False
    ) -> None:
        self.parent = _check_parent(parent)
        self.when_escalating = when_escalating
        self.when_deescalating = when_deescalating

    @property
    def num_doses(self) -> int:
        return self.parent.num_doses

    @property
    def name(self) -> str:
        return f"{self.parent.name} + dont_skip_doses"

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision:
        cohorts = as_cohorts(outcomes, self.num_doses)
        decision = self.parent.fit(cohorts)
        rec = decision.recommended_dose
        if not cohorts or not decision.should_continue or rec is None:
            return decision
        last = cohorts[-1].dose
        if self.when_escalating and rec > last + 1:
            why = f"skips untried doses above the last dose {last} -> escalate to dose {last + 1} only"
            return dataclasses.replace(
                decision, recommended_dose=last + 1, reason=f"{decision.reason}; {why}"
            )
        if self.when_deescalating and rec < last - 1:
            lower = last - 1
            if decision.admissible_doses and lower > max(decision.admissible_doses):
                return decision
            why = f"would skip doses below the last dose {last} -> de-escalate to dose {lower} only"
            return dataclasses.replace(decision, recommended_dose=lower, reason=f"{decision.reason}; {why}")
        return decision


class StopWhenTooToxic:
    """Declare a dose and all higher doses inadmissible when it is probably too toxic; stop if the lowest is.

    With a Beta(1, 1) prior, the posterior of the DLT rate at dose ``k`` is Beta(1 + y_k, 1 + n_k - y_k); dose
    ``k`` is too toxic when ``P(p_k > tox_threshold) > confidence`` (Brock's
    ``escalation::stop_when_too_toxic``, here with the conjugate Beta(1, 1) posterior for every parent
    design). ``dose`` is the monitored dose level, or ``"any"`` to monitor every treated dose. Untreated doses
    are never declared too toxic. The check is replayed after every cohort and inadmissibility is permanent: a
    longer outcome string never re-opens a dose. The recommendation and the MTD are capped at the highest
    admissible dose; if dose 1 is too toxic the trial stops with no dose.
    """

    def __init__(
        self, parent: Design, dose: int | Literal["any"], tox_threshold: float, confidence: float
    ) -> None:
        self.parent = _check_parent(parent)
        if dose != "any" and (
            isinstance(dose, bool) or not isinstance(dose, int) or not 1 <= dose <= parent.num_doses
        ):
            raise ValidationError("dose", f"must be 'any' or a dose level in 1..{parent.num_doses}", dose)
        if not 0.0 < tox_threshold < 1.0:
            raise ValidationError(
                "tox_threshold", "must be a probability strictly between 0 and 1", tox_threshold
            )
        if not 0.0 < confidence < 1.0:
            raise ValidationError("confidence", "must be a probability strictly between 0 and 1", confidence)
        self.dose = dose
        self.tox_threshold = tox_threshold
        self.confidence = confidence

    @property
    def num_doses(self) -> int:
        return self.parent.num_doses

    @property
    def name(self) -> str:
        return (
            f"{self.parent.name} + stop_when_too_toxic(dose={self.dose}, "
            f"threshold={self.tox_threshold:g}, confidence={self.confidence:g})"
        )

    def prob_too_toxic(self, n: int, y: int) -> float:
        """``P(p > tox_threshold | y DLTs in n)`` under the Beta(1, 1) prior."""
        return prob_above(self.tox_threshold, n, y)

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision:
        cohorts = as_cohorts(outcomes, self.num_doses)
        decision = self.parent.fit(cohorts)
        monitored = range(1, self.num_doses + 1) if self.dose == "any" else (self.dose,)
        n = [0] * self.num_doses
        y = [0] * self.num_doses
        first_toxic: int | None = None
        trigger = ""
        for cohort in cohorts:
            n[cohort.dose - 1] += cohort.size
            y[cohort.dose - 1] += cohort.num_tox
            for k in monitored:
                if n[k - 1] == 0 or (first_toxic is not None and k >= first_toxic):
                    continue
                p = self.prob_too_toxic(n[k - 1], y[k - 1])
                if p > self.confidence:
                    first_toxic = k
                    trigger = (
                        f"{y[k - 1]} DLTs in {n[k - 1]} at dose {k}: P(DLT rate > {self.tox_threshold:g}) = "
                        f"{p:.3f} > {self.confidence:g}"
                    )
        probs = {k: self.prob_too_toxic(n[k - 1], y[k - 1]) for k in monitored if n[k - 1] > 0}
        details = {**decision.details, "prob_too_toxic": probs}
        already_over = not decision.should_continue and decision.recommended_dose is None
        if first_toxic is None or already_over:
            return dataclasses.replace(decision, details=details)
        highest = first_toxic - 1
        admissible = tuple(d for d in decision.admissible_doses if d <= highest)
        if highest == 0:
            reason = f"{decision.reason}; {trigger} -> all doses too toxic, stop; no dose is selected"
            return dataclasses.replace(
                decision,
                recommended_dose=None,
                should_continue=False,
                stop_reason="the lowest dose is too toxic",
                admissible_doses=(),
                mtd=None,
                reason=reason,
                details=details,
            )
        rec = _cap(decision.recommended_dose, highest)
        mtd = _cap(decision.mtd, highest)
        span = (
            f"dose {first_toxic}"
            if first_toxic == self.num_doses
            else f"doses {first_toxic}-{self.num_doses}"
        )
        outcome = f"recommend dose {rec}" if rec is not None else "no dose"
        reason = f"{decision.reason}; {trigger} -> {span} too toxic, {outcome}"
        return dataclasses.replace(
            decision,
            recommended_dose=rec,
            admissible_doses=admissible,
            mtd=mtd,
            reason=reason,
            details=details,
        )
