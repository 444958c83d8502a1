"""The continual reassessment method (CRM) with dfcrm 0.2-2.1 semantics (``dosefinding.md`` 1.2, 3.7).

Sources: O'Quigley J, Pepe M, Fisher L (1990) Biometrics 46:33-48; Cheung YK (2011) Dose Finding by the
Continual Reassessment Method, Chapman & Hall/CRC; Lee SM, Cheung YK (2009) Clinical Trials 6:227-238
(skeleton calibration, ``getprior``); R package dfcrm 0.2-2.1 (``crm``, ``crmsim``, ``getprior``).

Models, with skeleton ``s_k`` and one parameter ``a ~ N(0, prior_sd^2)`` (dfcrm default variance 1.34):

- empiric (power): ``p_k(a) = s_k ** exp(a)``;
- logistic: ``logit p_k(a) = intcpt + exp(a) x_k`` with ``x_k = logit(s_k) - intcpt`` (so ``p_k(0) = s_k``).

Posterior moments of ``a`` (dfcrm's ``estimate`` and ``post.var``) are computed by quadrature on a fixed grid:
the composite Simpson rule on ``[-10, 10]`` with ``QUADRATURE_POINTS`` = 2001 equally spaced nodes (step
0.01). dfcrm integrates the numerator on (-10, 10) and the normaliser on the whole line with R's adaptive
``integrate``; the prior mass outside (-10, 10) is below 1e-16, and the grid reproduces dfcrm's worked example
to better than 1e-9 (tests/published/test_dosefinding_crm.py). The plug-in DLT probabilities use the posterior
mean: ``p_k(estimate)``; the 90% band (``ptoxL``, ``ptoxU``) plugs in ``estimate -/+ z_0.95 sqrt(post.var)``.

MTD rule (dfcrm): the dose whose estimated DLT probability is closest to the target (lowest such dose on
ties); equivalently dose K if all estimates are below the target and dose 1 if all are above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from mexards.domain.errors import ValidationError
from mexards.dosefinding.boin import check_counts, check_target
from mexards.dosefinding.design import Decision, empiric_rates
from mexards.dosefinding.outcome import Cohort, as_cohorts, counts

Model = Literal["empiric", "logistic"]
MODELS: tuple[str, ...] = ("empiric", "logistic")

QUADRATURE_LIMIT = 10.0
QUADRATURE_POINTS = 2001
QUADRATURE_NODES: npt.NDArray[np.float64] = np.linspace(
    -QUADRATURE_LIMIT, QUADRATURE_LIMIT, QUADRATURE_POINTS
)
"""Grid of the model parameter ``a`` used for every posterior integral."""


def _simpson_weights(points: int, step: float) -> npt.NDArray[np.float64]:
    weights = np.ones(points)
    weights[1:-1:2] = 4.0
    weights[2:-1:2] = 2.0
    return weights * step / 3.0


QUADRATURE_WEIGHTS: npt.NDArray[np.float64] = _simpson_weights(
    QUADRATURE_POINTS, 2 * QUADRATURE_LIMIT / (QUADRATURE_POINTS - 1)
)
"""Composite Simpson weights matching ``QUADRATURE_NODES``."""

Z_90 = 1.6448536269514722
"""``qnorm(0.95)``: half-width multiplier of dfcrm's default 90% band (``conf.level = 0.90``)."""


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def check_model(model: str) -> None:
    """The CRM dose-toxicity model must be 'empiric' or 'logistic'."""
    if model not in MODELS:
        raise ValidationError("model", "must be 'empiric' or 'logistic'", model)


def getprior(
    halfwidth: float, target: float, nu: int, nlevel: int, model: Model = "empiric", intcpt: float = 3.0
) -> tuple[float, ...]:
    """A CRM skeleton by indifference-interval calibration (Lee & Cheung 2009; dfcrm ``getprior``).

    Dose ``nu`` (1-based prior guess of the MTD) gets the target; neighbouring skeleton values are set so that
    the indifference interval of each dose is ``target -/+ halfwidth``: for ``k < nu``, with ``b`` solving
    ``p_{k+1}(b) = target + halfwidth``, ``p_k(b) = target - halfwidth``; for ``k > nu``, with ``b`` solving
    ``p_{k-1}(b) = target - halfwidth``, ``p_k(b) = target + halfwidth``.
    """
    check_target(target)
    check_model(model)
    if isinstance(nlevel, bool) or not isinstance(nlevel, int) or nlevel < 1:
        raise ValidationError("nlevel", "must be an integer >= 1", nlevel)
    if isinstance(nu, bool) or not isinstance(nu, int) or not 1 <= nu <= nlevel:
        raise ValidationError("nu", f"must be a dose level in 1..{nlevel}", nu)
    if not 0.0 < halfwidth < min(target, 1 - target):
        raise ValidationError(
            "halfwidth", "must be > 0 and keep target -/+ halfwidth inside (0, 1)", halfwidth
        )
    low, high = target - halfwidth, target + halfwidth
    scaled = [0.0] * nlevel
    if model == "empiric":
        scaled[nu - 1] = target
        for k in range(nu - 1, 0, -1):
            power = math.log(high) / math.log(scaled[k])
            scaled[k - 1] = math.exp(math.log(low) / power)
        for k in range(nu, nlevel):
            power = math.log(low) / math.log(scaled[k - 1])
            scaled[k] = math.exp(math.log(high) / power)
        return tuple(scaled)
    logit_low, logit_high = _logit(low) - intcpt, _logit(high) - intcpt
    scaled[nu - 1] = _logit(target) - intcpt
    for k in range(nu - 1, 0, -1):
        slope = logit_high / scaled[k]
        scaled[k - 1] = logit_low / slope
    for k in range(nu, nlevel):
        slope = logit_low / scaled[k - 1]
        scaled[k] = logit_high / slope
    return tuple(1.0 / (1.0 + math.exp(-intcpt - x)) for x in scaled)


def check_skeleton(skeleton: Sequence[float]) -> tuple[float, ...]:
    """A skeleton is a non-empty, strictly increasing sequence of probabilities in (0, 1)."""
    values = tuple(float(s) for s in skeleton)
    if not values:
        raise ValidationError("skeleton", "needs at least one dose", skeleton)
    for i, s in enumerate(values):
        if not 0.0 < s < 1.0:
            raise ValidationError(f"skeleton[{i}]", "must be a probability strictly between 0 and 1", s)
        if i and s <= values[i - 1]:
            raise ValidationError(f"skeleton[{i}]", "must be strictly increasing", s)
    return values


def tox_probabilities(
    skeleton: Sequence[float], a: npt.ArrayLike, model: Model = "empiric", intcpt: float = 3.0
) -> npt.NDArray[np.float64]:
    """DLT probability per dose (rows) at parameter values ``a`` (columns): ``p_k(a)``."""
    s = np.asarray(skeleton, dtype=np.float64)[:, None]
    exp_a = np.exp(np.asarray(a, dtype=np.float64))[None, :]
    if model == "empiric":
        return np.asarray(s**exp_a, dtype=np.float64)
    x = np.log(s / (1 - s)) - intcpt
    return np.asarray(expit(intcpt + exp_a * x), dtype=np.float64)


def log_tox_terms(
    skeleton: Sequence[float], model: Model = "empiric", intcpt: float = 3.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``(log p_k(a), log(1 - p_k(a)))`` on the quadrature grid, each of shape (K, G), computed stably.

    The log-likelihood of counts on the grid is ``y @ log_p + (n - y) @ log_q``: one (T x K).(K x G) product
    per term for T trials at once.
    """
    s = np.asarray(skeleton, dtype=np.float64)[:, None]
    exp_a = np.exp(QUADRATURE_NODES)[None, :]
    if model == "empiric":
        log_p = exp_a * np.log(s)
        log_q = np.log(-np.expm1(log_p))
    else:
        eta = intcpt + exp_a * (np.log(s / (1 - s)) - intcpt)
        log_p = -np.logaddexp(0.0, -eta)
        log_q = -np.logaddexp(0.0, eta)
    return np.asarray(log_p, dtype=np.float64), np.asarray(log_q, dtype=np.float64)


@dataclass(frozen=True)
class CRMPosterior:
    """dfcrm ``crm()``'s estimates: posterior mean and variance of ``a``, plug-in probabilities, 90% band."""

    estimate: float
    posterior_variance: float
    ptox: tuple[float, ...]
    ptox_lower: tuple[float, ...]
    ptox_upper: tuple[float, ...]


def crm_posterior(
    skeleton: Sequence[float],
    n_at_dose: Sequence[int],
    tox_at_dose: Sequence[int],
    *,
    model: Model = "empiric",
    intcpt: float = 3.0,
    prior_sd: float = math.sqrt(1.34),
) -> CRMPosterior:
    """Posterior of the CRM parameter given patients and DLTs per dose (Bayes, as dfcrm
    ``method="bayes"``)."""
    values = check_skeleton(skeleton)
    check_model(model)
    check_counts(n_at_dose, tox_at_dose)
    if len(n_at_dose) != len(values):
        raise ValidationError(
            "n_at_dose", f"must have one entry per dose of the skeleton ({len(values)})", n_at_dose
        )
    if not prior_sd > 0:
        raise ValidationError("prior_sd", "must be > 0", prior_sd)
    log_p, log_q = log_tox_terms(values, model, intcpt)
    y = np.asarray(tox_at_dose, dtype=np.float64)
    n = np.asarray(n_at_dose, dtype=np.float64)
    log_post = y @ log_p + (n - y) @ log_q - 0.5 * (QUADRATURE_NODES / prior_sd) ** 2
    kernel = QUADRATURE_WEIGHTS * np.exp(log_post - log_post.max())
    mass = float(kernel.sum())
    estimate = float(kernel @ QUADRATURE_NODES) / mass
    second = float(kernel @ QUADRATURE_NODES**2) / mass
    variance = max(second - estimate**2, 0.0)
    half = Z_90 * math.sqrt(variance)
    at = tox_probabilities(values, [estimate, estimate - half, estimate + half], model, intcpt)
    lower = np.minimum(at[:, 1], at[:, 2])
    upper = np.maximum(at[:, 1], at[:, 2])
    return CRMPosterior(
        estimate=estimate,
        posterior_variance=variance,
        ptox=tuple(float(p) for p in at[:, 0]),
        ptox_lower=tuple(float(p) for p in lower),
        ptox_upper=tuple(float(p) for p in upper),
    )


def crm_mtd(ptox: Sequence[float], target: float) -> int:
    """dfcrm's MTD: the 1-based dose with estimated DLT probability closest to the target (lowest on ties)."""
    distances = [abs(p - target) for p in ptox]
    return 1 + min(range(len(distances)), key=distances.__getitem__)


class CRM:
    """The CRM design with dfcrm ``crmsim`` dose-assignment rules (``dosefinding.md`` 1.2).

    - no patient yet: treat ``start_dose`` (dfcrm's scalar ``x0``);
    - afterwards the model recommends ``crm_mtd`` of the posterior plug-in estimates;
    - with ``restrict=True`` (coherence and no skipping): if the DLT rate of the last cohort is >= target the
      next dose is ``min(recommended, last dose)``, otherwise ``min(recommended, last dose + 1)``;
    - the sample size is fixed elsewhere (``StopAtN``); CRM itself has no stopping rule, so
      ``should_continue`` is always True. ``mtd`` is the model's unrestricted MTD.
    """

    def __init__(
        self,
        skeleton: Sequence[float],
        target: float,
        *,
        model: Model = "empiric",
        intcpt: float = 3.0,
        prior_sd: float = math.sqrt(1.34),
        start_dose: int = 1,
        restrict: bool = True,
    ) -> None:
        self.skeleton = check_skeleton(skeleton)
        check_target(target)
        check_model(model)
        if not prior_sd > 0:
            raise ValidationError("prior_sd", "must be > 0", prior_sd)
        if isinstance(start_dose, bool) or not isinstance(start_dose, int):
            raise ValidationError("start_dose", "must be an integer dose level", start_dose)
        if not 1 <= start_dose <= len(self.skeleton):
            raise ValidationError(
                "start_dose", f"must be a dose level in 1..{len(self.skeleton)}", start_dose
            )
        self.target = float(target)
        self.model: Model = model
        self.intcpt = float(intcpt)
        self.prior_sd = float(prior_sd)
        self.start_dose = start_dose
        self.restrict = restrict

    @property
    def num_doses(self) -> int:
        return len(self.skeleton)

    @property
    def name(self) -> str:
        return f"CRM({self.model}, target={self.target:g})"

    def posterior(self, n_at_dose: Sequence[int], tox_at_dose: Sequence[int]) -> CRMPosterior:
        """``crm_posterior`` with this design's model and prior."""
        return crm_posterior(
            self.skeleton,
            n_at_dose,
            tox_at_dose,
            model=self.model,
            intcpt=self.intcpt,
            prior_sd=self.prior_sd,
        )

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision:
        """The next dose and the model's estimates after ``outcomes``."""
        cohorts = as_cohorts(outcomes, self.num_doses)
        n, y = counts(cohorts, self.num_doses)
        admissible = tuple(range(1, self.num_doses + 1))
        rates = empiric_rates(n, y)
        if not cohorts:
            reason = f"no patients yet -> start at dose {self.start_dose}"
            details: dict[str, object] = {"skeleton": list(self.skeleton), "model": self.model}
            return Decision(self.start_dose, True, None, n, y, rates, admissible, None, reason, details)
        post = self.posterior(n, y)
        mtd = crm_mtd(post.ptox, self.target)
        estimates = ", ".join(f"{p:.3f}" for p in post.ptox)
        parts = [
            f"posterior mean of the model parameter {post.estimate:.4f} "
            f"(variance {post.posterior_variance:.4f})",
            f"estimated DLT probabilities {estimates}",
            f"dose {mtd} is closest to the target {self.target:g} ({post.ptox[mtd - 1]:.3f})",
        ]
        rec = mtd
        if self.restrict:
            last = cohorts[-1]
            rate = last.num_tox / last.size
            if rate >= self.target and rec > last.dose:
                rec = last.dose
                parts.append(
                    f"last cohort {last.num_tox}/{last.size} = {rate:.2f} >= target at dose {last.dose}: "
                    f"no escalation (coherence)"
                )
            elif rate < self.target and rec > last.dose + 1:
                rec = last.dose + 1
                parts.append(f"no skipping: at most one level above the last dose {last.dose}")

        details = {
            "skeleton": list(self.skeleton),
            "model": self.model,
            "estimate": post.estimate,
            "posterior_variance": post.posterior_variance,
            "ptox": list(post.ptox),
            "ptox_lower": list(post.ptox_lower),
            "ptox_upper": list(post.ptox_upper),
        }
        reason = "; ".join(parts) + f" -> treat the next cohort at dose {rec}"
        return Decision(rec, True, None, n, y, rates, admissible, mtd, reason, details)
