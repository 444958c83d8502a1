"""Dose-finding outcomes: cohorts of patients, each with a dose level and a DLT / no-DLT outcome.

The text grammar is the one of Brock's R package ``escalation`` (Brock 2019, "trialr: Bayesian clinical trial
designs in R and Stan", and the ``escalation`` README): a cohort is a 1-based dose level immediately followed
by one letter per patient, ``T`` for a dose-limiting toxicity (DLT) and ``N`` for none; cohorts are separated
by white space, e.g. ``"1NNN 2NTN"``. The empty string means that no patient has been treated yet.

Cohorts may also follow each other without a space (``"1NNN2NTN"``), as ``escalation`` allows; lower-case
letters are accepted. Errors name the 0-based character position: ``outcomes[5]: expected N or T``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mexards.domain.errors import ValidationError

OUTCOMES_FIELD = "outcomes"


@dataclass(frozen=True)
class Cohort:
    """Patients treated together at one dose level; ``tox[i]`` is True when patient ``i`` had a DLT."""

    dose: int
    tox: tuple[bool, ...]

    def __post_init__(self) -> None:
        if isinstance(self.dose, bool) or not isinstance(self.dose, int) or self.dose < 1:
            raise ValidationError("cohort.dose", "must be an integer dose level >= 1", self.dose)
        if len(self.tox) == 0:
            raise ValidationError("cohort.tox", "a cohort needs at least one patient", self.tox)

    @property
    def size(self) -> int:
        """Number of patients in the cohort."""
        return len(self.tox)

    @property
    def num_tox(self) -> int:
        """Number of patients with a DLT."""
        return sum(1 for t in self.tox if t)

    def __str__(self) -> str:
        return f"{self.dose}" + "".join("T" if t else "N" for t in self.tox)


def parse_outcomes(text: str, num_doses: int | None = None) -> tuple[Cohort, ...]:
    """Parse ``"1NNN 2NTN"`` into cohorts. With ``num_doses``, a dose above it is an error.

    Raises ``ValidationError`` with field ``outcomes[i]`` (``i`` the 0-based character position) and a rule.
    """
    if not isinstance(text, str):
        raise ValidationError(OUTCOMES_FIELD, "must be a string such as '1NNN 2NTN'", text)
    cohorts: list[Cohort] = []
    i = 0
    length = len(text)
    while i < length:
        if text[i].isspace():
            i += 1
            continue
        start = i
        while i < length and text[i].isdigit():
            i += 1
        if i == start:
            raise ValidationError(
                f"{OUTCOMES_FIELD}[{i}]", "expected a dose level (a positive integer)", text[i]
            )
        dose = int(text[start:i])
        if dose < 1:
            raise ValidationError(f"{OUTCOMES_FIELD}[{start}]", "dose level must be >= 1", dose)
        if num_doses is not None and dose > num_doses:
            raise ValidationError(
                f"{OUTCOMES_FIELD}[{start}]",
                f"dose level {dose} exceeds the {num_doses} doses of the design",
                dose,
            )
        tox: list[bool] = []
        while i < length and text[i] in "NTnt":
            tox.append(text[i] in "Tt")
            i += 1
        if not tox:
            found = text[i] if i < length else "end of text"
            raise ValidationError(f"{OUTCOMES_FIELD}[{i}]", "expected N or T", found)
        if i < length and not text[i].isspace() and not text[i].isdigit():
            raise ValidationError(f"{OUTCOMES_FIELD}[{i}]", "expected N or T", text[i])
        cohorts.append(Cohort(dose, tuple(tox)))
    return tuple(cohorts)


def format_outcomes(cohorts: Iterable[Cohort]) -> str:
    """The canonical text of cohorts: ``"1NNN 2NTN"`` (inverse of ``parse_outcomes``)."""
    return " ".join(str(c) for c in cohorts)


def as_cohorts(outcomes: str | Sequence[Cohort], num_doses: int) -> tuple[Cohort, ...]:
    """Accept either outcome text or cohorts; check every dose is in 1..num_doses."""
    if isinstance(outcomes, str):
        return parse_outcomes(outcomes, num_doses)
    cohorts = tuple(outcomes)
    for index, cohort in enumerate(cohorts):
        if not isinstance(cohort, Cohort):
            raise ValidationError(f"{OUTCOMES_FIELD}[{index}]", "expected a Cohort", cohort)
        if cohort.dose > num_doses:
            raise ValidationError(
                f"{OUTCOMES_FIELD}[{index}].dose",
                f"dose level {cohort.dose} exceeds the {num_doses} doses of the design",
                cohort.dose,
            )
    return cohorts


def counts(cohorts: Iterable[Cohort], num_doses: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Patients and DLTs per dose level: ``(n_at_dose, tox_at_dose)``, each of length ``num_doses``."""
    n_at_dose = [0] * num_doses
    tox_at_dose = [0] * num_doses
    for cohort in cohorts:
        if cohort.dose > num_doses:
            raise ValidationError(
                OUTCOMES_FIELD,
                f"dose level {cohort.dose} exceeds the {num_doses} doses of the design",
                cohort.dose,
            )
        n_at_dose[cohort.dose - 1] += cohort.size
        tox_at_dose[cohort.dose - 1] += cohort.num_tox
    return tuple(n_at_dose), tuple(tox_at_dose)
