"""The 3+3 design in its two common variants, named explicitly (reference notes ``dosefinding.md`` 3.6).

Sources: Storer BE (1989) Biometrics 45:925-937; Korn EL, Midthune D, Chen TT, Rubinstein LV, Christian MC,
Simon RM (1994) Stat Med 13:1799-1806; Lin Y, Shih WJ (2001) Biostatistics 2:203-215; Le Tourneau C, Lee JJ,
Siu LL (2009) JNCI 101:708-720; Brock's R package ``escalation`` (``three_plus_three``, README examples).

Rules at the dose ``d`` of the last cohort, with ``y`` DLTs in ``n`` patients there (``n <= 6``):

- ``y >= 2``: dose ``d`` exceeds the MTD (">= 2/3 or >= 2/6"; decided as soon as 2 DLTs are seen, since no
  later patient can change it).
  - V1, ``allow_deescalate=False`` (no de-escalation; escalation's default, clintrials): stop; the MTD is
    the dose below, ``d - 1``, even if it had only 3 patients (no MTD when ``d`` is the lowest dose).
  - V2, ``allow_deescalate=True`` (Korn et al. 1994): go down to ``d - 1``; if it has fewer than 6 patients,
    treat 3 more there; if it has 6 with <= 1 DLT it is the MTD; if it too has >= 2 DLTs go down again; below
    the lowest dose there is no MTD.
- ``y <= 1``: ``0/3`` or ``<= 1/6`` passes: escalate to ``d + 1``; any other count (fewer than 3, 1/3, 4 or 5
  patients) stays at ``d`` to complete the cohort of 3 or 6, as ``escalation``'s ``three_plus_three``; at the
  highest dose stop with MTD ``d``. If ``d + 1`` already exceeded the MTD, V1 stops with MTD ``d``; V2 first
  completes 6 patients at ``d``.
"""

from __future__ import annotations

from collections.abc import Sequence

from mexards.domain.errors import ValidationError
from mexards.dosefinding.design import Decision, dlt_text, empiric_rates
from mexards.dosefinding.outcome import Cohort, as_cohorts, counts

MAX_PER_DOSE = 6
"""A 3+3 treats at most 6 patients at a dose."""


class ThreePlusThree:
    """The 3+3 design; ``allow_deescalate=False`` is V1 (no de-escalation), True is V2 (Korn et al. 1994)."""

    def __init__(self, num_doses: int, allow_deescalate: bool = False) -> None:
        if isinstance(num_doses, bool) or not isinstance(num_doses, int) or num_doses < 1:
            raise ValidationError("num_doses", "must be an integer >= 1", num_doses)
        self._num_doses = num_doses
        self.allow_deescalate = allow_deescalate

    @property
    def num_doses(self) -> int:
        return self._num_doses

    @property
    def name(self) -> str:
        return "3+3 with de-escalation" if self.allow_deescalate else "3+3"

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision:
        """Apply the 3+3 rules (module docstring) to the outcomes so far."""
        cohorts = as_cohorts(outcomes, self._num_doses)
        n, y = counts(cohorts, self._num_doses)
        for i, count in enumerate(n):
            if count > MAX_PER_DOSE:
                raise ValidationError(
                    "outcomes",
                    f"3+3 treats at most {MAX_PER_DOSE} patients per dose; dose {i + 1} has {count}",
                    count,
                )
        first_toxic = next((i + 1 for i in range(self._num_doses) if y[i] >= 2), None)
        admissible = tuple(range(1, (first_toxic or self._num_doses + 1)))
        details: dict[str, object] = {"variant": "V2" if self.allow_deescalate else "V1"}
        if not cohorts:
            return Decision(
                1,
                True,
                None,
                n,
                y,
                empiric_rates(n, y),
                admissible,
                None,
                "no patients yet -> start at dose 1",
                details,
            )
        d = cohorts[-1].dose
        head = dlt_text(y[d - 1], n[d - 1], d)
        if y[d - 1] >= 2:
            return self._too_toxic(d, head, n, y, admissible, details)
        provisional = self._passed_below(n, y, first_toxic)
        nd = n[d - 1]
        passes = (nd == 3 and y[d - 1] == 0) or nd == MAX_PER_DOSE
        if not passes:
            if nd == 3:
                reason = f"{head}: 1/3 -> treat 3 more patients at dose {d}"
            else:
                need = 3 if nd < 3 else MAX_PER_DOSE
                reason = f"{head}: {nd} of {need} patients treated -> stay at dose {d}"
            return Decision(
                d, True, None, n, y, empiric_rates(n, y), admissible, provisional, reason, details
            )
        rule = "0/3" if nd == 3 else "<= 1/6"
        above_toxic = d < self._num_doses and y[d] >= 2
        if above_toxic and self.allow_deescalate and n[d - 1] < MAX_PER_DOSE:
            reason = (
                f"{head}: {rule} but dose {d + 1} exceeded the MTD -> stay at dose {d} to complete 6 patients"
            )
            return Decision(
                d, True, None, n, y, empiric_rates(n, y), admissible, provisional, reason, details
            )
        if d == self._num_doses or above_toxic:
            why = "the highest dose" if d == self._num_doses else f"dose {d + 1} exceeded the MTD"
            reason = f"{head}: {rule} passes and {why} -> stop; the MTD is dose {d}"
            stop = f"dose {d} passed and {why}"
            return Decision(d, False, stop, n, y, empiric_rates(n, y), admissible, d, reason, details)
        reason = f"{head}: {rule} passes -> escalate to dose {d + 1}"
        return Decision(
            d + 1, True, None, n, y, empiric_rates(n, y), admissible, provisional, reason, details
        )

    def _too_toxic(
        self,
        d: int,
        head: str,
        n: tuple[int, ...],
        y: tuple[int, ...],
        admissible: tuple[int, ...],
        details: dict[str, object],
    ) -> Decision:
        rates = empiric_rates(n, y)
        if not self.allow_deescalate:
            if d == 1:
                reason = f"{head}: >= 2 DLTs -> stop; dose 1 exceeds the MTD, no dose is selected"
                return Decision(None, False, "dose 1 exceeds the MTD", n, y, rates, (), None, reason, details)
            reason = f"{head}: >= 2 DLTs -> stop (no de-escalation); the MTD is dose {d - 1}"
            stop = f"dose {d} exceeds the MTD"
            return Decision(d - 1, False, stop, n, y, rates, admissible, d - 1, reason, details)
        lower = d - 1
        while lower >= 1 and y[lower - 1] >= 2:
            lower -= 1
        if lower == 0:
            reason = f"{head}: >= 2 DLTs and no lower dose qualifies -> stop; no dose is selected"
            return Decision(
                None, False, "every dose tried exceeds the MTD", n, y, rates, (), None, reason, details
            )
        if n[lower - 1] < MAX_PER_DOSE:
            reason = (
                f"{head}: >= 2 DLTs -> de-escalate to dose {lower}, which has {n[lower - 1]} patients "
                f"(needs 6 before it can be the MTD)"
            )
            provisional = self._passed_below(n, y, lower + 1)
            return Decision(lower, True, None, n, y, rates, admissible, provisional, reason, details)
        reason = f"{head}: >= 2 DLTs; dose {lower} has <= 1/6 -> stop; the MTD is dose {lower}"
        stop = f"dose {lower + 1} exceeds the MTD and dose {lower} passed with 6 patients"
        return Decision(lower, False, stop, n, y, rates, admissible, lower, reason, details)

    def _passed_below(self, n: tuple[int, ...], y: tuple[int, ...], first_toxic: int | None) -> int | None:
        """The highest dose below any dose exceeding the MTD that passed its rule (0/3 or <= 1/6)."""
        limit = (first_toxic or self._num_doses + 1) - 1
        for dose in range(limit, 0, -1):
            nd, yd = n[dose - 1], y[dose - 1]
            if (nd == 3 and yd == 0) or (nd == MAX_PER_DOSE and yd <= 1):
                return dose
        return None
