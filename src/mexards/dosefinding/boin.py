"""BOIN: boundaries and MTD selection, exactly as the R package BOIN 2.7.2 (``get.boundary``, ``select.mtd``).

Sources:

- Liu S, Yuan Y (2015). Bayesian optimal interval designs for phase I clinical trials. JRSS-C 64:507-523,
  doi:10.1111/rssc.12089 (the lambdas, the local decision rule).
- Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR (2016). Clin Cancer Res 22:4291-4301 (elimination rule, isotonic
  MTD selection).
- Yan F, Zhang L, Zhou Y, Pan H, Liu S, Yuan Y (2020). BOIN: an R package... J Stat Softw 94(13).
- Reference notes ``dosefinding.md`` sections 1.1, 3.1 and 3.2, which record BOIN 2.7.2's behaviour.

Rules implemented (``dosefinding.md`` 1.1):

- ``lambda_e = log((1-p_saf)/(1-target)) / log(target(1-p_saf) / (p_saf(1-target)))`` and ``lambda_d =
  log((1-target)/(1-p_tox)) / log(p_tox(1-target) / (target(1-p_tox)))``, with the defaults ``p_saf = 0.6
  target`` and ``p_tox = 1.4 target``.
- Escalate if ``y <= b_e(n) = floor(lambda_e n)``; de-escalate if ``y >= b_d(n) = ceil(lambda_d n)``, plus one
  when ``lambda_d n`` is an integer (to within 1e-12), i.e. de-escalate when ``y/n > lambda_d`` strictly.
- Eliminate (the dose and all higher doses) if ``y >= elim(n)``, the smallest ``y`` with ``P(p > target |
  Beta(y+1, n-y+1)) > cutoff_eli``; defined for ``n >= 3`` only.
- ``b_d(n)`` is capped by ``elim(n)``.
- With ``extrasafe``, the trial stops at the lowest dose when ``P(p1 > target) > cutoff_eli - offset`` (n >=
  3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betaincc

from mexards.domain.errors import ValidationError
from mexards.dosefinding.design import Decision, dlt_text, empiric_rates, rate_text
from mexards.dosefinding.isotonic import isotonic_estimates
from mexards.dosefinding.outcome import Cohort, as_cohorts

INTEGER_TOLERANCE = 1e-12
"""Tolerance for deciding that ``lambda * n`` is an integer (BOIN 2.7.2 adds one to ``b_d`` in that case)."""

MIN_N_ELIMINATION = 3
"""Elimination is only considered once 3 or more patients were treated at a dose (BOIN 2.7.2)."""

UNDEFINED = -1
"""Marker in the boundary arrays where a boundary is undefined (index 0, or elimination at n < 3)."""


def check_target(target: float, field: str = "target") -> None:
    """A target DLT probability must lie strictly between 0 and 1."""
    if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0.0 < float(target) < 1.0:
        raise ValidationError(field, "must be a probability strictly between 0 and 1", target)


def _resolve_p_saf_p_tox(target: float, p_saf: float | None, p_tox: float | None) -> tuple[float, float]:
    check_target(target)
    saf = 0.6 * target if p_saf is None else float(p_saf)
    tox = 1.4 * target if p_tox is None else float(p_tox)
    if not 0.0 < saf < target:
        raise ValidationError("p_saf", "must lie strictly between 0 and the target", p_saf)
    if not target < tox < 1.0:
        raise ValidationError("p_tox", "must lie strictly between the target and 1", p_tox)
    return saf, tox


def boin_lambdas(
    target: float, p_saf: float | None = None, p_tox: float | None = None
) -> tuple[float, float]:
    """BOIN's escalation and de-escalation boundaries ``(lambda_e, lambda_d)`` (Liu & Yuan 2015, eq. 2.5)."""
    saf, tox = _resolve_p_saf_p_tox(target, p_saf, p_tox)
    lambda_e = math.log((1 - saf) / (1 - target)) / math.log(target * (1 - saf) / (saf * (1 - target)))
    lambda_d = math.log((1 - target) / (1 - tox)) / math.log(tox * (1 - target) / (target * (1 - tox)))
    return lambda_e, lambda_d


def prob_above(target: float, n: int, y: int) -> float:
    """``P(p > target | y DLTs in n)`` under the Beta(1, 1) prior: ``1 - pbeta(target, y+1, n-y+1)``."""
    return float(betaincc(y + 1, n - y + 1, target))


def _first_exceeding(target: float, n: int, cutoff: float) -> int:
    """Smallest y in 1..n with ``P(p > target | y, n) > cutoff``; ``UNDEFINED`` when none (or n < 3)."""
    if n < MIN_N_ELIMINATION:
        return UNDEFINED
    for y in range(1, n + 1):
        if prob_above(target, n, y) > cutoff:
            return y
    return UNDEFINED


def _floor_tolerant(x: float) -> int:
    nearest = round(x)
    return int(nearest) if abs(x - nearest) < INTEGER_TOLERANCE else math.floor(x)


def _deescalation_count(x: float) -> int:
    nearest = round(x)
    return int(nearest) + 1 if abs(x - nearest) < INTEGER_TOLERANCE else math.ceil(x)


def _readonly(values: list[int]) -> npt.NDArray[np.int64]:
    array = np.asarray(values, dtype=np.int64)
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class BOINBoundaries:
    """BOIN count boundaries as lookup arrays indexed by the number treated at a dose, ``n = 0..max_n``.

    ``escalate_max[n]``: escalate if #DLT <= it; ``deescalate_min[n]``: de-escalate if #DLT >= it (capped by
    elimination); ``eliminate_min[n]``: eliminate if #DLT >= it; ``stop_min[n]`` (extrasafe only): stop the
    trial at the lowest dose if #DLT >= it. Index 0 and undefined entries hold ``UNDEFINED`` (-1).
    """

    target: float
    max_n: int
    lambda_e: float
    lambda_d: float
    cutoff_eli: float
    escalate_max: npt.NDArray[np.int64]
    deescalate_min: npt.NDArray[np.int64]
    eliminate_min: npt.NDArray[np.int64]
    stop_min: npt.NDArray[np.int64] | None

    def eliminate_at(self, n: int) -> int | None:
        """Elimination boundary for ``n`` patients, None when undefined."""
        value = int(self.eliminate_min[n])
        return None if value == UNDEFINED else value

    def stop_at(self, n: int) -> int | None:
        """Extrasafe lowest-dose stopping boundary for ``n`` patients (None if undefined or not extrasafe)."""
        if self.stop_min is None:
            return None
        value = int(self.stop_min[n])
        return None if value == UNDEFINED else value


def boin_boundaries(
    target: float,
    max_n: int,
    *,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
) -> BOINBoundaries:
    """The full boundary table of BOIN 2.7.2 ``get.boundary`` for n = 1..max_n (``dosefinding.md`` 3.1)."""
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1:
        raise ValidationError("max_n", "must be an integer >= 1", max_n)
    if not 0.0 < cutoff_eli < 1.0:
        raise ValidationError("cutoff_eli", "must be a probability strictly between 0 and 1", cutoff_eli)
    if extrasafe and not 0.0 <= offset < cutoff_eli:
        raise ValidationError("offset", "must be >= 0 and below cutoff_eli", offset)
    lambda_e, lambda_d = boin_lambdas(target, p_saf, p_tox)
    escalate = [UNDEFINED]
    deescalate = [UNDEFINED]
    eliminate = [UNDEFINED]
    stop = [UNDEFINED]
    for n in range(1, max_n + 1):
        elim = _first_exceeding(target, n, cutoff_eli)
        b_d = _deescalation_count(lambda_d * n)
        if elim != UNDEFINED:
            b_d = min(b_d, elim)
        escalate.append(_floor_tolerant(lambda_e * n))
        deescalate.append(b_d)
        eliminate.append(elim)
        stop.append(_first_exceeding(target, n, cutoff_eli - offset))
    return BOINBoundaries(
        target=float(target),
        max_n=max_n,
        lambda_e=lambda_e,
        lambda_d=lambda_d,
        cutoff_eli=cutoff_eli,
        escalate_max=_readonly(escalate),
        deescalate_min=_readonly(deescalate),
        eliminate_min=_readonly(eliminate),
        stop_min=_readonly(stop) if extrasafe else None,
    )


def check_counts(n_at_dose: Sequence[int], tox_at_dose: Sequence[int]) -> None:
    """Counts per dose must be non-negative integers with ``0 <= tox <= n`` and equal lengths."""
    if len(n_at_dose) != len(tox_at_dose) or len(n_at_dose) == 0:
        raise ValidationError("tox_at_dose", "must have one entry per dose, like n_at_dose", tox_at_dose)
    for i, (n, y) in enumerate(zip(n_at_dose, tox_at_dose, strict=True)):
        if n < 0:
            raise ValidationError(f"n_at_dose[{i}]", "must be >= 0", n)
        if not 0 <= y <= n:
            raise ValidationError(f"tox_at_dose[{i}]", "must lie between 0 and the patients at that dose", y)


def select_mtd(
    target: float,
    n_at_dose: Sequence[int],
    tox_at_dose: Sequence[int],
    *,
    cutoff_eli: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
    p_tox: float | None = None,
    bound_mtd: bool = False,
    max_dose: int | None = None,
) -> int | None:
    """The MTD as BOIN 2.7.2 ``select.mtd`` (``dosefinding.md`` 1.1, 3.2); None where R returns 99.

    Elimination is re-applied from the lowest dose upward (n >= 3; the first hit eliminates it and all higher
    doses); with ``extrasafe`` the lowest dose is also checked at ``cutoff_eli - offset``. Among treated,
    non-eliminated doses the isotonic estimates (see ``isotonic_estimates``) get ``i * 1e-10`` added (i = 1,
    2, ...) and the dose minimising ``|p_hat - target|`` is selected. With ``bound_mtd`` (R's ``boundMTD``)
    only doses whose estimate is below ``lambda_d`` (from ``p_tox``) are candidates, and no dose is selected
    if there is none. ``max_dose`` (not in R) caps the candidate doses, for doses a live design has eliminated
    for good.
    """
    check_target(target)
    check_counts(n_at_dose, tox_at_dose)
    num_doses = len(n_at_dose)
    admissible = [True] * num_doses
    for i in range(num_doses):
        n, y = n_at_dose[i], tox_at_dose[i]
        if n >= MIN_N_ELIMINATION and prob_above(target, n, y) > cutoff_eli:
            admissible[i:] = [False] * (num_doses - i)
            break
    lowest_n, lowest_y = n_at_dose[0], tox_at_dose[0]
    if (
        extrasafe
        and lowest_n >= MIN_N_ELIMINATION
        and prob_above(target, lowest_n, lowest_y) > cutoff_eli - offset
    ):
        admissible = [False] * num_doses
    if max_dose is not None:
        admissible = [ok and i < max_dose for i, ok in enumerate(admissible)]
    if not admissible[0] or sum(n for n, ok in zip(n_at_dose, admissible, strict=True) if ok) == 0:
        return None
    iso = isotonic_estimates(n_at_dose, tox_at_dose, admissible)
    tie_broken = [p + (i + 1) * 1e-10 for i, p in enumerate(iso.estimates)]
    distances = [abs(p - target) for p in tie_broken]
    selected = min(range(len(distances)), key=distances.__getitem__)
    if bound_mtd:
        _, lambda_d = boin_lambdas(target, None, p_tox)
        below = [i for i, p in enumerate(tie_broken) if p < lambda_d]
        if not below:
            return None
        selected = min(below, key=distances.__getitem__)
    return iso.doses[selected]


class BOIN:
    """The BOIN design (Liu & Yuan 2015) with BOIN 2.7.2's elimination, extrasafe and n.earlystop rules.

    Live semantics of ``fit`` (``dosefinding.md`` 1.1, replayed cohort by cohort):

    - no patient yet: treat dose 1;
    - after each cohort at dose ``d`` with ``y`` DLTs in ``n`` there, in ``get.oc``'s order:
      (1) if ``y >= elim(n)``, dose ``d`` and all higher doses are eliminated for good, and if ``d`` is the
      lowest dose the trial stops with no MTD; (2) with ``extrasafe``, the trial stops with no MTD once ``y >=
      stop(n)`` at the lowest dose (only where ``elim(n)`` is defined, as in ``get.oc``); (3) if ``n >=
      n_earlystop`` and the rule would not move (stay, de-escalate from the lowest dose, or escalate from the
      highest admissible dose), the trial stops and ``select_mtd`` picks the MTD;
    - after the last cohort: escalate if ``y <= b_e(n)`` and ``d + 1`` is admissible (else stay); de-escalate
      if ``y >= b_d(n)`` and ``d`` is not the lowest dose; otherwise stay.

    Stopping is permanent: a longer outcome string that starts with a stopped trial stays stopped.
    ``should_continue`` is True unless a stopping rule fired (a fixed sample size comes from ``StopAtN``).
    """

    def __init__(
        self,
        num_doses: int,
        target: float,
        *,
        p_saf: float | None = None,
        p_tox: float | None = None,
        cutoff_eli: float = 0.95,
        extrasafe: bool = False,
        offset: float = 0.05,
        n_earlystop: int = 100,
    ) -> None:
        if isinstance(num_doses, bool) or not isinstance(num_doses, int) or num_doses < 1:
            raise ValidationError("num_doses", "must be an integer >= 1", num_doses)
        if isinstance(n_earlystop, bool) or not isinstance(n_earlystop, int) or n_earlystop < 1:
            raise ValidationError("n_earlystop", "must be an integer >= 1", n_earlystop)
        self._num_doses = num_doses
        self.target = float(target)
        self.p_saf = p_saf
        self.p_tox = p_tox
        self.cutoff_eli = cutoff_eli
        self.extrasafe = extrasafe
        self.offset = offset
        self.n_earlystop = n_earlystop
        self._bounds = boin_boundaries(
            target, 30, p_saf=p_saf, p_tox=p_tox, cutoff_eli=cutoff_eli, extrasafe=extrasafe, offset=offset
        )

    @property
    def num_doses(self) -> int:
        return self._num_doses

    @property
    def name(self) -> str:
        return f"BOIN(target={self.target:g})"

    def boundaries(self, max_n: int) -> BOINBoundaries:
        """This design's boundary table for n = 1..max_n."""
        if max_n <= self._bounds.max_n:
            return self._bounds
        self._bounds = boin_boundaries(
            self.target,
            max(max_n, 2 * self._bounds.max_n),
            p_saf=self.p_saf,
            p_tox=self.p_tox,
            cutoff_eli=self.cutoff_eli,
            extrasafe=self.extrasafe,
            offset=self.offset,
        )
        return self._bounds

    def select_mtd(
        self, n_at_dose: Sequence[int], tox_at_dose: Sequence[int], max_dose: int | None = None
    ) -> int | None:
        """``select_mtd`` with this design's parameters."""
        return select_mtd(
            self.target,
            n_at_dose,
            tox_at_dose,
            cutoff_eli=self.cutoff_eli,
            extrasafe=self.extrasafe,
            offset=self.offset,
            p_tox=self.p_tox,
            max_dose=max_dose,
        )

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision:
        """The decision after ``outcomes`` (see the class docstring for the rules)."""
        cohorts = as_cohorts(outcomes, self._num_doses)
        K = self._num_doses
        total = sum(c.size for c in cohorts)
        bounds = self.boundaries(max(total, 3))
        n = [0] * K
        y = [0] * K
        highest_admissible = K
        stop_reason: str | None = None
        no_mtd = False
        notes: list[str] = []
        for cohort in cohorts:
            d = cohort.dose
            n[d - 1] += cohort.size
            y[d - 1] += cohort.num_tox
            if stop_reason is not None:
                continue
            nd, yd = n[d - 1], y[d - 1]
            elim = bounds.eliminate_at(nd)
            if elim is not None:
                if yd >= elim and d <= highest_admissible:
                    highest_admissible = d - 1
                    p = prob_above(self.target, nd, yd)
                    span = f"dose {d}" if d == K else f"doses {d}-{K}"
                    notes.append(
                        f"{dlt_text(yd, nd, d)}: P(DLT rate > {self.target:g}) = {p:.3f} > "
                        f"{self.cutoff_eli:g} (eliminate if DLTs >= {elim} of {nd}) -> {span} eliminated"
                    )
                    if d == 1:
                        stop_reason = "the lowest dose is eliminated: all doses are too toxic"
                        no_mtd = True
                        continue
                stop = bounds.stop_at(nd)
                if d == 1 and stop is not None and yd >= stop:
                    p = prob_above(self.target, nd, yd)
                    notes.append(
                        f"{dlt_text(yd, nd, 1)}: P(DLT rate > {self.target:g}) = {p:.3f} > "
                        f"{self.cutoff_eli - self.offset:g} (extrasafe) -> stop"
                    )
                    stop_reason = "extrasafe: the lowest dose is too toxic"
                    no_mtd = True
                    continue
            if nd >= self.n_earlystop and self._would_stay(d, nd, yd, highest_admissible, bounds):
                stop_reason = (
                    f"n_earlystop reached: {nd} patients at dose {d} (>= {self.n_earlystop}) "
                    "and the rule would not move to another dose"
                )
        return self._decision(
            cohorts, tuple(n), tuple(y), highest_admissible, stop_reason, no_mtd, notes, bounds
        )

    def _would_stay(self, d: int, nd: int, yd: int, highest_admissible: int, bounds: BOINBoundaries) -> bool:
        b_e, b_d = int(bounds.escalate_max[nd]), int(bounds.deescalate_min[nd])
        top = d >= min(self._num_doses, highest_admissible)
        return (b_e < yd < b_d) or (d == 1 and yd >= b_d) or (top and yd <= b_e)

    def _decision(
        self,
        cohorts: tuple[Cohort, ...],
        n: tuple[int, ...],
        y: tuple[int, ...],
        highest_admissible: int,
        stop_reason: str | None,
        no_mtd: bool,
        notes: list[str],
        bounds: BOINBoundaries,
    ) -> Decision:
        admissible = tuple(range(1, highest_admissible + 1))
        mtd = None if no_mtd else self.select_mtd(n, y, max_dose=highest_admissible)
        iso = isotonic_estimates(n, y, [i < highest_admissible for i in range(self._num_doses)])
        details: dict[str, object] = {
            "lambda_e": bounds.lambda_e,
            "lambda_d": bounds.lambda_d,
            "eliminated_doses": list(range(highest_admissible + 1, self._num_doses + 1)),
            "isotonic_estimates": dict(zip(iso.doses, iso.estimates, strict=True)),
        }
        if stop_reason is not None:
            final = f"the MTD is dose {mtd}" if mtd is not None else "no dose is selected"
            reason = "; ".join([*notes, f"stop ({stop_reason}); {final}"])
            return Decision(
                mtd,
                False,
                stop_reason,
                n,
                y,
                empiric_rates(n, y),
                admissible if not no_mtd else (),
                mtd,
                reason,
                details,
            )
        if not cohorts:
            reason = "no patients yet -> start at dose 1"
            return Decision(1, True, None, n, y, empiric_rates(n, y), admissible, None, reason, details)
        d = cohorts[-1].dose
        next_dose, rule = self._move(d, n[d - 1], y[d - 1], highest_admissible, bounds)
        details["current_dose"] = d
        details["escalate_if_dlts_at_most"] = int(bounds.escalate_max[n[d - 1]])
        details["deescalate_if_dlts_at_least"] = int(bounds.deescalate_min[n[d - 1]])
        details["eliminate_if_dlts_at_least"] = bounds.eliminate_at(n[d - 1])
        reason = "; ".join([*notes, rule])
        return Decision(next_dose, True, None, n, y, empiric_rates(n, y), admissible, mtd, reason, details)

    def _move(
        self, d: int, nd: int, yd: int, highest_admissible: int, bounds: BOINBoundaries
    ) -> tuple[int, str]:
        b_e, b_d = int(bounds.escalate_max[nd]), int(bounds.deescalate_min[nd])
        lam_e, lam_d = bounds.lambda_e, bounds.lambda_d
        head = f"{dlt_text(yd, nd, d)}: {rate_text(yd, nd)}"
        if d > highest_admissible:
            lower = max(highest_admissible, 1)
            return lower, f"{head}; dose {d} is eliminated -> de-escalate to dose {lower}"
        if yd <= b_e:
            because = f"{head} <= escalation boundary {lam_e:.3f} (escalate if DLTs <= {b_e} of {nd})"
            if d == self._num_doses:
                return d, f"{because}, but dose {d} is the highest dose -> stay at dose {d}"
            if d + 1 > highest_admissible:
                return d, f"{because}, but dose {d + 1} is eliminated -> stay at dose {d}"
            return d + 1, f"{because} -> escalate to dose {d + 1}"
        if yd >= b_d:
            because = f"{head} >= de-escalation boundary {lam_d:.3f} (de-escalate if DLTs >= {b_d} of {nd})"
            if d == 1:
                return d, f"{because}, but dose 1 is the lowest dose -> stay at dose 1"
            return d - 1, f"{because} -> de-escalate to dose {d - 1}"
        return d, (
            f"{head} lies between the escalation boundary {lam_e:.3f} and the de-escalation boundary "
            f"{lam_d:.3f} (stay if {b_e} < DLTs < {b_d} of {nd}) -> stay at dose {d}"
        )
